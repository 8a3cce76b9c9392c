/**
 * The EC2 Auto Scaling group behind a node group, and the cluster-autoscaler acting on it. Two ways a
 * node leaves: the cluster-autoscaler removes an unneeded node after draining it (ScaleDown events,
 * cordon, evictions, then TerminateInstanceInAutoScalingGroup), and the group's own AZRebalance
 * process, which evens out instances across zones by launching in the short zone and then terminating
 * one in the over-full zone — without telling Kubernetes, so nothing drains it (cluster-autoscaler's
 * AWS README warns of exactly this for groups spanning several zones).
 */
import { ScenarioError } from "../scenario.js";
import { Spec } from "../spec.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import type { Cluster, Node, Pod } from "./cluster.js";
import { ScaleUp } from "./clusterAutoscaler.js";

/**
 * Seconds from the rebalancing launch to the termination it makes room for: AWS launches the new
 * instance first and terminates once it is InService (boot and EC2 status checks; unverified).
 */
const REBALANCE_TERMINATE_AFTER_SECONDS = 150;
/** The cluster-autoscaler's own job name as Prometheus scrapes it. */
const CA_JOB = "cluster-autoscaler";

interface Selector {
  zone?: string;
  runs?: string;
}

export class AutoScalingGroup implements Model {
  readonly phase = PHASE.infrastructure;
  private readonly cluster: Cluster;
  private readonly group: string;
  private readonly zones: string[];
  private readonly instanceType: string;
  private removed = 0;
  /** The node the cluster-autoscaler is draining. */
  private removing: Node | undefined;
  private rebalance: { zone: string; launchedAt: number } | undefined;
  /** The cluster-autoscaler's scale-up, when the scenario turns it on (`clusterAutoscaler.scaleUp`). */
  private readonly scaleUp: ScaleUp | undefined;

  constructor(
    readonly name: string,
    private readonly spec: Spec,
    private readonly world: World,
  ) {
    this.cluster = world.get<Cluster>("cluster", spec.path);
    this.group = spec.str("nodeGroup");
    const groupSpec = new Spec(world.scenario.doc, "cluster")
      .list("nodeGroups")
      .find((g) => g.str("name") === this.group);
    if (!groupSpec) throw new ScenarioError(`${spec.path}.nodeGroup: no node group named ${this.group} in cluster`);
    this.zones = groupSpec.strings("zones", ["us-east-1a"]);
    this.instanceType = groupSpec.str("instanceType");
    if (spec.bool("clusterAutoscaler.scaleUp", false)) {
      this.scaleUp = new ScaleUp(this.cluster, groupSpec, spec.num("maxSize"), world);
    }
  }

  private selector(key: string): Selector {
    const s = this.spec.child(key);
    return { zone: s.has("zone") ? s.str("zone") : undefined, runs: s.has("runs") ? s.str("runs") : undefined };
  }

  /** In-service nodes of the group: present, not on their way out. */
  private members(): Node[] {
    return this.cluster.nodes.filter(
      (n) => n.group === this.group && n.present && n.lostAt === undefined && n !== this.removing,
    );
  }

  private podsOf(node: Node, workload: string): number {
    return this.cluster.lifecycle.podsOn(node).filter((p) => p.workload.name === workload).length;
  }

  private matches(node: Node, sel: Selector): boolean {
    return (sel.zone === undefined || node.zone === sel.zone) && (!sel.runs || this.podsOf(node, sel.runs) > 0);
  }

  step(tick: Tick): void {
    this.scaleUp?.step(tick);
    this.scaleDown(tick.t);
    if (this.spec.bool("azRebalance", true)) this.azRebalance(tick.t);
  }

  observe(): void {
    this.scaleUp?.observe();
  }

  /** The cluster-autoscaler removes nodes until it has removed `clusterAutoscaler.removeNodes`. */
  private scaleDown(t: number): void {
    if (this.removing) {
      if (this.cluster.lifecycle.drained(this.removing)) this.terminateDrained(this.removing, t);
      return;
    }
    if (this.removed >= this.spec.num("clusterAutoscaler.removeNodes", 0)) return;
    const sel = this.selector("clusterAutoscaler.select");
    const requested = (n: Node) =>
      this.cluster.lifecycle.podsOn(n).reduce((s, p) => s + p.workload.cpuRequest, 0) / n.vcpu;
    // The least-utilised candidate by CPU requests, as the cluster-autoscaler ranks unneeded nodes.
    const node = this.members()
      .filter((n) => n.ready && !n.cordoned && this.matches(n, sel))
      .sort((a, b) => requested(a) - requested(b))[0];
    if (!node) return;
    this.removing = node;
    const events = this.world.events;
    const nodeRef = { kind: "Node", name: node.name };
    // ScaleDown wording unverified (failure-signatures.md lists it so).
    events.emit(
      t,
      nodeRef,
      "Normal",
      "ScaleDown",
      "marked the node as toBeDeleted/unschedulable",
      "cluster-autoscaler",
    );
    if (this.spec.bool("clusterAutoscaler.cordonNodeBeforeTerminating", true)) this.cluster.lifecycle.cordon(node, t);
    this.cluster.lifecycle.drain(node, t, (pod: Pod) =>
      events.emit(
        t,
        { kind: "Pod", name: pod.name, namespace: pod.namespace },
        "Normal",
        "ScaleDown",
        "deleting pod for node scale down",
        "cluster-autoscaler",
      ),
    );
  }

  private terminateDrained(node: Node, t: number): void {
    this.removing = undefined;
    this.removed++;
    this.world.events.emit(
      t,
      { kind: "Node", name: node.name },
      "Normal",
      "ScaleDown",
      "node removed by cluster autoscaler",
      "cluster-autoscaler",
    );
    this.world.metrics.get(CA_JOB, "cluster_autoscaler_scaled_down_nodes_total", { reason: "underutilized" }).add(1);
    this.cluster.lifecycle.loseInstance(node, t);
  }

  /** Instances per zone of the group, counting launches not yet joined. */
  private zoneCounts(): Map<string, number> {
    const counts = new Map(this.zones.map((z) => [z, 0]));
    for (const n of this.members()) counts.set(n.zone, (counts.get(n.zone) ?? 0) + 1);
    for (const z of this.cluster.lifecycle.pendingIn(this.group)) counts.set(z, (counts.get(z) ?? 0) + 1);
    return counts;
  }

  /**
   * AZRebalance: when zones differ by more than one instance, launch in the smallest zone, then
   * terminate one in the largest — no cordon, no drain, no lifecycle hook.
   */
  private azRebalance(t: number): void {
    if (this.rebalance) {
      if (t - this.rebalance.launchedAt < REBALANCE_TERMINATE_AFTER_SECONDS) return;
      this.rebalance = undefined;
      const victim = this.victim();
      if (!victim) return;
      this.world.facts.set(`${this.name}.terminated`, victim.name);
      this.world.facts.set(`${this.name}.terminatedZone`, victim.zone);
      this.cluster.lifecycle.loseInstance(victim, t);
      return;
    }
    if (this.removing) return;
    const counts = [...this.zoneCounts()].sort((a, b) => a[1] - b[1]);
    const [smallest, fewest] = counts[0];
    if (counts[counts.length - 1][1] - fewest <= 1) return;
    this.cluster.lifecycle.launch(this.group, this.instanceType, smallest, t);
    this.rebalance = { zone: smallest, launchedAt: t };
  }

  /**
   * The instance the group terminates: in the zone with the most instances; among those, the one the
   * scenario's `rebalance.victim` describes (the default termination policy's pick is the oldest).
   */
  private victim(): Node | undefined {
    const counts = this.zoneCounts();
    const most = Math.max(...counts.values());
    const candidates = this.members().filter((n) => counts.get(n.zone) === most);
    const runs = this.selector("rebalance.victim").runs;
    const score = (n: Node) => (runs ? this.podsOf(n, runs) : 0);
    return candidates.sort((a, b) => score(b) - score(a) || a.created - b.created)[0];
  }
}

export function createAsg(name: string, spec: Spec, world: World): AutoScalingGroup {
  return new AutoScalingGroup(name, spec, world);
}
