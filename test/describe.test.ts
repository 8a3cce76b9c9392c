import assert from "node:assert/strict";
import { test } from "node:test";
import { describeEvidence, MAX_NAME_CHARS, seriesName } from "../src/diagnosis/describe.js";
import type { DiagnosisEvidence } from "../src/diagnosis/types.js";

function item(fields: Partial<DiagnosisEvidence>): DiagnosisEvidence {
  return {
    id: "e1",
    entity: "service:a",
    type: "anomaly",
    signal: "x",
    detail: "x moved (12σ)",
    excerpt: "",
    ...fields,
  };
}

test("a series is named by what it measures, not where, and never past the length limit", () => {
  assert.equal(
    seriesName({
      metric: "http_requests_total",
      labels: { pod: "a-1", instance: "10.0.0.1:80", code: "500", state: "" },
    }),
    'http_requests_total{code="500"}',
  );
  const long = seriesName({ metric: "m", labels: { query: "x".repeat(200) } });
  assert.ok(long.length <= MAX_NAME_CHARS);
  assert.equal(long, "m");
});

test("evidence is said from its numbers; without numbers, from its detail made plain", () => {
  assert.equal(
    describeEvidence(
      item({ series: { metric: "mem_bytes", labels: {} }, value: 3 * 1024 ** 3, baseline: 1024 ** 3, unit: "bytes" }),
    ),
    "mem_bytes 1 GiB → 3 GiB (3× baseline)",
  );
  assert.equal(
    describeEvidence(
      item({ series: { metric: "conns", labels: {} }, value: 648, baseline: 200, limit: 648, unit: "connections" }),
    ),
    "conns 200 → 648 of 648 connections (the limit) (3.24× baseline)",
  );
  assert.equal(
    describeEvidence(item({ type: "trace", signal: "error spans", value: 11, baseline: 0.3, unit: "spans" })),
    "error spans: 11 vs 0.3 expected",
  );
  assert.equal(describeEvidence(item({})), "x moved");
});
