/**
 * The kind follows the signal that defines it: CPU pinned at its limit with memory up a fifth is CPU
 * contention (the memory is buffers and in-flight work), while memory that grew several-fold beside
 * busy CPU (a leak's allocation churn) is a leak, however many deviations each moved.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../src/analyze.js";
import { bestKind } from "../src/reason/rank.js";
import { buildCase, counter, minute } from "./helpers/caseBuilder.js";

const POD = { namespace: "shop", pod: "cart-5c7d9f8b6-x2k4q", container: "cart" };
const LIMIT = 512 * 2 ** 20;
const FAULT_FROM = 30;
const wobble = (m: number, size: number) => size * Math.sin(m * 7.3);

/** One pod whose CPU goes from 6% to all of a core and whose memory goes from 30% of its limit to `memoryAfter`. */
function cpuAndMemory(memoryAfter: number) {
  return buildCase({
    minutes: 40,
    series: [
      {
        metric: "container_cpu_usage_seconds_total",
        labels: POD,
        at: counter((m) => (m >= FAULT_FROM ? 1 : 0.06 + wobble(m, 0.01))),
      },
      {
        metric: "container_memory_working_set_bytes",
        labels: POD,
        at: (m) => (m >= FAULT_FROM ? memoryAfter : 0.3) * LIMIT + wobble(m, 2 ** 20),
      },
      { metric: "container_spec_memory_limit_bytes", labels: POD, at: () => LIMIT },
    ],
  });
}

test("CPU pinned at a core with memory from 30% to 37% of its limit is CPU saturation, not a leak", async () => {
  const d = await analyze(cpuAndMemory(0.37), { at: minute(FAULT_FROM + 1) });
  assert.equal(d.causes[0]?.kind, "cpu.saturation");
});

test("memory that tripled beside busy CPU is a memory leak", async () => {
  const d = await analyze(cpuAndMemory(0.9), { at: minute(FAULT_FROM + 1) });
  assert.equal(d.causes[0]?.kind, "memory.leak");
});

test("a code error is not named beside memory killed at its limit, nor a bad deploy without a change", () => {
  assert.equal(bestKind({ errors: 1, log: 1, memory: 0.9 }).id, "memory.leak");
  assert.equal(bestKind({ errors: 1, log: 1 }).id, "code.error");
  assert.equal(bestKind({ errors: 1, log: 1, change: 0.45 }).id, "deploy.bad-change");
  assert.equal(bestKind({ errors: 1, log: 1, "packet-loss": 0.99, latency: 1 }).id, "network.packet-loss");
});
