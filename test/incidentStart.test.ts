import assert from "node:assert/strict";
import { test } from "node:test";
import type { Case, Series } from "../src/case/model.js";
import { SpanTable } from "../src/case/spanTable.js";
import { detectIncidentStart } from "../src/detect/incidentStart.js";

/** Deterministic noise so the test never flakes. */
function noise(i: number): number {
  return Math.sin(i * 12.9898) * 0.5;
}

function caseOf(series: Series[]): Case {
  return {
    entities: new Map(),
    relations: [],
    series,
    logs: { bucketSeconds: 10, templates: [] },
    spans: SpanTable.of([]),
    events: [],
    objects: [],
    sources: [],
    skipped: [],
  };
}

test("the incident start is where the series depart, also across a gap to an earlier reference recording", () => {
  // 300 normal seconds a day earlier, then 300 s of incident; a CPU jumps and a memory grows, others stay.
  const t = [...Array.from({ length: 300 }, (_, i) => i), ...Array.from({ length: 300 }, (_, i) => 86400 + i)];
  const cpu = t.map((_, i) => (i < 300 ? 1 : 95) + noise(i));
  const mem = t.map((_, i) => (i < 300 ? 1e8 : 1e8 + 1e6 * (i - 300)) + 1e5 * noise(i));
  const quiet = t.map((_, i) => 10 + noise(i + 7));
  const series = (metric: string, v: number[], entity: string): Series => ({
    entity,
    metric,
    labels: {},
    t: Float64Array.from(t),
    v: Float64Array.from(v),
  });
  const start = detectIncidentStart(
    caseOf([series("cpu", cpu, "service:a"), series("mem", mem, "service:a"), series("cpu", quiet, "service:b")]),
  );
  // The CPU departs at 86400, the growing memory passes 3σ a few seconds later: the start is their median.
  assert.ok(start !== undefined && start >= 86400 && start <= 86405, `start ${start}`);
});
