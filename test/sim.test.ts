import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { readCase } from "../src/read/index.js";
import { loadScenario, ScenarioError } from "../src/sim/scenario.js";
import { caseDir, drawOverrides, type Simulation, simulate, writeSimulation } from "../src/sim/simulate.js";
import type { MetricSeries } from "../src/sim/telemetry.js";
import { queryRangeJson } from "../src/sim/writers/prometheus.js";

const TINY = fileURLToPath(new URL("../../test/fixtures/scenarios/tiny.yaml", import.meta.url));

function series(sim: Simulation, metric: string, labels: Record<string, string> = {}): MetricSeries[] {
  return sim.world.metrics
    .all()
    .filter((s) => s.metric === metric && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** Per-second rate of summed counters, at each sample after the first. */
function rates(list: MetricSeries[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of list) {
    for (let i = 1; i < s.t.length; i++) {
      out.set(s.t[i], (out.get(s.t[i]) ?? 0) + (s.v[i] - s.v[i - 1]) / (s.t[i] - s.t[i - 1]));
    }
  }
  return out;
}

test("the same seed gives the same case, another seed another one", () => {
  const a = simulate(TINY, { seed: 7 });
  const b = simulate(TINY, { seed: 7 });
  const c = simulate(TINY, { seed: 8 });
  assert.equal(queryRangeJson(a.world.metrics.all()), queryRangeJson(b.world.metrics.all()));
  assert.deepEqual(a.world.logs.lines, b.world.logs.lines);
  assert.notEqual(queryRangeJson(a.world.metrics.all()), queryRangeJson(c.world.metrics.all()));
});

test("a timeline ramp moves a value linearly, and callees see their callers' traffic", () => {
  const sim = simulate(TINY);
  const start = sim.scenario.start;
  const inbound = rates(series(sim, "http_server_requests_seconds_count", { service: "back" }));
  const at = (minute: number) => inbound.get(start + minute * 60) ?? Number.NaN;
  assert.ok(Math.abs(at(4) - 10) < 2, `before the ramp: ${at(4)}`);
  // The sample at 8m reports the tick that began at 7.5m, half way up the ramp.
  assert.ok(Math.abs(at(8) - 20) < 3, `half way: ${at(8)}`);
  assert.ok(Math.abs(at(11) - 30) < 4, `after: ${at(11)}`);
});

test("a failing callee fails its caller's requests, and only from when it starts failing", () => {
  const sim = simulate(TINY);
  const start = sim.scenario.start;
  const failed = rates(series(sim, "http_server_requests_seconds_count", { service: "front", status: "500" }));
  for (const [t, r] of failed) {
    if (t <= start + 12 * 60) assert.equal(r, 0, `no failures before the fault (t+${(t - start) / 60}m)`);
    if (t > start + 13 * 60) assert.ok(r > 10, `about half of 30 rps fail after it (t+${(t - start) / 60}m: ${r})`);
  }
  const errors = sim.world.logs.lines.filter((l) => l.level === "ERROR" && l.source.workload === "front");
  assert.ok(errors.length > 0 && errors.every((l) => l.t >= start + 12 * 60));
});

test("--set overrides a value; a wrong type or a missing parent names its path", () => {
  const sim = simulate(TINY, { set: ["components.back.replicas=3"] });
  const backPods = series(sim, "kube_pod_info").filter((s) => s.labels.pod.startsWith("back-"));
  assert.equal(backPods.length, 3);
  assert.throws(
    () => simulate(TINY, { set: ["components.back.replicas=many"] }),
    /components\.back\.replicas: expected a number/,
  );
  assert.throws(() => loadScenario(TINY, ["components.nothere.replicas=1"]), /components\.nothere is not a mapping/);
  assert.throws(() => loadScenario(TINY, ["replicas"]), ScenarioError);
  assert.throws(() => loadScenario("no-such-scenario"), /no scenario named no-such-scenario/);
});

test("draws give each run its own values within the scenario's ranges, the same for the same seed", () => {
  const scenario = loadScenario("connection-collapse");
  const one = drawOverrides(scenario, 2);
  assert.deepEqual(one, drawOverrides(scenario, 2));
  for (const text of one) {
    const [path, value] = text.split("=");
    const [low, high] = scenario.draws[path];
    assert.ok(Number(value) >= low && Number(value) <= high, text);
  }
});

test("a draw of a fault's size changes the timeline's change, so the fault still begins at its truth's start", () => {
  const scenario = loadScenario("rs-memory-leak-cart");
  const set = drawOverrides(scenario, 1);
  const leak = set.find((text) => text.startsWith("components.cart.memoryLeak@38m="));
  assert.ok(leak, `the leak's draw targets the timeline: ${set.join(" ")}`);
  const sim = simulate("rs-memory-leak-cart", { seed: 1, set });
  const written = sim.scenario.timeline.find((e) => "components.cart.memoryLeak" in e.set);
  assert.equal(written?.set["components.cart.memoryLeak"], Number(leak.split("=")[1]));
  const fault = sim.scenario.start + (sim.scenario.truth.start ?? 0);
  const restarts = series(sim, "kube_pod_container_status_restarts_total", { container: "cart" });
  assert.ok(restarts.length > 0);
  for (const s of restarts) {
    assert.ok(
      s.v.every((v, i) => s.t[i] >= fault || v === 0),
      "no restart before the leak begins",
    );
  }
  assert.ok(
    restarts.some((s) => s.v[s.v.length - 1] > 0),
    "the leak OOM-kills cart after it begins",
  );
  assert.throws(
    () => loadScenario("rs-memory-leak-cart", ["components.cart.memoryLeak@10m=5"]),
    /the timeline sets no components\.cart\.memoryLeak at 10m/,
  );
});

test("connection collapse: MySQL fills only after the leak starts; shipping fails after it is full, ratings later still", () => {
  const sim = simulate("connection-collapse");
  const start = sim.scenario.start;
  const fault = start + (sim.scenario.truth.start ?? 0);
  const [connected] = series(sim, "mysql_global_status_threads_connected");
  const [max] = series(sim, "mysql_global_variables_max_connections");
  assert.equal(max.v[0], 648, "db.m5.large's default max_connections");
  const fullAt = connected.t.find((_, i) => connected.v[i] >= max.v[0]);
  assert.ok(fullAt !== undefined && fullAt > fault, "the limit is reached after the fault starts");
  const before = connected.v.filter((_, i) => connected.t[i] < fault);
  assert.ok(before.length > 0 && before.every((v) => v < 0.5 * max.v[0]), "far from the limit before the fault");
  const [up] = series(sim, "mysql_up");
  assert.ok(
    up.v.some((v) => v === 0),
    "the exporter cannot connect to a full server",
  );
  const firstFailure = (service: string) => {
    const failed = rates(series(sim, "http_server_requests_seconds_count", { service, status: "500" }));
    return [...failed].find(([, r]) => r > 0.5)?.[0] ?? Number.POSITIVE_INFINITY;
  };
  assert.ok(firstFailure("shipping") > (fullAt as number), "shipping fails after MySQL is full");
  assert.ok(firstFailure("ratings") > firstFailure("shipping"), "ratings, the victim, fails later");
  const byUser = series(sim, "mysql_info_schema_processlist_processes_by_user", { mysql_user: "shipping" })[0];
  assert.ok(Math.max(...byUser.v) > 0.9 * max.v[0], "shipping holds nearly all connections");
});

test("a memory leak OOM-kills the container at its limit, and the restart shows in kubectl and kube-state-metrics", async () => {
  const sim = simulate("rs-memory-leak-cart");
  const restarts = series(sim, "kube_pod_container_status_restarts_total").filter((s) =>
    s.labels.pod.startsWith("cart-"),
  );
  assert.ok(restarts.some((s) => s.v[s.v.length - 1] > 0));
  const out = mkdtempSync(join(tmpdir(), "beneath-sim-test-"));
  try {
    await writeSimulation(sim, out);
    const pods = JSON.parse(readFileSync(join(caseDir(out), "kubernetes/pods.json"), "utf8")) as {
      items: {
        metadata: { name: string };
        status: { containerStatuses?: { lastState?: { terminated?: { reason: string; exitCode: number } } }[] };
      }[];
    };
    const killed = pods.items.filter(
      (p) => p.status.containerStatuses?.[0]?.lastState?.terminated?.reason === "OOMKilled",
    );
    assert.ok(killed.length > 0 && killed.every((p) => p.metadata.name.startsWith("cart-")));
    assert.equal(killed[0].status.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 137);
    const truth = JSON.parse(readFileSync(join(out, "truth.json"), "utf8")) as { root_cause: { entity: string } };
    assert.equal(truth.root_cause.entity, "service:cart");
    const c = await readCase([caseDir(out)]);
    assert.deepEqual(c.skipped, [], "the project's readers take every file without a warning");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
