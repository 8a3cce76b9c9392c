import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { analyze } from "../src/analyze.js";
import { renderJson } from "../src/diagnosis/renderJson.js";
import { LISTED_SOURCES } from "../src/diagnosis/sources.js";
import { validateDiagnosis } from "../src/diagnosis/validate.js";

const example = "examples/train-ticket-route-delay";
const truth = JSON.parse(readFileSync(`${example}/truth.json`, "utf8"));
/** The budget for a machine-readable diagnosis of a real case. */
const MAX_JSON_BYTES = 30 * 1024;

test("the JSON of a real case is compact, valid, and every evidence item carries its numbers and source", async () => {
  const at = Date.parse(truth.alert_time) / 1e3;
  const d = await analyze([example], { at });
  const json = renderJson(d);
  assert.ok(Buffer.byteLength(json) < MAX_JSON_BYTES, `${Buffer.byteLength(json)} bytes`);
  assert.deepEqual(validateDiagnosis(JSON.parse(json)), []);
  const evidence = d.causes.flatMap((c) => c.evidence);
  assert.ok(evidence.length > 0);
  for (const e of evidence) {
    assert.ok(Number.isFinite(e.score), `${e.id} score`);
    assert.ok(Number.isFinite(e.value), `${e.id} value: ${e.detail}`);
    assert.ok(e.series || e.template || e.unit, `${e.id} names what it measured`);
  }
  const summary = d.input.source_summary ?? [];
  const files = summary.reduce((n, s) => n + s.files, 0);
  assert.ok(files > LISTED_SOURCES, "the example has more files than are listed");
  assert.equal(d.input.sources.length, LISTED_SOURCES);
  assert.ok(summary.every((s) => s.bytes > 0));

  const listed = await analyze([example], { at, listInputs: true });
  assert.equal(listed.input.sources.length, files);
});
