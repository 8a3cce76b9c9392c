/** Bad data is never silent and never an internal error: what the CLI and the readers do with it. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { analyze } from "../src/analyze.js";
import { renderMarkdown } from "../src/diagnosis/renderMarkdown.js";
import { renderText } from "../src/diagnosis/renderText.js";
import type { Diagnosis } from "../src/diagnosis/types.js";
import { GuardedSink, LISTED_SKIPS_PER_FILE } from "../src/read/guardedSink.js";
import { readCaseWithFormats } from "../src/read/index.js";
import { assertUsageError, beneath, beneathWithInput, MAIN } from "./helpers/cli.js";
import { RecordingSink } from "./helpers/recordingSink.js";

const CHECKOUT_LOGS = fileURLToPath(new URL("../../test/fixtures/logs/checkout.jsonl", import.meta.url));
const WIDE_CSV = fileURLToPath(new URL("../../test/fixtures/metrics/wide.csv", import.meta.url));
/** 2023-11-14T22:13:20Z: any fixed instant serves. */
const T0 = 1_700_000_000;

/** Every scratch folder a test made, removed when the file's tests end. */
const scratch: string[] = [];
after(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "beneath-robust-"));
  scratch.push(dir);
  return dir;
}

function logLine(t: number, msg: string, service = "web"): string {
  return JSON.stringify({ time: t, level: "info", msg, service });
}

/** JSON lines over an hour, one line every `step` seconds. */
function hourOfLogs(step: number): string[] {
  const lines: string[] = [];
  for (let t = T0; t < T0 + 3600; t += step) lines.push(logLine(t, `served request ${Math.round(t) % 7}`));
  return lines;
}

function json(result: { stdout: string }): Diagnosis {
  return JSON.parse(result.stdout) as Diagnosis;
}

test("an empty folder is exit 2 saying there were no files", () => {
  const dir = tempDir();
  assertUsageError(beneath("analyze", dir), "no files to read");
});

test("a folder of files in no known format is exit 2 naming them", () => {
  const dir = tempDir();
  writeFileSync(join(dir, "a.bin"), Buffer.from([0, 1, 2, 3, 255]));
  writeFileSync(join(dir, "notes.txt"), "just some words\n");
  const result = beneath("analyze", dir);
  assertUsageError(result, "none of the 2 files is readable");
  assert.match(result.stderr, /a\.bin: not a known telemetry format/);
});

test("a valid document that holds no data is exit 2 saying what was read", () => {
  const file = join(tempDir(), "empty.json");
  writeFileSync(file, JSON.stringify({ status: "success", data: { resultType: "matrix", result: [] } }));
  const result = beneath("analyze", file);
  assertUsageError(result, "no data");
  assert.match(result.stderr, /prometheus-json/);
});

test("a timestamp of 1e300 is an unreadable line, not an internal error", () => {
  const dir = tempDir();
  const some = join(dir, "some.jsonl");
  writeFileSync(some, [...hourOfLogs(60), JSON.stringify({ time: 1e300, msg: "x", service: "web" })].join("\n"));
  const ok = beneath("analyze", some, "--format", "json");
  assert.equal(ok.status, 0, ok.stderr);
  assert.ok(json(ok).input.skipped.some((s) => s.file === some && /time/.test(s.reason)));
  const all = join(dir, "all.jsonl");
  writeFileSync(all, `${JSON.stringify({ time: 1e300, msg: "x", service: "web" })}\n`.repeat(3));
  const bad = beneath("analyze", all);
  assert.equal(bad.status, 2, bad.stderr);
  assert.doesNotMatch(bad.stderr, /internal error/);
});

test("a JSON-lines file with a malformed line 2 is read, and the line is listed", () => {
  const file = join(tempDir(), "app.jsonl");
  const lines = hourOfLogs(60);
  lines.splice(1, 0, '{"time": 1700000000, "msg": "cut of');
  writeFileSync(file, `${lines.join("\n")}\n`);
  const result = beneath("analyze", file, "--format", "json");
  assert.equal(result.status, 0, result.stderr);
  const d = json(result);
  assert.deepEqual(
    d.input.sources.map((s) => s.format),
    ["json-lines logs"],
  );
  assert.deepEqual(
    d.input.skipped.map((s) => s.where),
    ["line 2"],
  );
});

test("an unreadable file beside a readable one is skipped and listed, not fatal", () => {
  const dir = tempDir();
  const broken = join(dir, "broken.json");
  writeFileSync(broken, '{"resourceSpans": [{"scopeSpans": [');
  const result = beneath("analyze", CHECKOUT_LOGS, broken, "--format", "json");
  assert.equal(result.status, 0, result.stderr);
  const d = json(result);
  assert.deepEqual(
    d.input.sources.map((s) => s.file),
    [CHECKOUT_LOGS],
  );
  assert.ok(d.input.skipped.some((s) => s.file === broken));
});

test("`-` reads standard input", () => {
  const result = beneathWithInput(readFileSync(CHECKOUT_LOGS, "utf8"), "analyze", "-", "--format", "json");
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(json(result).input.sources, [{ file: "-", format: "json-lines logs" }]);
});

test("a FIFO and a process substitution are read like files", () => {
  const dir = tempDir();
  const fifo = join(dir, "pipe");
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
  const script = `cat "$1" > "$2" & node "$3" analyze "$2" --format json && node "$3" analyze <(cat "$1") --format json`;
  const result = spawnSync("bash", ["-c", script, "bash", CHECKOUT_LOGS, fifo, MAIN], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const outputs = result.stdout.split(/\n(?=\{)/).map((text) => JSON.parse(text) as Diagnosis);
  assert.equal(outputs.length, 2);
  for (const d of outputs) assert.deepEqual(d.input.sources[0].format, "json-lines logs");
  assert.equal(outputs[0].input.sources[0].file, fifo);
});

test("300k skips reach the Case as the first few and one count", () => {
  const inner = new RecordingSink();
  const sink = new GuardedSink(inner);
  for (let i = 1; i <= 300_000; i++) sink.skip(`line ${i}`, "not a JSON object");
  sink.finish();
  assert.equal(inner.skipped.length, LISTED_SKIPS_PER_FILE + 1);
  assert.equal(inner.skipped[0].where, "line 1");
  assert.match(inner.skipped[LISTED_SKIPS_PER_FILE].reason, /^300000 lines or records/);
});

test("a file of many malformed lines is read, and every output format stays short", async () => {
  const file = join(tempDir(), "noisy.jsonl");
  const lines: string[] = [];
  // Half broken: as many bad lines as good ones is still this format with damage, not another format.
  for (let i = 0; i < 60_000; i++) lines.push(i % 2 ? "{broken" : logLine(T0 + i / 10, `ok ${i % 7}`));
  writeFileSync(file, lines.join("\n"));
  const d = await analyze([file]);
  assert.equal(d.input.skipped.length, LISTED_SKIPS_PER_FILE + 1);
  assert.ok(JSON.stringify(d).length < 100_000);
  assert.match(renderText(d, { color: false, verbose: true }), /30000 lines or records/);
  assert.match(renderMarkdown(d), /30000 lines or records/);
});

test("stray 1970 and 9999 timestamps among 60k lines do not move the window", async () => {
  const dir = tempDir();
  const lines = hourOfLogs(0.06);
  const clean = join(dir, "clean.jsonl");
  writeFileSync(clean, lines.join("\n"));
  lines[30_000] = logLine(10, "served request 1");
  lines[30_001] = logLine(253_402_300_000, "served request 1");
  const stray = join(dir, "stray.jsonl");
  writeFileSync(stray, lines.join("\n"));
  const notes: string[] = [];
  const [a, b] = [await analyze([clean]), await analyze([stray], { onNote: (n) => notes.push(n) })];
  assert.deepEqual(b.input.window, a.input.window);
  assert.match(notes[0], /searched 2023-11-14T22:13:20\.000Z → 2023-11-14T23:13:1\d\.000Z \(2 records/);
});

test("--at outside the data is exit 2 naming the data's time span", () => {
  const result = beneath("analyze", WIDE_CSV, "--at", "2020-01-01T00:00:00Z");
  assertUsageError(result, "the data spans 2024-05-01T12:00:00.000Z");
  assertUsageError(beneath("analyze", WIDE_CSV, "--at", "2030-01-01T00:00:00Z"), "nothing to analyse after --at");
});

test("a data folder that holds a stray unknown file and a dangling link still reads the rest", () => {
  const dir = tempDir();
  mkdirSync(join(dir, "logs"));
  writeFileSync(join(dir, "logs", "app.jsonl"), hourOfLogs(60).join("\n"));
  writeFileSync(join(dir, "README"), "how this case was exported\n");
  symlinkSync(join(dir, "gone.jsonl"), join(dir, "logs", "dangling.jsonl"));
  const result = beneath("analyze", dir, "--format", "json");
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(
    json(result).input.skipped.map((s) => s.reason),
    ["not a known telemetry format", "an existing file (a link to nothing)"],
  );
});

test("--at in a gap of the recording is exit 2: nothing to analyse there", () => {
  const file = join(tempDir(), "two-recordings.csv");
  const rows = ["time,web_cpu"];
  for (const start of [T0, T0 + 86_400]) for (let i = 0; i < 120; i++) rows.push(`${start + 15 * i},${1 + (i % 3)}`);
  writeFileSync(file, rows.join("\n"));
  assertUsageError(beneath("analyze", file, "--at", String(T0 + 40_000)), "with a gap there");
  assert.equal(beneath("analyze", file, "--at", String(T0 + 86_400 + 600)).status, 0);
});

test("progress moves within a large file, not only when it ends", async () => {
  const file = join(tempDir(), "big.jsonl");
  writeFileSync(file, hourOfLogs(0.5).join("\n"));
  const seen: number[] = [];
  await readCaseWithFormats([file], { onProgress: (p) => seen.push(p.bytesDone) });
  const size = statSync(file).size;
  assert.ok(seen.filter((b) => b > 0 && b < size).length >= 2, `progress within the file: ${seen.join(", ")}`);
  assert.ok(seen.every((b, i) => i === 0 || b >= seen[i - 1]));
  assert.equal(seen[seen.length - 1], size);
});
