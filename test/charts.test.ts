import assert from "node:assert/strict";
import { test } from "node:test";
import { chainCharts, thin, withGaps } from "../src/diagnosis/charts.js";
import type { Cause, DiagnosisEvidence } from "../src/diagnosis/types.js";
import { buildCase, minute } from "./helpers/caseBuilder.js";

/** Connections held: flat at 100, then from minute 30 a climb to the limit of 648. */
const held = (m: number) => (m < 30 ? 100 : Math.min(648, 100 + (m - 30) * 40));

function evidence(id: string, entity: string, metric: string, labels: Record<string, string>): DiagnosisEvidence {
  return {
    id,
    entity,
    type: "anomaly",
    signal: metric,
    detail: "",
    excerpt: "",
    start: new Date(minute(30) * 1e3).toISOString(),
    score: 0.9,
    value: 648,
    baseline: 100,
    unit: "connections",
    series: { metric, labels },
  };
}

function cause(): Cause {
  return {
    rank: 1,
    entity: "service:shipping",
    kind: "db.connection-hoarding",
    confidence: 0.8,
    start: new Date(minute(30) * 1e3).toISOString(),
    chain: [
      { entity: "service:shipping", effect: "holds connections", evidence: ["e1", "e2"], role: "cause" },
      { entity: "service:mysql", effect: "at max_connections", evidence: ["e3"], role: "resource" },
      { entity: "service:web", effect: "errors", evidence: ["e3"], role: "symptom" },
    ],
    resource_usage: { entity: "service:mysql", name: "max_connections", used: 648, limit: 648, unit: "connections" },
    evidence: [
      evidence("e1", "service:shipping", "hikaricp_connections", { pod: "shipping-a" }),
      evidence("e2", "service:shipping", "hikaricp_connections", { pod: "shipping-b" }),
      evidence("e3", "service:mysql", "mysql_global_status_threads_connected", {}),
    ],
    remediation: { now: [], fix: [] },
    why: "",
  };
}

test("a chart per link: the link's own series on every pod, the resource against its limit, nothing drawn twice", () => {
  const c = buildCase({
    minutes: 60,
    series: [
      { metric: "hikaricp_connections", labels: { service: "shipping", pod: "shipping-a" }, at: (m) => held(m) / 2 },
      { metric: "hikaricp_connections", labels: { service: "shipping", pod: "shipping-b" }, at: (m) => held(m) / 2 },
      { metric: "mysql_global_status_threads_connected", labels: { service: "mysql" }, at: held },
    ],
  });
  const charts = chainCharts(cause(), c, minute(45));
  assert.deepEqual(
    charts.map((ch) => [ch.role, ch.entity, ch.lines.length]),
    [
      ["cause", "service:shipping", 2],
      ["resource", "service:mysql", 1],
    ],
    "the symptom cites only the database's series, already drawn",
  );
  const resource = charts[1];
  assert.equal(resource.limit, 648);
  assert.equal(resource.onset, minute(30));
  assert.equal(resource.alert, minute(45));
  // Normal is what came before the onset: flat at 100, not the climb after it.
  assert.deepEqual(resource.band, { low: 100, high: 100 });
  assert.equal(resource.unit, "connections");
});

test("thinning keeps a spike and the time order", () => {
  const t = Array.from({ length: 10_000 }, (_, i) => i);
  const v = t.map((i) => (i === 7777 ? 1000 : i % 7));
  const thinned = thin(t, v, 200);
  assert.ok(thinned.t.length <= 200);
  assert.ok(thinned.v.includes(1000));
  assert.deepEqual(
    thinned.t,
    [...thinned.t].sort((a, b) => a - b),
  );
});

test("a gap in the data becomes a break in the line, not a bridge", () => {
  const t = [0, 15, 30, 45, 600, 615, 630];
  const v = [1, 2, 3, 4, 5, 6, 7];
  assert.deepEqual(withGaps({ t, v }), { t: [0, 15, 30, 45, 60, 600, 615, 630], v: [1, 2, 3, 4, null, 5, 6, 7] });
  assert.deepEqual(withGaps({ t: [0, 15, 30], v: [1, 2, 3] }), { t: [0, 15, 30], v: [1, 2, 3] });
});
