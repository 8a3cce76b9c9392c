import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Cluster, Node } from "../src/sim/models/cluster.js";
import { buildWorld } from "../src/sim/models/index.js";
import type { NodeNetwork } from "../src/sim/models/nodeNetwork.js";
import { loadScenario } from "../src/sim/scenario.js";
import { type Simulation, simulate } from "../src/sim/simulate.js";
import type { MetricSeries } from "../src/sim/telemetry.js";
import type { World } from "../src/sim/world.js";
import { kubectlEvents } from "../src/sim/writers/kubectl.js";
import { queryRangeJson } from "../src/sim/writers/prometheus.js";

const fixture = (name: string) => fileURLToPath(new URL(`../../test/fixtures/sim-eks/${name}.yaml`, import.meta.url));

function series(world: World, metric: string, labels: Record<string, string> = {}): MetricSeries[] {
  return world.metrics
    .all()
    .filter((s) => s.metric === metric && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function events(world: World, reason: string) {
  return world.events.all().filter((e) => e.reason === reason);
}

function cluster(world: World): Cluster {
  return world.get<Cluster>("cluster", "test");
}

/** Per-second increase of a counter between consecutive samples, by sample time. */
function rates(s: MetricSeries): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 1; i < s.t.length; i++) out.set(s.t[i], Math.max(0, s.v[i] - s.v[i - 1]) / (s.t[i] - s.t[i - 1]));
  return out;
}

test("a t3.medium node holds 17 pods in secondary-IP mode; the rest are refused with Too many pods", () => {
  const sim = simulate(fixture("one-node"));
  const { world } = sim;
  const web = cluster(world).workloads.get("web");
  assert.ok(web);
  const placed = web.pods.filter((p) => p.node);
  // 17 slots: the two host-network DaemonSet pods and 15 pods on the node's 15 secondary addresses.
  assert.equal(placed.length, 15);
  assert.equal(web.pods.length - placed.length, 5);
  const refused = events(world, "FailedScheduling");
  assert.ok(refused.length > 0);
  for (const e of refused) assert.equal(e.message, "0/1 nodes are available: 1 Too many pods.");
  const allocatable = series(world, "kube_node_status_allocatable", { resource: "pods" });
  assert.deepEqual(new Set(allocatable.flatMap((s) => s.v)), new Set([17]));
  // The exhaustion signature: every address of every ENI is assigned.
  const last = (metric: string) => series(world, metric)[0].v.at(-1);
  assert.equal(last("awscni_ip_max"), 15);
  assert.equal(last("awscni_assigned_ip_addresses"), 15);
  assert.equal(last("awscni_eni_allocated"), last("awscni_eni_max"));
});

test("switching prefix delegation on rolls the node: its replacement allows 110 pods and runs them all", () => {
  const { world } = simulate(fixture("one-node-prefix-delegation"));
  const nodes = cluster(world).nodes;
  const [old, ...replacements] = nodes;
  assert.equal(old.present, false, "the node bootstrapped for 17 pods is terminated");
  assert.equal(replacements.length, 1);
  const fresh = replacements[0];
  assert.ok(fresh.present && fresh.prefixDelegation);
  assert.equal(fresh.maxPods, 110);
  const allocatable = series(world, "kube_node_status_allocatable", { resource: "pods", node: fresh.name });
  assert.deepEqual(new Set(allocatable[0].v), new Set([110]));
  const web = cluster(world).workloads.get("web");
  assert.ok(
    web?.pods.every((p) => p.node === fresh && p.phase === "Running"),
    "all 20 replicas run on it",
  );
  const cordoned = events(world, "NodeNotSchedulable").map((e) => e.involved.name);
  assert.deepEqual(cordoned, [old.name], "the old node is cordoned and drained");
  assert.ok(events(world, "RemovingNode").some((e) => e.involved.name === old.name));
  // In prefix-delegation mode ipamd hands out /28 prefixes: its maximum is 3 ENIs x 5 prefixes x 16.
  const ipMax = series(world, "awscni_ip_max", { node: fresh.name });
  assert.equal(ipMax[0].v.at(-1), 240);
});

/** The ClickHouse scenario, run once for the tests below, with each node's credits and counts per tick. */
const network = (() => {
  const scenario = loadScenario("clickhouse-eks-network");
  const world = buildWorld(scenario, 1);
  const net = world.get<NodeNetwork>("node-network", "test");
  const ticks: { offset: number; node: Node; credits: number; exceeded: number }[] = [];
  let i = 0;
  world.run(() => {
    const offset = i++ * scenario.step;
    for (const node of cluster(world).nodes) {
      if (node.present)
        ticks.push({ offset, node, credits: net.creditShare(node), exceeded: net.exceededPackets(node) });
    }
  });
  return { scenario, world, ticks };
})();

test("ClickHouse on EKS: the ENA counts allowance-exceeded packets only once a node's burst credits are spent", () => {
  const { ticks } = network;
  const before = new Map<Node, number>();
  let counted = 0;
  for (const { node, credits, exceeded } of ticks) {
    const prior = before.get(node) ?? 0;
    if (exceeded > prior) {
      counted++;
      assert.ok(credits < 1e-3, `${node.name} counted packets with ${(credits * 100).toFixed(1)}% of its credits left`);
    }
    before.set(node, exceeded);
  }
  assert.ok(counted > 10, "the nodes do go over their allowance");
});

test("ClickHouse on EKS: before prefix delegation nodes burst above their baseline without exceeding the allowance", () => {
  const { world, scenario, ticks } = network;
  const switched = scenario.start + 17 * 60;
  for (const s of series(world, "node_ethtool_bw_in_allowance_exceeded")) {
    for (let k = 0; k < s.t.length; k++) if (s.t[k] <= switched) assert.equal(s.v[k], 0, `${s.labels.node} before 17m`);
  }
  const baseline = ticks[0].node.baselineBytesPerSecond;
  const bursting = series(world, "node_network_receive_bytes_total").some((s) =>
    [...rates(s)].some(([t, r]) => t < switched && r > 1.2 * baseline),
  );
  assert.ok(bursting, "some node received more than its 0.256 Gbps baseline on credits");
  assert.ok(events(world, "FailedScheduling").some((e) => e.message.endsWith("Too many pods.")));
  assert.ok(events(world, "TriggeredScaleUp").length > 0);
});

test("ClickHouse on EKS: saturated nodes restart ClickHouse on liveness failures and go NotReady", () => {
  const { world, scenario } = network;
  const restarts = series(world, "kube_pod_container_status_restarts_total", { container: "clickhouse" });
  assert.ok(restarts.reduce((n, s) => n + (s.v.at(-1) ?? 0), 0) >= 5);
  assert.ok(
    events(world, "Killing").some((e) => e.message === "Container clickhouse failed liveness probe, will be restarted"),
  );
  assert.ok(events(world, "BackOff").length > 0);
  assert.ok(series(world, "kube_node_status_condition", { status: "unknown" }).some((s) => s.v.includes(1)));
  assert.ok(events(world, "NodeNotReady").some((e) => e.involved.kind === "Node"));
  assert.ok(
    world.logs.lines.some((l) => l.message.includes("DB::NetException: Timeout exceeded while reading from socket")),
  );
  assert.equal(scenario.truth.entity, "node:{most-saturated-node}", "the truth names the node the run decides");
  const saturated = world.facts.get("most-saturated-node");
  assert.ok(
    cluster(world).nodes.some((n) => n.name === saturated && n.prefixDelegation),
    "a node after the switch",
  );
});

test("the traffic-surge look-alike raises bandwidth and latency without a single allowance-exceeded packet", () => {
  const sim: Simulation = simulate("lookalike-traffic-surge-clickhouse");
  const { world, scenario } = sim;
  for (const stat of ["bw_in", "bw_out", "pps", "conntrack", "linklocal"]) {
    for (const s of series(world, `node_ethtool_${stat}_allowance_exceeded`)) assert.ok(s.v.every((v) => v === 0));
  }
  const window = (s: MetricSeries[], from: number, to: number) => {
    let sum = 0;
    for (const one of s)
      for (const [t, r] of rates(one)) if (t >= scenario.start + from * 60 && t < scenario.start + to * 60) sum += r;
    return sum;
  };
  const rx = series(world, "node_network_receive_bytes_total");
  assert.ok(window(rx, 40, 50) > 1.5 * window(rx, 2, 12), "bandwidth rises with the surge");
  const queries = series(world, "ClickHouseProfileEvents_SelectQuery");
  const time = series(world, "ClickHouseProfileEvents_SelectQueryTimeMicroseconds");
  const latency = (from: number, to: number) => window(time, from, to) / window(queries, from, to);
  assert.ok(latency(40, 50) > 1.3 * latency(2, 12), "queries slow down as CPU fills");
  const restarts = series(world, "kube_pod_container_status_restarts_total", { container: "clickhouse" });
  assert.ok(
    restarts.every((s) => s.v.every((v) => v === 0)),
    "nothing restarts",
  );
});

test("the same seed gives the same ClickHouse case, another seed another one", () => {
  const run = (seed: number) => {
    const { world } = simulate("clickhouse-eks-pod-ips", { seed, set: ["duration=12m"] });
    return `${queryRangeJson(world.metrics.all())}${kubectlEvents(world.events.all())}${JSON.stringify(world.logs.lines)}`;
  };
  const a = run(3);
  assert.equal(a, run(3));
  assert.notEqual(a, run(4));
});
