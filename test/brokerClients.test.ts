/**
 * A broker's connection storm read from what its clients export (Micrometer's rabbitmq_connections per
 * pod), as a Spring service or a batch job scraped by Prometheus reports it, with no mesh and no
 * kube-state-metrics: who added the connections, and who was blocked.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../src/analyze.js";
import type { Evidence } from "../src/detect/types.js";
import { showsFault } from "../src/reason/rank.js";
import { buildCase, type LogSpec, minute, ramp, type SeriesSpec } from "./helpers/caseBuilder.js";

const constant = (v: number) => () => v;
/** Present from minute `from` on: absent (no samples) before. */
const from = (m0: number, v: number) => (m: number) => (m >= m0 ? v : Number.NaN);

const BROKER = { job: "rabbitmq", instance: "127.0.0.1:15692" };
const pod = (service: string, name: string) => ({ job: service, service, pod: name, namespace: "shop" });

function brokerCase(opts: { batchConnections: number; alarm: boolean; brokers?: number }) {
  const series: SeriesSpec[] = [];
  for (let b = 0; b < (opts.brokers ?? 1); b++) {
    const labels = b === 0 ? BROKER : { job: `rabbitmq-${b}`, instance: `127.0.0.1:${15692 + b}` };
    series.push(
      {
        metric: "rabbitmq_process_resident_memory_bytes",
        labels,
        at: opts.alarm ? ramp(1.4e8, 1.95e8, 20, 22) : constant(1.4e8),
      },
      { metric: "rabbitmq_resident_memory_limit_bytes", labels, at: constant(1.7e8) },
      { metric: "rabbitmq_alarms_memory_used_watermark", labels, at: (m) => (opts.alarm && m >= 21.5 ? 1 : 0) },
      { metric: "rabbitmq_connections", labels, at: (m) => 3 + (m >= 20 ? opts.batchConnections : 0) },
    );
  }
  for (const name of ["payment-7c9f8d6b5-x2x9q", "payment-7c9f8d6b5-kq4zm"])
    series.push({ metric: "rabbitmq_connections", labels: pod("payment", name), at: constant(1) });
  series.push({ metric: "rabbitmq_connections", labels: pod("dispatch", "dispatch-5d8c7b-9xkzp"), at: constant(1) });
  for (const name of ["orders-backfill-6f7d-aaaaa", "orders-backfill-6f7d-bbbbb"])
    series.push({
      metric: "rabbitmq_connections",
      labels: pod("orders-backfill", name),
      at: from(20, opts.batchConnections / 2),
    });
  const blockedAfter = (perMinute: number) => (m: number) => (opts.alarm && m >= 21.5 ? perMinute : 0);
  const logs: LogSpec[] = [
    {
      labels: pod("payment", "payment-7c9f8d6b5-x2x9q"),
      level: "error",
      message:
        "Completed GET /payment/pay/17 with status 500 in 2003 ms: PublishTimeoutError: Publish to queue 'orders' was not confirmed within 2000ms (connection blocked by the broker: low on memory)",
      perMinute: blockedAfter(300),
    },
    {
      labels: pod("web", "web-5b6c7d-qq2zz"),
      level: "error",
      message:
        "Completed GET /api/order/17 with status 502 in 2010 ms: Error: http://127.0.0.1:40000/payment/pay/17 returned 500",
      perMinute: blockedAfter(600),
    },
    {
      labels: pod("web", "web-5b6c7d-qq2zz"),
      level: "info",
      message: "Completed GET /api/order/17 with status 200",
      perMinute: (m) => (opts.alarm && m >= 21.5 ? 0 : 600),
    },
  ];
  return buildCase({ minutes: 26, series, logs });
}

test("a batch that was not running opens hundreds of connections and the memory alarm blocks publishers: the batch is the root, from its own connection gauges", async () => {
  const d = await analyze(brokerCase({ batchConnections: 400, alarm: true }), { at: minute(22) });
  const top = d.causes[0];
  assert.equal(top.entity, "service:orders-backfill");
  assert.equal(top.kind, "broker.connection-storm");
  assert.ok(top.confidence >= 0.5, `confident: ${top.confidence}`);
  const source = top.evidence.find((e) => e.signal.startsWith("connections opened to"));
  assert.match(source?.detail ?? "", /opened 400 of the 400 connections.*did not connect at all before/);
  // payment said the broker blocked it: a victim on the chain, not a cause of its own.
  assert.ok(
    top.chain.some((link) => link.entity === "service:payment"),
    JSON.stringify(top.chain),
  );
  const payment = d.causes.find((c) => c.entity === "service:payment");
  assert.ok(!payment || payment.confidence < 0.5, `payment at ${payment?.confidence}`);
  assert.ok(top.remediation.now.some((line) => line.includes("kubectl -n shop delete job orders-backfill")));
});

test("a batch within its budget (a few connections, no alarm) is no broker storm", async () => {
  const d = await analyze(brokerCase({ batchConnections: 4, alarm: false }), { at: minute(22) });
  assert.equal(
    d.causes.find((c) => c.kind === "broker.connection-storm"),
    undefined,
  );
  assert.ok((d.causes[0]?.confidence ?? 0) < 0.5, `${d.causes[0]?.entity} at ${d.causes[0]?.confidence}`);
});

test("clients' gauges do not name their broker: with two brokers they attribute no connections", async () => {
  const d = await analyze(brokerCase({ batchConnections: 400, alarm: true, brokers: 2 }), { at: minute(22) });
  const sources = d.causes.flatMap((c) => c.evidence).filter((e) => e.signal.startsWith("connections opened to"));
  assert.deepEqual(sources, []);
});

test("breakdowns of memory (the kernel's meminfo split, the Erlang VM's accounting) are no memory fault; less memory available, or more resident, is", () => {
  const evidence = (signal: string, value: number, baseline: number): Evidence => ({
    id: "e1",
    entity: "service:node",
    signal,
    type: "anomaly",
    family: "memory",
    start: minute(20),
    strength: 0.9,
    detail: "",
    excerpt: "",
    value,
    baseline,
  });
  assert.equal(showsFault(evidence('node_memory_Active_anon_bytes{instance="127.0.0.1:9100"}', 8e6, 2e5)), false);
  assert.equal(showsFault(evidence("node_memory_KernelStack_bytes", 1.1e7, 6e6)), false);
  assert.equal(showsFault(evidence('erlang_vm_memory_system_bytes_total{usage="binary"}', 2.8e7, 1.2e7)), false);
  assert.equal(showsFault(evidence("rabbitmq_process_resident_memory_bytes", 2e8, 1.4e8)), true);
  // Heap a Go runtime gave back to the system is room, not use.
  assert.equal(showsFault(evidence("go_memstats_heap_released_bytes", 3.5e6, 3.1e6)), false);
  assert.equal(showsFault(evidence("node_memory_MemAvailable_bytes", 1e9, 8e9)), true);
  assert.equal(showsFault(evidence("container_memory_working_set_bytes", 9e8, 3e8)), true);
});
