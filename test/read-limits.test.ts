/** The caps on one file (content size, reading time, line length) and hostile JSON documents: a clear message, bounded memory. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createGzip } from "node:zlib";
import { readCaseWithFormats } from "../src/read/index.js";
import { parseLogLine } from "../src/read/jsonLines.js";
import { forEachParsedLine } from "../src/read/parallelLines.js";
import { DEFAULT_READ_LIMITS, ReadError, type ReaderInput, type ReadLimits } from "../src/read/types.js";
import { assertUsageError, beneath, MAIN } from "./helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "beneath-limits-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const PROBE = fileURLToPath(new URL("../bench/scaleProbe.js", import.meta.url));

/** A gzip of `head` followed by `megabytes` MiB of spaces: a few hundred KB on disk. */
async function spacesBomb(name: string, head: string, megabytes: number): Promise<string> {
  const file = join(dir, name);
  const gzip = createGzip();
  const done = pipeline(gzip, createWriteStream(file));
  gzip.write(head);
  const spaces = Buffer.alloc(1024 * 1024, 0x20);
  for (let i = 0; i < megabytes; i++) if (!gzip.write(spaces)) await once(gzip, "drain");
  gzip.end();
  await done;
  return file;
}

test("a gzip of an OTLP header and 300 MiB of spaces ends with a clear exit 2 in bounded memory", async () => {
  const bomb = await spacesBomb("bomb.json.gz", '{"resourceSpans": [{"resource": ', 300);
  const probeFile = join(dir, "probe.json");
  const run = spawnSync(process.execPath, ["--import", PROBE, MAIN, "analyze", bomb], {
    encoding: "utf8",
    env: { ...process.env, BENEATH_DEBUG: "", BENEATH_SCALE_PROBE: probeFile },
  });
  assertUsageError({ status: run.status, stdout: run.stdout, stderr: run.stderr }, "bomb.json.gz: line 1, column ");
  assert.match(run.stderr, /ends early|over 128 MiB/);
  const { peakRssBytes } = JSON.parse(readFileSync(probeFile, "utf8"));
  // The spaces are skipped, never held: memory stays near node's own, far below the 300 MiB expanded.
  assert.ok(peakRssBytes < 250 * 2 ** 20, `peak RSS ${peakRssBytes}`);
});

test("--max-file-size: content beyond it, once un-gzipped, skips the file and names the flag", async () => {
  const bomb = await spacesBomb("big.json.gz", '{"resourceSpans": ', 20);
  await assert.rejects(readCaseWithFormats([bomb], { limits: { maxFileBytes: 8 * 2 ** 20 } }), (error: unknown) => {
    assert.ok(error instanceof ReadError, String(error));
    assert.match(error.message, /big\.json\.gz: content: at most 8 MiB of content \(--max-file-size\)/);
    return true;
  });
  assertUsageError(beneath("analyze", bomb, "--max-file-size", "4M"), "--max-file-size");
  assertUsageError(beneath("analyze", bomb, "--max-file-size", "lots"), "--max-file-size");
});

test("--max-file-time: a file still being read after it is skipped and listed; the other files are read", async () => {
  const good = join(dir, "good.json");
  writeFileSync(
    good,
    JSON.stringify({
      status: "success",
      data: { resultType: "matrix", result: [{ metric: { __name__: "up", job: "a" }, values: [[1e9, "1"]] }] },
    }),
  );
  const slow = await spacesBomb("slow.json.gz", '{"resourceSpans": ', 64);
  // The small file is read in one chunk, well within the cap; un-gzipping 64 MiB takes longer.
  const limits = { maxFileSeconds: 0.02 };
  const { case: read } = await readCaseWithFormats([good, slow], { limits });
  assert.equal(read.series.length, 1);
  const skipped = read.skipped.find((s) => s.file === slow);
  assert.match(skipped?.reason ?? "", /a file read within 0.02 s \(--max-file-time\)/);
  await assert.rejects(readCaseWithFormats([slow], { limits }), ReadError);
});

/** A JSON-lines log of `lines` short lines, one line of `longBytes` after the first `longAt` (none when 0). */
function logWithLongLine(
  name: string,
  lines: number,
  longAt: number,
  longBytes: number,
): { path: string; longStart: number } {
  const parts: string[] = [];
  let longStart = -1;
  let bytes = 0;
  for (let i = 0; i < lines; i++) {
    if (i === longAt && longBytes > 0) {
      longStart = bytes;
      const long = `${JSON.stringify({ ts: 1_700_000_000 + i, msg: "x".repeat(longBytes) })}\n`;
      parts.push(long);
      bytes += Buffer.byteLength(long);
    }
    const line = `${JSON.stringify({ ts: 1_700_000_000 + i, service: "cart", msg: `order ${i} paid` })}\n`;
    parts.push(line);
    bytes += Buffer.byteLength(line);
  }
  const path = join(dir, name);
  writeFileSync(path, parts.join(""));
  return { path, longStart };
}

/** The lines of a plain file parsed on worker threads, in small chunks, under the limits. */
async function readLines(path: string, workers: number, limits: Partial<ReadLimits>): Promise<number> {
  const capped = { ...DEFAULT_READ_LIMITS, ...limits };
  const input: ReaderInput = {
    file: path,
    head: "",
    // Only the chunked path is taken here: the streamed one is readCaseWithFormats'.
    async *lines() {},
    async *bytes() {},
    plainFile: { path, size: statSync(path).size, limits: capped },
  };
  let count = 0;
  const spec = { parser: "json-lines" as const, fallbackLabels: {} };
  await forEachParsedLine(input, spec, parseLogLine, () => count++, { workers, chunkBytes: 4096, minBytes: 0 });
  return count;
}

/** The ReadError a promise rejects with. */
async function readErrorOf(promise: Promise<unknown>): Promise<ReadError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ReadError, String(error));
    return error;
  }
  assert.fail("expected a ReadError");
}

test("the caps hold on the worker threads' path as on the streamed one: size, time and line length, named alike", async () => {
  const { path, longStart } = logWithLongLine("long-line.jsonl", 2000, 700, 10_000);
  assert.equal(await readLines(path, 2, {}), 2001, "within the default caps every line is read");
  // Line length: the same error (file, where the line starts, the flag) from worker threads and from readline.
  const limits = { maxLineBytes: 5000 };
  const parallel = await readErrorOf(readLines(path, 2, limits));
  const streamed = await readErrorOf(readCaseWithFormats([path], { limits }));
  assert.equal(parallel.message, streamed.message);
  assert.match(
    parallel.message,
    new RegExp(`long-line\\.jsonl: byte ${longStart}: lines of at most .* \\(--max-line-length\\)`),
  );
  // Content size and reading time: named by their flags.
  assert.match((await readErrorOf(readLines(path, 2, { maxFileBytes: 50_000 }))).message, /\(--max-file-size\)/);
  assert.match((await readErrorOf(readLines(path, 2, { maxFileSeconds: 0 }))).message, /\(--max-file-time\)/);
});

test("a file ending in one endless line stops at the line cap, on worker threads and streamed, without reading it whole", async () => {
  const path = join(dir, "endless.jsonl");
  const head = '{"ts": 1700000000, "msg": "started"}\n{"ts": 1700000001, "msg": "running"}\n';
  writeFileSync(path, `${head}{"ts": 1700000002, "msg": "${"y".repeat(3 * 2 ** 20)}`);
  const limits = { maxLineBytes: 2 ** 20 };
  const where = `endless\\.jsonl: byte ${Buffer.byteLength(head)}: lines of at most 1 MiB \\(--max-line-length\\)`;
  assert.match((await readErrorOf(readLines(path, 2, limits))).message, new RegExp(where));
  assert.match((await readErrorOf(readCaseWithFormats([path], { limits }))).message, new RegExp(where));
  assertUsageError(beneath("analyze", path, "--max-line-length", "1M"), "--max-line-length");
  assertUsageError(beneath("analyze", path, "--max-line-length", "long"), "--max-line-length");
});
