import assert from "node:assert/strict";
import { test } from "node:test";
import { counterRate, isCounterName } from "../src/case/counters.js";

test("counter names follow the Prometheus conventions; gauges that mention totals are not counters", () => {
  assert.equal(isCounterName("http_requests_total"), true);
  assert.equal(isCounterName("http_server_requests_seconds_count"), true);
  assert.equal(isCounterName("http_server_requests_seconds_sum"), true);
  assert.equal(isCounterName("node_memory_MemTotal_bytes"), false);
  assert.equal(isCounterName("container_memory_working_set_bytes"), false);
});

test("a counter becomes its per-second rate, and a reset counts from zero", () => {
  const t = Float64Array.from([0, 10, 20, 30]);
  const v = Float64Array.from([100, 150, 250, 40]);
  const rate = counterRate(t, v);
  assert.ok(rate);
  assert.deepEqual([...rate.t], [10, 20, 30]);
  assert.deepEqual([...rate.v], [5, 10, 4]);
});

test("a series with negative values is not treated as a counter", () => {
  assert.equal(counterRate(Float64Array.from([0, 1]), Float64Array.from([-1, 2])), undefined);
});

test("a counter without a counter suffix is known by its shape; a plateau or a noisy gauge is not", async () => {
  const { looksLikeCounter } = await import("../src/case/counters.js");
  const rising = Float64Array.from({ length: 40 }, (_, i) => 1000 + i * 7 + (i % 3));
  assert.equal(looksLikeCounter(rising), true);
  const withReset = Float64Array.from({ length: 100 }, (_, i) => (i < 25 ? 500 + i * 10 : (i - 25) * 10));
  assert.equal(looksLikeCounter(withReset), true);
  const constant = new Float64Array(40).fill(648);
  assert.equal(looksLikeCounter(constant), false);
  const noisyGauge = Float64Array.from({ length: 40 }, (_, i) => 300 + ((i * 37) % 11));
  assert.equal(looksLikeCounter(noisyGauge), false);
});

test("a gauge named like a counter (pg_stat_activity_count) stays a gauge; a counter named so becomes a rate", async () => {
  const { rateIfCounter } = await import("../src/case/counters.js");
  const t = Float64Array.from({ length: 40 }, (_, i) => i * 15);
  const gauge = Float64Array.from({ length: 40 }, (_, i) => 20 + ((i * 7) % 5));
  assert.equal(rateIfCounter("pg_stat_activity_count", t, gauge), undefined);
  const counter = Float64Array.from({ length: 40 }, (_, i) => i * 30);
  assert.deepEqual([...(rateIfCounter("http_requests_total", t, counter)?.v ?? [])].slice(0, 2), [2, 2]);
});

test("a leaking memory gauge that rises at every scrape stays a level: its name says bytes, not a total", async () => {
  const { rateIfCounter } = await import("../src/case/counters.js");
  const t = Float64Array.from({ length: 40 }, (_, i) => i * 15);
  const leak = Float64Array.from({ length: 40 }, (_, i) => 1e9 + i * 5e7);
  assert.equal(rateIfCounter("process_resident_memory_bytes", t, leak), undefined);
  assert.ok(rateIfCounter("node_netstat_Tcp_RetransSegs", t, leak));
});
