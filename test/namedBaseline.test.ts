/** A baseline the user names (`--baseline`, `--baseline-from`) replaces the hour before the alert. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { analyze } from "../src/analyze.js";
import { assertUsageError, beneath } from "./helpers/cli.js";

const T0 = 1_767_225_600;
const dir = mkdtempSync(join(tmpdir(), "beneath-baseline-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Two hours of a checkout service's logs: a steady INFO line every second, and from the second half hour
 * an ERROR line every second too — a fault that began long before the alert and never stopped, so the
 * hour before the alert already holds it.
 */
function writeLogs(): string {
  const lines: string[] = [];
  for (let t = T0; t < T0 + 7200; t++) {
    lines.push(JSON.stringify({ time: t * 1000, level: "info", msg: "order placed", service: "checkout" }));
    if (t >= T0 + 1800)
      lines.push(
        JSON.stringify({ time: t * 1000, level: "error", msg: "payment refused by gateway", service: "checkout" }),
      );
  }
  const file = join(dir, "checkout.jsonl");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}
const logs = writeLogs();
const at = T0 + 6000;

test("a fault already present before the alert is judged against a clean baseline the user names", async () => {
  const errorsIn = (d: Awaited<ReturnType<typeof analyze>>) =>
    d.causes.flatMap((c) => c.evidence).find((e) => e.signal.includes("payment refused"));
  const unnamed = errorsIn(await analyze([logs], { at }));
  assert.ok((unnamed?.baseline ?? 0) > 0, "before the alert the errors were already there: some are expected");
  const named = await analyze([logs], { at, baseline: { start: T0, end: T0 + 1500, namedBy: "--baseline" } });
  assert.equal(errorsIn(named)?.baseline, 0, "none in the named baseline: the error line is new");
  assert.equal(named.causes[0]?.entity, "service:checkout");
  assert.equal(named.baseline?.start, new Date(T0 * 1000).toISOString());
  assert.match(named.baseline?.why ?? "", /named by --baseline/);
});

test("--baseline takes <start>/<end>; a malformed or reversed one, or both flags at once, is exit 2", () => {
  assertUsageError(beneath("analyze", logs, "--baseline", "2026-01-01T00:00:00Z"), "Expected <start>/<end>");
  assertUsageError(beneath("analyze", logs, "--baseline", `${T0 + 60}/${T0}`), "end after its start");
  assertUsageError(beneath("analyze", logs, "--baseline", `${T0}/${T0 + 60}`, "--baseline-from", logs), "give one");
});

test("--baseline-from: the known-good files' time span is the baseline, and the Diagnosis says so", () => {
  const good = join(dir, "good.jsonl");
  const lines = [];
  for (let t = T0 - 3600; t < T0 - 1800; t++)
    lines.push(JSON.stringify({ time: t * 1000, level: "info", msg: "order placed", service: "checkout" }));
  writeFileSync(good, `${lines.join("\n")}\n`);
  const run = beneath("analyze", logs, "--at", String(at), "--baseline-from", good, "--format", "json");
  assert.equal(run.status, 0, run.stderr);
  const d = JSON.parse(run.stdout);
  assert.equal(d.baseline.start, new Date((T0 - 3600) * 1000).toISOString());
  assert.match(d.baseline.why, /known-good/);
  assert.equal(d.causes[0].entity, "service:checkout");
});
