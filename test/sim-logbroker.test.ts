import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Cluster } from "../src/sim/models/cluster.js";
import { RustLogFilter } from "../src/sim/models/rustLogFilter.js";
import { ScenarioError } from "../src/sim/scenario.js";
import { type Simulation, simulate } from "../src/sim/simulate.js";
import type { LogLine, MetricSeries } from "../src/sim/telemetry.js";
import { jsonLine, jsonLinePieces } from "../src/sim/writers/logs.js";
import { queryRangeChunks, queryRangeJson } from "../src/sim/writers/prometheus.js";

const SMALL = fileURLToPath(new URL("../../test/fixtures/scenarios/logbroker-small.yaml", import.meta.url));
/** Lines each WAL worker writes per tick (the write-up's six) and ticks per second (ultra: 100 ms). */
const LINES_PER_TICK = 6;
const TICKS_PER_SECOND = 10;

function series(sim: Simulation, metric: string, labels: Record<string, string> = {}): MetricSeries[] {
  return sim.world.metrics
    .all()
    .filter((s) => s.metric === metric && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** A counter's last sample at or before `t` (0 before its first). */
function valueAt(s: MetricSeries, t: number): number {
  let v = 0;
  for (let i = 0; i < s.t.length && s.t[i] <= t; i++) v = s.v[i];
  return v;
}

/** The summed increase of counters over [from, to] (unix seconds), per second. */
function rateBetween(list: MetricSeries[], from: number, to: number): number {
  return list.reduce((sum, s) => sum + valueAt(s, to) - valueAt(s, from), 0) / (to - from);
}

function last(s: MetricSeries): number {
  return s.v[s.v.length - 1];
}

function firstKill(sim: Simulation, pod: string): number | undefined {
  const restarts = series(sim, "kube_pod_container_status_restarts_total", { pod })[0];
  const i = restarts.v.findIndex((v) => v > 0);
  return i < 0 ? undefined : restarts.t[i];
}

test("under DEBUG the cluster logs partitions × 10 ticks × 6 lines a second; at INFO no DEBUG line", () => {
  // The shipped scenario, up to five minutes into the flood, with writers fast enough to show what is generated.
  const writers = [1, 2, 3].map((n) => `components.chronik.nodes.${n}.logWriterLinesPerSecond=1000000`);
  const sim = simulate("broker-cluster-crash", { set: ["duration=36m", ...writers] });
  const start = sim.scenario.start;
  const lines = (level: string) => series(sim, "log_metric_counter_log_lines_total", { app: "chronik", level });
  const debug = rateBetween(lines("DEBUG"), start + 33 * 60, start + 36 * 60);
  assert.equal(3000 * TICKS_PER_SECOND * LINES_PER_TICK, 180_000);
  assert.ok(Math.abs(debug - 180_000) / 180_000 < 0.01, `DEBUG lines/s cluster-wide: ${debug}`);
  assert.equal(rateBetween(lines("DEBUG"), start, start + 29 * 60), 0);
  const info = rateBetween(lines("INFO"), start + 10 * 60, start + 29 * 60);
  assert.ok(info > 0 && info < 500, `INFO lines/s before the change: ${info}`);
});

test("the log writer's excess queues in memory: node 1 crosses its limit and is OOM-killed; brokers whose writer keeps up stay flat", () => {
  const sim = simulate(SMALL);
  const limit = 256 * 2 ** 20;
  const kill = firstKill(sim, "chronik-0");
  assert.ok(kill !== undefined, "chronik-0 was not killed");
  const rss = series(sim, "process_resident_memory_bytes").filter((s) => s.labels.pod === "chronik-0");
  const before = rss.flatMap((s) => s.v.filter((_, i) => s.t[i] < kill));
  const peak = Math.max(...before);
  // One tick's growth short of the limit at most: (1800 - 1000) lines/s × 640 B × 5 s.
  assert.ok(peak > limit - 800 * 640 * 5 && peak <= limit * 1.01, `peak before the kill: ${peak / 2 ** 20} MiB`);
  const firstDebug = sim.scenario.start + 2 * 60;
  const growth = (peak - 94 * 2 ** 20) / (kill - firstDebug);
  assert.ok(growth > 0.8 * 800 * 640 && growth < 1.1 * 800 * 640, `memory growth: ${growth} B/s`);
  const reason = series(sim, "kube_pod_container_status_last_terminated_reason", { pod: "chronik-0" });
  assert.equal(reason[0]?.labels.reason, "OOMKilled");
  const cluster = sim.world.get<Cluster>("cluster", "test");
  const nodeName = cluster.workloads.get("chronik")?.pods.find((p) => p.name === "chronik-0")?.node?.name;
  const oom = sim.world.events.all().find((e) => e.reason === "OOMKilling" && e.involved.name === nodeName);
  assert.match(oom?.message ?? "", /^Memory cgroup out of memory: Killed process \d+ \(chronik-server\)/);
  for (const pod of ["chronik-1", "chronik-2"]) {
    assert.equal(firstKill(sim, pod), undefined, `${pod} restarted`);
    const values = series(sim, "process_resident_memory_bytes")
      .filter((s) => s.labels.pod === pod)
      .flatMap((s) => s.v);
    assert.ok(Math.max(...values) / Math.min(...values) < 1.02, `${pod} memory not flat`);
  }
});

test("without failure detection the dead node keeps its partitions and nobody holds an election; with it, they move", () => {
  const broken = simulate(SMALL);
  const kill = firstKill(broken, "chronik-0") as number;
  const leaders = series(broken, "kafka_topic_partition_leader");
  const ledByOne = leaders.filter((s) => s.v[0] === 1);
  assert.equal(ledByOne.length, 30);
  for (const s of ledByOne) assert.equal(last(s), 1, `${s.labels.topic}-${s.labels.partition} moved`);
  assert.equal(last(series(broken, "kafka_brokers")[0]), 3);
  const elections = (sim: Simulation) =>
    series(sim, "log_metric_counter_log_lines_total", { app: "chronik", level: "WARN" }).reduce(
      (s, x) => s + last(x),
      0,
    );
  assert.equal(elections(broken), 0);
  assert.ok(!broken.world.logs.lines.some((l) => /leader election|Elected new leader/.test(l.message)));
  // After the death, the clients time out with the Java client's texts.
  const after = broken.world.logs.lines.filter((l) => l.t > kill && l.source.workload === "loadtest");
  assert.ok(
    after.some((l) =>
      /^org\.apache\.kafka\.common\.errors\.TimeoutException: Topic test-topic-\d+ not present in metadata after 60000 ms\.$/.test(
        l.message,
      ),
    ),
  );
  assert.ok(after.some((l) => l.message.includes("Timed out waiting for a node assignment.")));
  assert.ok(!broken.world.logs.lines.some((l) => l.t < kill && l.message.includes("not present in metadata")));

  // With detection the Raft leader moves every partition off a node silent for 10 s. (Restarts that
  // take longer move them too: the rollout here restarts brokers faster than that.)
  const fixed = simulate(SMALL, { set: ["components.chronik.failover=true", "components.chronik.startup=0s"] });
  const fixedKill = firstKill(fixed, "chronik-0");
  assert.ok(fixedKill !== undefined, "chronik-0 was not killed with failover on");
  const warnings = series(fixed, "log_metric_counter_log_lines_total", { app: "chronik", level: "WARN" });
  const electedAfter = warnings.reduce((sum, s) => sum + last(s) - valueAt(s, fixedKill), 0);
  assert.ok(electedAfter > 0, "no election after the death");
  for (const s of series(fixed, "kafka_topic_partition_leader")) assert.notEqual(last(s), 1);
  assert.ok(last(series(fixed, "kafka_brokers")[0]) < 3);
});

test("the shipper passes at most its budget a node: what it dropped is what was read minus what it delivered", () => {
  const sim = simulate(SMALL);
  const sum = (metric: string) => series(sim, metric).reduce((s, x) => s + last(x), 0);
  const read = sum("fluentbit_input_records_total");
  const delivered = sum("fluentbit_output_proc_records_total");
  const dropped = sum("fluentbit_filter_drop_records_total");
  assert.ok(dropped > 0);
  assert.equal(dropped, read - delivered);
  assert.equal(delivered, sim.world.logs.lines.length);
  assert.equal(sum("log_metric_counter_log_lines_total"), read);
  assert.equal(
    [...sim.world.logs.dropped.values()].reduce((s, n) => s + n, 0),
    dropped,
  );
  // No node gets more than its throttle rate through on average.
  const budget = 200 * sim.scenario.duration;
  for (const s of series(sim, "fluentbit_output_proc_records_total")) assert.ok(last(s) <= budget * 1.05);
});

test("a RUST_LOG change is a ConfigMap update and a rolling restart from the highest ordinal", () => {
  const sim = simulate(SMALL);
  const version = series(sim, "kube_configmap_metadata_resource_version", { configmap: "chronik-config" })[0];
  const t0 = sim.scenario.start + 2 * 60;
  const before = version.v.filter((_, i) => version.t[i] <= t0);
  const after = version.v.filter((_, i) => version.t[i] > t0);
  assert.ok(new Set(before).size === 1 && after[after.length - 1] > before[0]);
  const deleted = sim.world.events
    .all()
    .filter((e) => e.reason === "SuccessfulDelete")
    .map((e) => e.message);
  assert.deepEqual(deleted.slice(0, 3), [
    "delete Pod chronik-2 in StatefulSet chronik successful",
    "delete Pod chronik-1 in StatefulSet chronik successful",
    "delete Pod chronik-0 in StatefulSet chronik successful",
  ]);
});

test("the same seed gives the same broker case, another seed another one", () => {
  const a = simulate(SMALL, { seed: 3 });
  const b = simulate(SMALL, { seed: 3 });
  const c = simulate(SMALL, { seed: 4 });
  assert.equal(queryRangeJson(a.world.metrics.all()), queryRangeJson(b.world.metrics.all()));
  assert.deepEqual(a.world.logs.lines, b.world.logs.lines);
  assert.notDeepEqual(a.world.logs.lines, c.world.logs.lines);
});

test("RUST_LOG directives: the longest matching target wins; a bad one names its path", () => {
  const filter = new RustLogFilter("info,chronik_wal::group_commit=debug", "env.RUST_LOG");
  assert.ok(filter.enabled("chronik_wal::group_commit", "debug"));
  assert.ok(!filter.enabled("chronik_server::kafka_handler", "debug"));
  const quiet = new RustLogFilter("debug,chronik_wal=warn", "env.RUST_LOG");
  assert.ok(!quiet.enabled("chronik_wal::group_commit", "info"));
  assert.ok(quiet.enabled("chronik_server::kafka_handler", "debug"));
  assert.ok(!new RustLogFilter("", "x").enabled("anything", "warn"));
  assert.throws(
    () => new RustLogFilter("debug,chronik=loud", "components.chronik.env.RUST_LOG"),
    (err: unknown) => {
      return err instanceof ScenarioError && err.message.startsWith("components.chronik.env.RUST_LOG:");
    },
  );
});

test("the streamed writers give the bytes JSON.stringify gives", () => {
  const sim = simulate(SMALL, { set: ["duration=3m"] });
  const metrics = sim.world.metrics.all();
  const value = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(7))));
  const expected = JSON.stringify({
    status: "success",
    data: {
      resultType: "matrix",
      result: metrics.map((s) => ({
        metric: { __name__: s.metric, job: s.job, ...s.labels },
        values: s.t.map((t, i) => [Number(t.toFixed(3)), value(s.v[i])]),
      })),
    },
  });
  assert.ok([...queryRangeChunks(metrics)].join("") === expected, "query_range JSON differs from JSON.stringify's");
  const source = { workload: "w", namespace: "n", pod: "w-0", container: "c" };
  const line: LogLine = {
    t: 1767225600.0999,
    level: "INFO",
    message: 'say "hi" ⏰\n',
    source,
    traceId: "ab",
    spanId: "cd",
  };
  const record = {
    time: new Date(line.t * 1000).toISOString(),
    level: line.level,
    message: line.message,
    kubernetes: { namespace_name: "n", pod_name: "w-0", container_name: "c", host: undefined, labels: { app: "w" } },
    trace_id: "ab",
    span_id: "cd",
  };
  assert.equal(jsonLine(line), JSON.stringify(record));
  const lines = sim.world.logs.lines.slice(0, 200);
  assert.equal([...jsonLinePieces(lines)].join(""), lines.map((l) => `${jsonLine(l)}\n`).join(""));
});
