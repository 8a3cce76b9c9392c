import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Cluster } from "../src/sim/models/cluster.js";
import { buildWorld } from "../src/sim/models/index.js";
import { loadScenario, ScenarioError, scenariosDir } from "../src/sim/scenario.js";
import { type Simulation, simulate } from "../src/sim/simulate.js";
import type { KubeEvent, MetricSeries } from "../src/sim/telemetry.js";
import { queryRangeJson } from "../src/sim/writers/prometheus.js";

const TINY = fileURLToPath(new URL("../../test/fixtures/scenarios/tiny.yaml", import.meta.url));
const REBALANCE = "pgbouncer-az-rebalance";
const DRAINED = "lookalike-drained-node-replacement";

const runs = new Map<string, Simulation>();
function run(name: string): Simulation {
  let sim = runs.get(name);
  if (!sim) {
    sim = simulate(name);
    runs.set(name, sim);
  }
  return sim;
}

/** Scenario variants' temp folders, removed when the file's tests end. */
const scratch: string[] = [];
after(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A scenario file in a temp folder that extends a shipped one with `extra` YAML. */
function extended(name: string, extra: string): string {
  const dir = mkdtempSync(join(tmpdir(), "beneath-sim-pgbouncer-"));
  scratch.push(dir);
  const base = relative(dir, join(scenariosDir(), `${name}.yaml`));
  const file = join(dir, `${name}-variant.yaml`);
  writeFileSync(file, `extends: ${base}\n${extra}`);
  return file;
}

function series(sim: Simulation, metric: string, labels: Record<string, string> = {}): MetricSeries[] {
  return sim.world.metrics
    .all()
    .filter((s) => s.metric === metric && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** Seconds from the scenario start. */
function offset(sim: Simulation, t: number): number {
  return t - sim.scenario.start;
}

/** Names of the pods kube-state-metrics ever placed on `node`. */
function podsOn(sim: Simulation, node: string): Set<string> {
  return new Set(series(sim, "kube_pod_info", { node }).map((s) => s.labels.pod));
}

/** Events about `node` or any pod that ran on it. */
function eventsAbout(sim: Simulation, node: string): KubeEvent[] {
  const pods = podsOn(sim, node);
  return sim.world.events
    .all()
    .filter((e) => (e.involved.kind === "Node" && e.involved.name === node) || pods.has(e.involved.name));
}

/** Mean cores used by the worker's containers between two offsets (minutes). */
function workerCpu(sim: Simulation, fromMin: number, toMin: number): number {
  const from = sim.scenario.start + fromMin * 60;
  const to = sim.scenario.start + toMin * 60;
  let seconds = 0;
  for (const s of series(sim, "container_cpu_usage_seconds_total", { container: "worker" })) {
    const inside = s.t.map((t, i) => [t, s.v[i]]).filter(([t]) => t >= from && t <= to);
    if (inside.length > 1) seconds += inside[inside.length - 1][1] - inside[0][1];
  }
  return seconds / (to - from);
}

/** The largest queue backlog any worker pod reported between two offsets (minutes). */
function maxBacklog(sim: Simulation, fromMin: number, toMin: number): number {
  let max = 0;
  for (const s of series(sim, "ruby_sidekiq_queue_backlog")) {
    s.t.forEach((t, i) => {
      const m = offset(sim, t) / 60;
      if (m >= fromMin && m <= toMin) max = Math.max(max, s.v[i]);
    });
  }
  return max;
}

/** The node the cluster-autoscaler drained in the look-alike (the one with a ScaleDown event). */
function drainedNode(sim: Simulation): string {
  const e = sim.world.events.all().find((x) => x.involved.kind === "Node" && x.reason === "ScaleDown");
  assert.ok(e, "a ScaleDown event on a node");
  return e.involved.name;
}

test("the AZ rebalance terminates a node running pgbouncer with no cordon, ScaleDown or Killing first", () => {
  const sim = run(REBALANCE);
  const node = sim.scenario.truth.entity?.replace(/^node:/, "") ?? "";
  const cluster = sim.world.get<Cluster>("cluster", "test");
  const lostAt = cluster.nodes.find((n) => n.name === node)?.lostAt;
  assert.ok(lostAt !== undefined, `the truth names a terminated node (${node})`);
  assert.equal(offset(sim, lostAt), sim.scenario.truth.start, "terminated at the truth's start");
  assert.ok(
    [...podsOn(sim, node)].filter((p) => p.startsWith("pgbouncer-")).length >= 2,
    "two pgbouncer pods ran on it",
  );
  const about = eventsAbout(sim, node);
  const before = about.filter((e) => e.first <= lostAt);
  for (const reason of ["NodeNotSchedulable", "Killing", "ScaleDown"]) {
    assert.ok(!before.some((e) => e.reason === reason), `no ${reason} before the node vanished`);
  }
  const reasons = about.map((e) => e.reason);
  assert.ok(reasons.includes("NodeNotReady") && reasons.includes("RemovingNode"), reasons.join(","));
  const notReady = about.find((e) => e.reason === "NodeNotReady")?.first ?? 0;
  const removed = about.find((e) => e.reason === "RemovingNode")?.first ?? 0;
  assert.ok(lostAt < notReady && notReady < removed, "NotReady after the loss, removal after NotReady");
  // The node's own series end when the instance goes (the last scrape reports the tick before);
  // pgbouncer on it stops answering the exporter's scrape.
  const nodeCpu = series(sim, "node_cpu_seconds_total", { node });
  assert.ok(nodeCpu.length > 0 && nodeCpu.every((s) => s.t[s.t.length - 1] <= lostAt));
  const bouncers = series(sim, "pgbouncer_up").filter((x) => podsOn(sim, node).has(x.labels.pod));
  assert.equal(bouncers.length, 2);
  for (const s of bouncers) {
    assert.ok(s.t[s.t.length - 1] <= lostAt, `${s.labels.pod} scraped after its node vanished`);
  }
});

test("the zone the rebalance terminates in is the over-full one after the cluster-autoscaler scale-in", () => {
  const sim = run(REBALANCE);
  const cluster = sim.world.get<Cluster>("cluster", "test");
  const launched = cluster.nodes.filter((n) => n.created > sim.scenario.start);
  assert.deepEqual(
    launched.map((n) => n.zone),
    ["us-east-1c"],
    "AZRebalance launched one instance, in the emptied zone",
  );
  assert.equal(sim.world.facts.get("nodes.terminatedZone"), "us-east-1a");
});

test("the drained replacement cordons, records ScaleDown and Killing before the node goes, and pgbouncer logs a clean shutdown", () => {
  const sim = run(DRAINED);
  const node = drainedNode(sim);
  const about = eventsAbout(sim, node);
  const removed = about.find((e) => e.reason === "RemovingNode");
  assert.ok(removed, "the node is removed in the end");
  for (const reason of ["NodeNotSchedulable", "Killing", "ScaleDown"]) {
    const e = about.find((x) => x.reason === reason);
    assert.ok(e && e.first < removed.first, `${reason} before the node is removed`);
  }
  assert.equal(sim.scenario.truth.class, "look-alike");
  const shutdown = sim.world.logs.lines.filter(
    (l) => l.source.workload === "pgbouncer" && l.message.startsWith("got SIGINT, shutting down"),
  );
  assert.equal(shutdown.length, 2, "both pgbouncer pods of the node shut down gracefully");
  // Replacements are Ready while the old pods are still Terminating.
  const ready = series(sim, "kube_pod_status_ready", { condition: "true" }).filter((s) =>
    s.labels.pod.startsWith("pgbouncer-"),
  );
  const old = ready.filter((s) => podsOn(sim, node).has(s.labels.pod));
  const fresh = ready.filter((s) => s.t[0] > sim.scenario.start);
  const oldLast = Math.max(...old.map((s) => s.t[s.t.length - 1]));
  assert.ok(
    fresh.some((s) => s.t.some((t, i) => s.v[i] === 1 && t <= oldLast)),
    "a replacement Ready before the old pods go",
  );
});

test("the rebalance never logs a pgbouncer shutdown: the pod died without a signal", () => {
  const sim = run(REBALANCE);
  const shutdowns = sim.world.logs.lines.filter(
    (l) => l.source.workload === "pgbouncer" && l.message.includes("shutting down"),
  );
  assert.equal(shutdowns.length, 0);
  const lost = sim.world.logs.lines.filter((l) => l.source.workload === "postgres");
  assert.ok(
    lost.some((l) => l.message.endsWith("could not receive data from client: Connection reset by peer")),
    "PostgreSQL logs the vanished pgbouncer's backends",
  );
});

test("worker CPU falls and the queue backs up only after the undrained termination", () => {
  const incident = run(REBALANCE);
  const lookalike = run(DRAINED);
  const before = workerCpu(incident, 2, 6);
  const after = workerCpu(incident, 12, 20);
  assert.ok(after < 0.6 * before, `worker CPU ${before.toFixed(3)} -> ${after.toFixed(3)} cores`);
  assert.ok(maxBacklog(incident, 0, 8) < 100, "no backlog before the fault");
  assert.ok(maxBacklog(incident, 14, 20) > 1000, `backlog ${maxBacklog(incident, 14, 20)}`);
  const busy = series(incident, "ruby_sidekiq_process_busy");
  const concurrency = series(incident, "ruby_sidekiq_process_concurrency")[0].v[0];
  const at = incident.scenario.start + 15 * 60;
  assert.ok(
    busy.filter((s) => s.t.includes(at)).every((s) => s.v[s.t.indexOf(at)] === concurrency),
    "every worker process shows all its threads busy",
  );
  assert.ok(
    incident.world.logs.lines.some((l) =>
      l.message.startsWith("ActiveRecord::ConnectionTimeoutError: could not obtain a connection from the pool"),
    ),
  );

  const lookBefore = workerCpu(lookalike, 2, 6);
  const lookAfter = workerCpu(lookalike, 8, 20);
  assert.ok(lookAfter > 0.85 * lookBefore, `worker CPU ${lookBefore.toFixed(3)} -> ${lookAfter.toFixed(3)} cores`);
  assert.ok(maxBacklog(lookalike, 0, 60) < 100, `backlog ${maxBacklog(lookalike, 0, 60)}`);
});

test("the core app fails a small number of database requests in both cases, a few seconds' worth", () => {
  for (const [name, most] of [
    [REBALANCE, 200],
    [DRAINED, 40],
  ] as const) {
    const sim = run(name);
    const failed = series(sim, "ruby_http_requests_total", { status: "500" }).reduce(
      (sum, s) => sum + s.v[s.v.length - 1],
      0,
    );
    assert.ok(failed > 0 && failed < most, `${name}: ${failed} failed requests`);
  }
});

test("redeploying the workers frees the hung threads and the queue drains", () => {
  const file = extended(
    REBALANCE,
    `timeline:
  - { at: 6m, set: { components.nodes.clusterAutoscaler.removeNodes: 1 } }
  - { at: 25m, set: { components.worker.version: "2026.01.4" } }
`,
  );
  const sim = simulate(file);
  const cpuHung = workerCpu(sim, 15, 24);
  const cpuAfter = workerCpu(sim, 32, 45);
  assert.ok(cpuAfter > 2 * cpuHung, `worker CPU ${cpuHung.toFixed(3)} -> ${cpuAfter.toFixed(3)} cores`);
  assert.ok(maxBacklog(sim, 58, 60) < maxBacklog(sim, 28, 30), "the backlog shrinks after the redeploy");
});

test("same seed, same case; another seed, another case", () => {
  const dump = (sim: Simulation) =>
    JSON.stringify([
      queryRangeJson(sim.world.metrics.all()),
      sim.world.events.all(),
      sim.world.logs.lines,
      sim.scenario.truth,
    ]);
  const first = dump(run(REBALANCE));
  assert.equal(dump(simulate(REBALANCE)), first);
  assert.notEqual(dump(simulate(REBALANCE, { seed: 2 })), first);
});

test("a worker whose db.target is not a pgbouncer is a scenario error naming the path", () => {
  assert.throws(
    () => simulate(REBALANCE, { set: ["components.worker.db.target=postgres"] }),
    (err: Error) => err instanceof ScenarioError && err.message.includes("components.worker.db.target"),
  );
});

test("pods lost with their node are replaced elsewhere, unsignalled, a StatefulSet's under its own ordinal", () => {
  const scenario = loadScenario(TINY, [
    "cluster.nodeGroups=[{ name: small, instanceType: t3.medium, zones: [us-east-1a, us-east-1b], count: 2 }]",
  ]);
  const world = buildWorld(scenario, 1);
  const cluster = world.get<Cluster>("cluster", "test");
  const db = cluster.workload("db", {
    kind: "StatefulSet",
    namespace: "shop",
    replicas: 2,
    container: "db",
    cpuRequest: 0.05,
    cpuLimit: 1,
    memoryRequest: 64 * 2 ** 20,
    memoryLimit: 256 * 2 ** 20,
    version: "1",
    image: "db",
  });
  const tick = (i: number) => ({
    i,
    t: scenario.start + i * scenario.step,
    offset: i * scenario.step,
    dt: scenario.step,
  });
  cluster.step(tick(0));
  const victim = db.pods[0].node;
  assert.ok(victim);
  const lost = cluster.lifecycle.podsOn(victim).map((p) => p.name);
  cluster.lifecycle.loseInstance(victim, tick(1).t);
  for (let i = 1; i <= 6; i++) cluster.step(tick(i));
  assert.equal(victim.present, false, "the Node is deleted once its instance is gone");
  assert.deepEqual(db.pods.map((p) => p.name).sort(), ["db-0", "db-1"]);
  assert.ok(db.pods.every((p) => p.node && p.node !== victim && p.phase === "Running"));
  const events = world.events.all();
  assert.ok(!events.some((e) => e.reason === "Killing" && lost.includes(e.involved.name)), "no SIGTERM for lost pods");
  assert.ok(!events.some((e) => e.reason === "ScalingReplicaSet"), "replacements are not a scaling change");
});
