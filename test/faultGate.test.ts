/** A cause must show a fault: a wait nobody feels is not a slowdown, however many times it grew. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../src/analyze.js";
import { buildCase, minute, type SeriesSpec } from "./helpers/caseBuilder.js";

const POOL = { job: "shipping", service: "shipping", pod: "shipping-7d9f8c6b5-x2x9q", pool: "HikariPool-1" };
/** A counter that counts `perSecond(m)` each second, sampled every 15 s. */
function counter(perSecond: (m: number) => number): (m: number) => number {
  return (m) => {
    let total = 0;
    for (let x = 0; x < m; x += 0.25) total += perSecond(x) * 15;
    return total;
  };
}

/** A pool whose connection acquisitions take `waitSeconds` each from minute 40 on (a microsecond before). */
function poolCase(waitSeconds: number) {
  const acquisitionsPerSecond = 2;
  const series: SeriesSpec[] = [
    {
      metric: "hikaricp_connections_acquire_seconds_sum",
      labels: POOL,
      at: counter((m) => acquisitionsPerSecond * (m < 40 ? 1e-6 : waitSeconds)),
    },
    { metric: "hikaricp_connections_acquire_seconds_count", labels: POOL, at: counter(() => acquisitionsPerSecond) },
  ];
  return buildCase({ minutes: 50, series });
}

test("an acquisition wait that grew 20-fold but stays at 20 µs blames no one", async () => {
  const d = await analyze(poolCase(20e-6), { at: minute(40) });
  for (const cause of d.causes)
    assert.ok(cause.confidence < 0.5, `${cause.entity} ${cause.kind} at ${cause.confidence}`);
});

test("the same pool waiting 200 ms per acquisition is a slowdown and is blamed", async () => {
  const d = await analyze(poolCase(0.2), { at: minute(40) });
  assert.equal(d.causes[0]?.entity, "service:shipping");
  assert.ok(d.causes[0].confidence >= 0.5, `at ${d.causes[0].confidence}`);
});
