import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { COUNTER_RATE_UNIT } from "../src/case/builder.js";
import { unitOfSeries } from "../src/case/units.js";
import {
  againstBaseline,
  axisScale,
  formatNumber,
  formatQuantity,
  plainText,
  strengthWords,
} from "../src/diagnosis/units.js";

const E_NOTATION = /\d(?:\.\d+)?e[-+]?\d/i;

test("a metric's name gives its unit; a counter turned into a rate keeps what it counts", () => {
  assert.equal(unitOfSeries("process_resident_memory_bytes"), "bytes");
  assert.equal(unitOfSeries("http_server_requests_seconds_max"), "seconds");
  assert.equal(unitOfSeries("node_network_transmit_bytes_total", COUNTER_RATE_UNIT), "bytes per second");
  assert.equal(unitOfSeries("http_request_duration_seconds_sum", COUNTER_RATE_UNIT), "seconds per second");
  // Observations and plain counters count events: requests per second, not seconds per second.
  assert.equal(unitOfSeries("http_request_duration_seconds_count", COUNTER_RATE_UNIT), "per second");
  assert.equal(unitOfSeries("http_request_duration_seconds_bucket", COUNTER_RATE_UNIT), "per second");
  assert.equal(unitOfSeries("mysql_global_status_connection_errors_total", COUNTER_RATE_UNIT), "per second");
  // A gauge is never a rate, and a unit the source stated wins over the name.
  assert.equal(unitOfSeries("queue_depth"), undefined);
  assert.equal(unitOfSeries("CpuUsageRate(%)", "%"), "%");
});

test("values read the way people say them, with no e-notation", () => {
  assert.equal(formatQuantity(48, "seconds"), "48 s");
  assert.equal(formatQuantity(0.25, "seconds"), "250 ms");
  assert.equal(formatQuantity(900, "seconds"), "15 min");
  assert.equal(formatQuantity(2.51e-5, "bytes per second"), "< 0.001 B/s");
  assert.equal(formatQuantity(2.51e-5, "seconds"), "25.1 µs");
  assert.equal(formatQuantity(156.5, "seconds per second"), "157 s/s");
  assert.equal(formatQuantity(3 * 1024 ** 3, "bytes"), "3 GiB");
  assert.equal(formatQuantity(157286400, "bytes"), "150 MiB");
  assert.equal(formatQuantity(0.427, "ratio"), "42.7%");
  assert.equal(formatQuantity(6.3, "per second"), "6.3/s");
  assert.equal(formatQuantity(17.2), "17.2");
  assert.equal(formatQuantity(648, "connections"), "648 connections");
  assert.equal(formatNumber(4785), "4,785");
  for (const v of [2.03e-12, -4e-9, 1e21, 123456789.123, 1e-300])
    assert.doesNotMatch(formatNumber(v), E_NOTATION, String(v));
});

test("strength is said in words and against the baseline", () => {
  assert.equal(strengthWords(0.95), "very strong");
  assert.equal(strengthWords(0.5), "moderate");
  assert.equal(strengthWords(0.1), "weak");
  assert.equal(againstBaseline(48, 1.1), "43.6× baseline");
  assert.equal(againstBaseline(4, 10), "60% below baseline");
  assert.equal(againstBaseline(6.3, 0), "from zero");
  assert.equal(againstBaseline(2.5e-5, 2e-12), "from near zero");
  assert.equal(againstBaseline(120_500, 90.4), "1,333× baseline");
  assert.equal(againstBaseline(0, 1), "down to zero");
  assert.equal(againstBaseline(420, 420), "+0% vs baseline");
  assert.equal(againstBaseline(undefined, 3), undefined);
});

test("engine prose loses its σ figures and e-notation", () => {
  assert.equal(
    plainText("x moved from 2.03e-12 per second to 2.51e-5 per second (856.4σ against its baseline)"),
    "x moved from < 0.001 per second to < 0.001 per second",
  );
});

test("a chart axis picks the unit its largest value reads best in", () => {
  assert.deepEqual(axisScale("bytes", 300 * 1024 ** 2), { divisor: 1024 ** 2, label: "MiB" });
  assert.deepEqual(axisScale("seconds", 0.4), { divisor: 1e-3, label: "ms" });
  assert.deepEqual(axisScale("bytes per second", 5 * 1024 ** 3), { divisor: 1024 ** 3, label: "GiB/s" });
  assert.deepEqual(axisScale("ratio", 0.7), { divisor: 0.01, label: "%" });
  assert.deepEqual(axisScale("connections", 648), { divisor: 1, label: "connections" });
  assert.deepEqual(axisScale(undefined, 5), { divisor: 1, label: "" });
});

test("time spent per second on a chart axis reads as a duration per second", () => {
  assert.deepEqual(axisScale("seconds per second", 0.0012), { divisor: 1e-3, label: "ms/s" });
});

test("a label selector in engine prose longer than the limit keeps only its metric name", () => {
  const long = `mysql_up{instance="${"a".repeat(120)}"}`;
  assert.equal(plainText(`${long} moved; up{job="x"} stayed`), 'mysql_up{…} moved; up{job="x"} stayed');
});

test("numbers from a thousand up are grouped as Intl's en-US format groups them, halves and signs included", () => {
  const intl = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const fixed = [1000, 1000.5, -1000.5, 2.5e6, 1234567.4999, 2 ** 53 + 2, 9.99e20, 1e21, -3.7e25, 1e308];
  for (const v of fixed) assert.equal(formatNumber(v), intl.format(v), String(v));
  fc.assert(
    fc.property(
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((v) => Math.abs(v) >= 1000),
      (v) => formatNumber(v) === intl.format(v),
    ),
    { numRuns: 5000 },
  );
});
