import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { writeDistinctNameLogs, writeJsonLinesLogs, writeOtlpSpans, writeQueryRange } from "../bench/scaleInputs.js";
import { allMet, growthExponent, renderTable, type ScaleRun, verdicts } from "../bench/scaleReport.js";
import { readCase, readCaseWithFormats } from "../src/read/index.js";

function run(input: ScaleRun["input"], bytes: number, cpuSeconds: number, extra: Partial<ScaleRun> = {}): ScaleRun {
  return {
    input,
    bytes,
    items: bytes / 100,
    wallSeconds: cpuSeconds,
    cpuSeconds,
    peakRssBytes: 100e6,
    outcome: "ok",
    ...extra,
  };
}

test("bench:scale: the growth exponent of a power law is its power, and needs two sizes", () => {
  const law = (k: number) => [1e8, 3.16e8, 1e9].map((size) => ({ size, seconds: 2e-8 * size ** k }));
  assert.ok(Math.abs((growthExponent(law(1)) as number) - 1) < 1e-9);
  assert.ok(Math.abs((growthExponent(law(1.3)) as number) - 1.3) < 1e-9);
  assert.equal(growthExponent([{ size: 1e8, seconds: 3 }]), undefined);
});

test("bench:scale: targets judge the full-size run only; time that grows faster than linear misses at any size", () => {
  const linear = [run("query-range", 1e8, 4), run("query-range", 1e9, 38)];
  const [fast] = verdicts(linear);
  assert.ok(fast.atTargetSize && fast.wallOk && fast.memoryOk && fast.exponentOk);
  assert.ok(allMet([fast]));

  const slow = verdicts([run("query-range", 1e8, 4), run("query-range", 1e9, 41, { peakRssBytes: 2e9 })]);
  assert.ok(!slow[0].wallOk && !slow[0].memoryOk && !allMet(slow));

  const quick = verdicts([run("spans", 1e7, 1, { items: 1e4 }), run("spans", 1e8, 30, { items: 1e5 })]);
  assert.equal(quick[0].atTargetSize, false, "100k spans is not the 1M the target is stated at");
  assert.equal(quick[0].exponentOk, false, "30x the time for 10x the spans");
  assert.ok(!allMet(quick));
  assert.match(
    renderTable([...linear], verdicts(linear)),
    /query-range at 1000 MB: wall 38\.0 s \(target ≤ 40 s, ok\)/,
  );

  const failed = verdicts([run("json-lines", 1e9, 0, { outcome: "failed (exit 2): no data" })]);
  assert.deepEqual(failed, [], "a failed run is not judged as if it were fast");
});

test("bench:scale: the generated inputs are about the size asked for and read as their format", async () => {
  const dir = mkdtempSync(join(tmpdir(), "beneath-scale-test-"));
  try {
    const logs = await writeJsonLinesLogs(join(dir, "logs.jsonl"), 300_000);
    const matrix = await writeQueryRange(join(dir, "range.json"), 300_000);
    await writeOtlpSpans(join(dir, "spans.json"), 1200);
    for (const written of [logs, matrix])
      assert.ok(Math.abs(written.bytes - 300_000) < 30_000, `${written.bytes} bytes`);
    assert.equal(JSON.parse(readFileSync(join(dir, "range.json"), "utf8")).data.result.length, matrix.items);
    const read = await readCase([dir]);
    assert.equal(read.series.length, matrix.items);
    assert.equal(read.spans.length, 1200);
    assert.equal(
      read.logs.templates.reduce((sum, t) => sum + t.total, 0),
      logs.items,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bench:scale: the distinct-names logs name as many services as they say, folded beyond the cap", async () => {
  const dir = mkdtempSync(join(tmpdir(), "beneath-scale-test-"));
  try {
    const file = join(dir, "names.jsonl");
    const written = await writeDistinctNameLogs(file, 40_000);
    const maxEntities = 50;
    const { case: c } = await readCaseWithFormats([file], { maxEntities });
    const services = c.folded?.find((f) => f.kind === "service");
    assert.ok(written.items > 200, `${written.items} names`);
    assert.deepEqual(services, {
      kind: "service",
      into: "service:(folded)",
      names: written.items - maxEntities,
      estimated: false,
      cap: maxEntities,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
