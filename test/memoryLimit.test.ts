/**
 * A container killed at its memory limit: kube-state-metrics' last termination reason with the restarts
 * it caused, and cAdvisor's working set against its limit. New kills make a memory leak the cause; kills
 * that went on all along are an old fault, and restarts for another reason are no memory evidence.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../src/analyze.js";
import { detectMemoryLimits } from "../src/detect/memoryLimit.js";
import { resourceSpan } from "../src/detect/resourceSeries.js";
import { DEFAULT_INCIDENT_SECONDS, makeWindow } from "../src/detect/window.js";
import { buildCase, type LogSpec, minute, type SeriesSpec } from "./helpers/caseBuilder.js";

const LIMIT = 512 * 2 ** 20;
const MINUTES = 40;
const ALERT = 36;

/** Cart's one container: its working set climbs from `leakFrom` and is killed each time it reaches LIMIT. */
function leakCase(leakFrom: number, reason = "OOMKilled", logs: LogSpec[] = []) {
  const pod = { namespace: "shop", pod: "cart-5c7d9f8b6-x2k4q", container: "cart" };
  const perMinute = LIMIT / 4;
  const killsBy = (m: number) => (m < leakFrom ? 0 : Math.floor((m - leakFrom) / 4));
  const used = (m: number) => 200 * 2 ** 20 + (m < leakFrom ? 0 : ((m - leakFrom) % 4) * perMinute * 0.6);
  const series: SeriesSpec[] = [
    { metric: "container_memory_working_set_bytes", labels: pod, at: used },
    { metric: "container_spec_memory_limit_bytes", labels: pod, at: () => LIMIT },
    { metric: "kube_pod_container_status_restarts_total", labels: pod, at: killsBy },
    {
      metric: "kube_pod_container_status_last_terminated_reason",
      labels: { ...pod, reason },
      at: (m) => (killsBy(m) > 0 ? 1 : Number.NaN),
    },
    { metric: "http_server_requests_seconds_count", labels: pod, at: (m) => m * 600 },
  ];
  return buildCase({ minutes: MINUTES, series, logs });
}

function evidenceOf(leakFrom: number, reason?: string) {
  const c = leakCase(leakFrom, reason);
  let n = 0;
  return detectMemoryLimits(
    c,
    resourceSpan(c, makeWindow(minute(ALERT), DEFAULT_INCIDENT_SECONDS, minute(MINUTES))),
    () => `e${++n}`,
  );
}

test("kills that began in the incident, at the limit, are new memory evidence with the limit's numbers", () => {
  const [e] = evidenceOf(22);
  assert.ok(e, "the kills are found");
  assert.equal(e.family, "memory");
  assert.equal(e.limit, LIMIT);
  assert.ok(e.strength >= 0.9);
  assert.ok(e.start >= minute(22) && e.start <= minute(27), `the first kill, at ${e.start}`);
  // Killed at minutes 26, 30, 34 and 38: the incident runs five minutes past the alert.
  assert.match(e.detail, /OOMKilled 4 times since .*of a 512 MiB limit, none before/);
});

test("kills that went on since the recording began are weaker: an old fault, not what changed", () => {
  const [e] = evidenceOf(0);
  assert.ok(e);
  assert.ok(e.strength < 0.5);
  assert.match(e.detail, /before the incident too/);
});

test("restarts whose last termination was not an OOM kill are no memory evidence", () => {
  assert.deepEqual(evidenceOf(22, "Error"), []);
});

test("the leaking service is the cause, as a memory leak", async () => {
  const d = await analyze(leakCase(22), { at: minute(ALERT) });
  assert.equal(d.causes[0]?.kind, "memory.leak");
  assert.match(d.causes[0]?.entity ?? "", /cart/);
});

test("the chain leads with the kills that define the leak, before the errors they caused", async () => {
  const c = leakCase(22, "OOMKilled", [
    {
      labels: { namespace: "shop", pod: "cart-5c7d9f8b6-x2k4q", container: "cart" },
      message: "upstream request to pricing failed: connection reset by peer",
      level: "error",
      perMinute: (m) => (m >= 26 ? 40 : 0),
    },
  ]);
  const d = await analyze(c, { at: minute(ALERT) });
  const [root] = d.causes[0]?.chain ?? [];
  assert.equal(d.causes[0]?.kind, "memory.leak");
  assert.match(root?.effect ?? "", /OOMKilled/);
});
