import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { CaseBuilder } from "../src/case/builder.js";
import { resolveEntity, workloadOfPod } from "../src/case/entity.js";
import { parseDuration, parseTimestamp } from "../src/case/time.js";
import { fitBaseline } from "../src/detect/robust.js";

test("pod names fold to their workload", () => {
  assert.equal(workloadOfPod("shipping-7d9f8c6b5-x2x9q"), "shipping");
  assert.equal(workloadOfPod("ts-contacts-service-866bd68c97-xcqfx"), "ts-contacts-service");
  assert.equal(workloadOfPod("mysql-0"), "mysql");
  assert.equal(workloadOfPod("user-db"), "user-db");
  assert.equal(workloadOfPod("node-stats"), "node-stats");
});

test("labels resolve in the documented order; a generic container name does not hide the pod", () => {
  assert.equal(resolveEntity({ service: "carts", pod: "x-7d9f8c6b5-x2x9q" })?.primary.id, "service:carts");
  assert.equal(resolveEntity({ pod: "shipping-7d9f8c6b5-x2x9q", container: "server" })?.primary.id, "service:shipping");
  assert.equal(resolveEntity({ job: "kube-state-metrics", pod: "web-7d9f8c6b5-x2x9q" })?.primary.id, "service:web");
  assert.equal(resolveEntity({ node: "ip-10-0-1-12" })?.primary.id, "node:ip-10-0-1-12");
  // node_exporter's series name the node they describe; their job names only the exporter.
  assert.equal(
    resolveEntity({ job: "node-exporter", node: "ip-10-0-1-12", instance: "10.0.1.12:9100" })?.primary.id,
    "node:ip-10-0-1-12",
  );
  assert.equal(resolveEntity({ job: "mysql", instance: "db.example:3306" })?.primary.id, "service:mysql");
  // With only an address beside it: Prometheus' own name for node_exporter's job, or node_exporter's metric names.
  assert.equal(resolveEntity({ job: "node", instance: "10.0.1.12:9100" })?.primary.id, "node:10.0.1.12:9100");
  assert.equal(
    resolveEntity({ job: "hosts", instance: "10.0.1.12:9100" }, "node_load1")?.primary.id,
    "node:10.0.1.12:9100",
  );
  assert.equal(resolveEntity({ job: "hosts", instance: "10.0.1.12:9100" }, "up")?.primary.id, "service:hosts");
  assert.equal(resolveEntity({ le: "0.5" }), undefined);
});

test("timestamps in s, ms, µs and ns and ISO/Go strings agree; durations parse", () => {
  const expected = 1674981729;
  for (const text of [
    "1674981729",
    "1674981729000",
    "1674981729000000",
    "1674981729000000000",
    "2023-01-29T08:42:09Z",
  ]) {
    assert.equal(parseTimestamp(text), expected, text);
  }
  assert.equal(parseTimestamp("2023-01-29 08:42:09.5 +0000 UTC m=+60.09"), expected + 0.5);
  assert.ok(Number.isNaN(parseTimestamp("yesterday")));
  assert.equal(parseDuration("15m"), 900);
  assert.equal(parseDuration("1h"), 3600);
  assert.ok(Number.isNaN(parseDuration("soon")));
});

/** What an RFC 3339 stamp means, by Date.parse (whole milliseconds) and the fraction's decimal. */
function rfc3339Oracle(text: string): number {
  const fraction = /\.(\d+)/.exec(text);
  const zoned = /(Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`;
  const ms = Date.parse(fraction ? zoned.replace(fraction[0], "") : zoned);
  return ms / 1e3 + (fraction ? Number(`0.${fraction[1]}`) : 0);
}

test("RFC 3339 stamps, read by hand for speed, mean what Date.parse and their decimal fraction say", () => {
  const two = (n: number) => String(n).padStart(2, "0");
  const stamp = fc
    .record({
      year: fc.integer({ min: 1000, max: 9999 }),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 31 }),
      hour: fc.integer({ min: 0, max: 23 }),
      minute: fc.integer({ min: 0, max: 59 }),
      second: fc.integer({ min: 0, max: 59 }),
      fraction: fc.stringMatching(/^(\.\d{1,18})?$/),
      zone: fc.constantFrom("Z", "", "+05:30", "-08:00", "+00:00"),
    })
    .map(
      (p) =>
        `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}${p.fraction}${p.zone}`,
    );
  fc.assert(
    fc.property(stamp, (text) => {
      const expected = rfc3339Oracle(text);
      assert.ok(
        Object.is(parseTimestamp(text), expected) || (Number.isNaN(expected) && Number.isNaN(parseTimestamp(text))),
        text,
      );
    }),
    { numRuns: 2000 },
  );
  // Consecutive lines within one minute, and the minute after: the remembered minute must not leak.
  assert.equal(parseTimestamp("2023-01-29T08:42:09.25Z"), 1674981729.25);
  assert.equal(parseTimestamp("2023-01-29T08:43:09Z"), 1674981789);
  assert.equal(parseTimestamp("2023-01-29T10:43:09+02:00"), 1674981789);
});

test("series from several files merge in time order; log lines become template counts", () => {
  const builder = new CaseBuilder();
  const a = builder.sinkFor("a.csv");
  const b = builder.sinkFor("b.csv");
  b.addSamples({ service: "carts" }, "cpu", [30, 40], [3, 4]);
  a.addSamples({ service: "carts" }, "cpu", [10, 20], [1, 2]);
  a.addLog({ t: 10, message: "ERROR order 1234 failed", labels: { service: "orders" } });
  a.addLog({ t: 11, message: "ERROR order 5678 failed", labels: { service: "orders" } });
  const c = builder.build();
  assert.equal(c.series.length, 1);
  assert.deepEqual([...c.series[0].t], [10, 20, 30, 40]);
  assert.deepEqual([...c.series[0].v], [1, 2, 3, 4]);
  assert.equal(c.logs.templates.length, 1);
  assert.equal(c.logs.templates[0].total, 2);
  assert.equal(c.logs.templates[0].level, "error");
});

test("robust scale: a flat baseline does not make a tiny change infinite, and units do not matter", () => {
  const flat = fitBaseline([100, 100, 100, 100, 100], 100);
  assert.ok(flat.scale > 0);
  assert.ok((100.5 - flat.median) / flat.scale < 1, "a 0.5% wiggle on a flat baseline stays under 1σ");
  const bytes = fitBaseline([1e6, 1.1e6, 0.9e6, 1.05e6, 0.95e6], 2e6);
  const megabytes = fitBaseline([1, 1.1, 0.9, 1.05, 0.95], 2);
  assert.ok(Math.abs((3e6 - bytes.median) / bytes.scale - (3 - megabytes.median) / megabytes.scale) < 1e-9);
});
