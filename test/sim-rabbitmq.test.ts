/**
 * The RabbitMQ model and its clients: the memory alarm against the watermark, blocked publishers,
 * OOM kills at the container limit, the batch Job's pods, KEDA scaling, and the look-alikes' bounds.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { counterRate } from "../src/sim/models/autoscaler.js";
import { buildWorld } from "../src/sim/models/index.js";
import type { RabbitMqCluster } from "../src/sim/models/rabbitmq.js";
import { loadScenario, ScenarioError } from "../src/sim/scenario.js";
import { simulate } from "../src/sim/simulate.js";
import { MetricRecorder, type MetricSeries } from "../src/sim/telemetry.js";
import type { World } from "../src/sim/world.js";
import { queryRangeJson } from "../src/sim/writers/prometheus.js";

const SMALL = join(import.meta.dirname, "..", "..", "test", "fixtures", "sim", "rabbitmq-small.yaml");
/** The fixture's flood starts 3 minutes in. */
const FLOOD_START = 180;

interface Run {
  world: World;
  broker: RabbitMqCluster;
  start: number;
  /** Per tick: its offset, whether any node was alarmed at its end, and the share of checks blocked. */
  ticks: { offset: number; alarmed: boolean; blockedShare: number; received: number }[];
}

function series(world: World, metric: string, match: (labels: Record<string, string>) => boolean = () => true) {
  return world.metrics.all().filter((s) => s.metric === metric && match(s.labels));
}

function lastValues(list: MetricSeries[]): number {
  return list.reduce((sum, s) => sum + s.v[s.v.length - 1], 0);
}

/** Runs the small fixture, checking `each` after every tick. */
function runSmall(set: string[] = [], each?: (broker: RabbitMqCluster, offset: number) => void, seed = 1): Run {
  const scenario = loadScenario(SMALL, set);
  const world = buildWorld(scenario, seed);
  const broker = world.get<RabbitMqCluster>("rabbitmq", "test");
  const ticks: Run["ticks"] = [];
  world.run((done) => {
    const offset = (done - 1) * scenario.step;
    const received = lastValues(series(world, "rabbitmq_global_messages_received_total"));
    const alarmed = [0, 1].some((i) => broker.nodeState(i).alarm);
    ticks.push({ offset, alarmed, blockedShare: broker.blockedShare(), received });
    each?.(broker, offset);
  });
  return { world, broker, start: scenario.start, ticks };
}

/** The fixture as written, run once for the tests that only read it; alarm/memory mismatches per tick. */
let defaultRun: (Run & { mismatches: string[] }) | undefined;
function fixture(): Run & { mismatches: string[] } {
  if (defaultRun) return defaultRun;
  const mismatches: string[] = [];
  const run = runSmall([], (broker, offset) => {
    for (const i of [0, 1]) {
      const node = broker.nodeState(i);
      const watermark = broker.watermark(broker.workload.pods[i]);
      if (node.up && node.alarm !== node.memory >= watermark) {
        mismatches.push(`${offset}s node ${i}: alarm ${node.alarm} at ${node.memory} of ${watermark}`);
      }
    }
  });
  defaultRun = { ...run, mismatches };
  return defaultRun;
}

test("a node's memory alarm is set exactly while its memory is at or above the watermark, and only after the flood", () => {
  const run = fixture();
  assert.deepEqual(run.mismatches, []);
  const first = run.ticks.find((t) => t.alarmed);
  assert.ok(first, "the flood sets the alarm");
  assert.ok(first.offset > FLOOD_START, `alarm at ${first.offset}s, flood from ${FLOOD_START}s`);
  // 0.4 of the 512Mi RabbitMQ believes it has: the logged allowance.
  const set = run.world.logs.lines.find((l) => l.message.startsWith("vm_memory_high_watermark set."));
  assert.match(set?.message ?? "", /Memory used:\d+ allowed:214748365$/);
});

test("while the alarm is in effect on every check of a tick, no publish reaches the broker", () => {
  const run = fixture();
  const fullyBlocked = run.ticks.filter((t, i) => i > 0 && t.blockedShare === 1);
  assert.ok(fullyBlocked.length >= 3, "the flood keeps the alarm set for whole ticks");
  for (const t of fullyBlocked) {
    const before = run.ticks[run.ticks.indexOf(t) - 1];
    assert.ok(t.received <= before.received, `received grew by ${t.received - before.received} at ${t.offset}s`);
  }
  const blocked = run.world.logs.lines.filter((l) =>
    l.message.includes("*** Publishers will be blocked until this alarm clears ***"),
  );
  assert.ok(blocked.length >= 2, "every node logs the alarm banner");
});

test("payment errors start after the alarm and not before", () => {
  const run = fixture();
  const errors = series(
    run.world,
    "http_request_duration_seconds_count",
    (l) => l.service === "shop" && l.code === "500",
  );
  const firstError = Math.min(
    ...errors.map((s) => {
      const i = s.v.findIndex((v) => v > 0);
      return i < 0 ? Number.POSITIVE_INFINITY : s.t[i] - run.start;
    }),
  );
  const firstAlarm = run.ticks.find((t) => t.blockedShare > 0)?.offset ?? Number.POSITIVE_INFINITY;
  assert.ok(Number.isFinite(firstError), "the shop fails some payments");
  assert.ok(firstError >= firstAlarm, `first error at ${firstError}s, first blocked publish at ${firstAlarm}s`);
  const lines = run.world.logs.lines.filter((l) => l.source.workload === "shop" && l.level === "ERROR");
  assert.ok(
    lines.some((l) => l.message === "pika.exceptions.ConnectionBlockedTimeout: Blocked connection timeout expired."),
  );
});

function oomKilled(world: World, pod: RegExp): boolean {
  return (
    series(
      world,
      "kube_pod_container_status_last_terminated_reason",
      (l) => l.reason === "OOMKilled" && pod.test(l.pod),
    ).length > 0
  );
}

test("a broker is OOM-killed at its container limit, not at the watermark: with room above the watermark it survives", () => {
  const tight = fixture();
  assert.ok(
    oomKilled(tight.world, /^rabbitmq-server-0$/),
    "256Mi: the blocked sockets' bytes and a collection pass the limit",
  );
  const roomy = runSmall(["components.rabbitmq.resources.memoryLimit=1Gi"]);
  assert.ok(!oomKilled(roomy.world, /^rabbitmq-server-/), "1Gi: no OOM kill");
  assert.ok(
    roomy.ticks.some((t) => t.alarmed),
    "the alarm is set all the same",
  );
});

test("when RabbitMQ believes it has far more than its limit, the kernel kills it before any alarm", () => {
  const run = runSmall(["components.rabbitmq.memory.total=4Gi"]);
  assert.ok(oomKilled(run.world, /^rabbitmq-server-0$/));
  assert.ok(!run.ticks.some((t) => t.alarmed), "0.4 x 4Gi is never reached inside a 256Mi container");
  const alarms = series(run.world, "rabbitmq_alarms_memory_used_watermark");
  assert.ok(alarms.every((s) => s.v.every((v) => v === 0)));
});

test("the Job's pods are named <job>-<5 characters>, created by the Job, and absent before it starts", () => {
  const run = fixture();
  // kube_pod_info gains its node and pod_ip labels when the pod is scheduled: two series per pod.
  const info = series(run.world, "kube_pod_info", (l) => l.namespace === "batch");
  assert.equal(new Set(info.map((s) => s.labels.pod)).size, 250);
  for (const s of info) {
    assert.match(s.labels.pod, /^flood-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(s.labels.created_by_kind, "Job");
    assert.equal(s.labels.created_by_name, "flood");
    assert.ok(s.t[0] - run.start >= FLOOD_START, `${s.labels.pod} reported at ${s.t[0] - run.start}s`);
  }
  const active = series(run.world, "kube_job_status_active", (l) => l.job_name === "flood");
  assert.ok(active[0].t[0] - run.start >= FLOOD_START, "no Job series before the Job exists");
});

test("KEDA scales the consumer on the publish rate, up to its maximum, with SuccessfulRescale events", () => {
  const run = fixture();
  const desired = series(
    run.world,
    "kube_horizontalpodautoscaler_status_desired_replicas",
    (l) => l.horizontalpodautoscaler === "keda-hpa-worker-scaler",
  )[0];
  assert.equal(Math.max(...desired.v), 4);
  const rescales = run.world.events.all().filter((e) => e.reason === "SuccessfulRescale");
  assert.ok(
    rescales.some((e) => /^New size: \d+; reason: external metric s0-prometheus\(.*\) above target$/.test(e.message)),
  );
  assert.ok(rescales.every((e) => e.involved.name === "keda-hpa-worker-scaler"));
});

test("a counter's rate over a window counts across a reset", () => {
  const recorder = new MetricRecorder();
  const s = recorder.get("job", "c_total");
  for (const [t, v] of [
    [0, 0],
    [15, 150],
    [30, 300],
    [45, 30],
    [60, 180],
  ]) {
    recorder.beginTick(t);
    s.set(v);
  }
  // 150 + 150 + 30 (after the reset) + 150 over 60 s.
  assert.equal(counterRate(s, 60, 120), 480 / 60);
  assert.equal(counterRate(s, 60, 20), 150 / 15);
});

test("same seed, same telemetry; another seed, other telemetry", () => {
  const text = (run: Run) =>
    queryRangeJson(run.world.metrics.all()) +
    JSON.stringify(run.world.logs.lines) +
    JSON.stringify(run.world.events.all());
  const a = text(fixture());
  assert.equal(a, text(runSmall()));
  assert.notEqual(a, text(runSmall([], undefined, 2)));
});

test("a publisher naming no broker is a scenario error naming the path", () => {
  assert.throws(
    () => runSmall(["components.flood.publish.target=nope"]),
    (err: unknown) => err instanceof ScenarioError && err.message.includes("components.flood.publish.target"),
  );
  assert.throws(
    () => runSmall(["components.worker-scaler.trigger.query=avg(rabbitmq_connections)"]),
    (err: unknown) => err instanceof ScenarioError && err.message.includes("components.worker-scaler.trigger.query"),
  );
});

test("the scheduled batch never sets the alarm, even at the top of its draw ranges, and ends on schedule", () => {
  const sim = simulate("lookalike-scheduled-batch", {
    set: ["components.orders-requeue.parallelism=25", "components.orders-requeue.publish.ratePerConnection=2.5"],
  });
  const alarms = series(sim.world, "rabbitmq_alarms_memory_used_watermark");
  assert.ok(alarms.length > 0 && alarms.every((s) => s.v.every((v) => v === 0)));
  const complete = series(sim.world, "kube_job_complete", (l) => l.condition === "true");
  assert.equal(complete.length, 1, "the Job completes within the hour");
  const publishers = series(sim.world, "rabbitmq_global_publishers");
  const peak = Math.max(...publishers[0].t.map((t) => publishers.reduce((s, p) => s + (p.v[p.t.indexOf(t)] ?? 0), 0)));
  assert.ok(peak <= 30, `tens of publishers, not hundreds: ${peak}`);
  const errors = series(
    sim.world,
    "http_request_duration_seconds_count",
    (l) => l.service === "payment" && l.code === "500",
  );
  assert.ok(errors.every((s) => s.v.every((v) => v === 0)));
});
