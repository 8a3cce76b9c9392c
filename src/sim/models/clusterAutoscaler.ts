/**
 * The cluster-autoscaler's scale-up on an EKS node group: pods the scheduler could not place make it
 * estimate how many nodes of the group would hold them, raise the Auto Scaling group's desired size up
 * to its maximum, and say so on each pod (`TriggeredScaleUp`, or `NotTriggerScaleUp` at the maximum).
 * It sizes nodes by pod slots, CPU and memory requests; it knows nothing of the network, so it adds
 * more of the same instance type whatever the pods really lack.
 */
import { ec2Limits } from "../../catalogue/aws/instanceLimits.js";
import type { Rng } from "../rng.js";
import type { Spec } from "../spec.js";
import type { Tick, World } from "../world.js";
import type { Cluster, Pod } from "./cluster.js";
import { groupMembers, groupSize, launchInGroup } from "./nodeGroups.js";

/** --scan-interval's default. */
const SCAN_SECONDS = 10;
/** A pod counts as unschedulable once the scheduler has tried it (it is marked PodScheduled=False). */
const UNSCHEDULABLE_AFTER_SECONDS = 10;
/** How often the autoscaler repeats a NotTriggerScaleUp event for the same pod. */
const NOT_TRIGGERED_EVENT_SECONDS = 60;

const JOB = "cluster-autoscaler";

export class ScaleUp {
  private readonly rng: Rng;
  /** The managed node group's Auto Scaling group name: `eks-<nodegroup>-<uuid>`. */
  private readonly asgName: string;
  private lastScan = Number.NEGATIVE_INFINITY;
  private readonly lastNotTriggered = new Map<Pod, number>();
  private scaledUp = 0;
  private unschedulable = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly group: Spec,
    /** The Auto Scaling group's maximum size. */
    private readonly maxSize: number,
    private readonly world: World,
  ) {
    this.rng = world.rng.fork(`cluster-autoscaler:${group.str("name")}`);
    const hex = this.rng.hex(16);
    const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    this.asgName = `eks-${group.str("name")}-${uuid}`;
  }

  /** Pods a fresh node of the group holds: pod slots after the DaemonSets, CPU and memory requests. */
  private podsPerNode(pods: Pod[]): number {
    const limits = ec2Limits(this.group.str("instanceType"));
    if (!limits || pods.length === 0) return 0;
    const daemons = [...this.cluster.workloads.values()].filter((w) => w.kind === "DaemonSet");
    const maxPods =
      this.group.num("maxPods", 0) ||
      (this.cluster.prefixDelegation() ? limits.max_pods_prefix_delegation : limits.max_pods);
    const template = { vcpu: limits.vcpu, memory: limits.memory_gib * 2 ** 30, maxPods };
    const cpu = this.cluster.allocatableCpu(template) - daemons.reduce((s, w) => s + w.cpuRequest, 0);
    const memory = this.cluster.allocatableMemory(template) - daemons.reduce((s, w) => s + w.memoryRequest, 0);
    const avg = (f: (p: Pod) => number) => pods.reduce((s, p) => s + f(p), 0) / pods.length;
    const byCpu = Math.floor(cpu / avg((p) => p.workload.cpuRequest));
    const byMemory = Math.floor(memory / avg((p) => p.workload.memoryRequest));
    return Math.max(0, Math.min(maxPods - daemons.length, byCpu, byMemory));
  }

  private unschedulablePods(t: number): Pod[] {
    const pods: Pod[] = [];
    for (const w of this.cluster.workloads.values()) {
      if (w.kind === "DaemonSet") continue;
      for (const p of w.pods) {
        if (!p.node && p.phase === "Pending" && t - p.created >= UNSCHEDULABLE_AFTER_SECONDS) pods.push(p);
      }
    }
    return pods;
  }

  private podEvent(pod: Pod, t: number, reason: string, message: string): void {
    this.world.events.emit(
      t,
      { kind: "Pod", name: pod.name, namespace: pod.namespace },
      "Normal",
      reason,
      message,
      JOB,
    );
  }

  step(tick: Tick): void {
    if (tick.t - this.lastScan < SCAN_SECONDS) return;
    this.lastScan = tick.t;
    const pending = this.unschedulablePods(tick.t);
    this.unschedulable = pending.length;
    const perNode = this.podsPerNode(pending);
    if (perNode === 0) return;
    const name = this.group.str("name");
    const booting = this.cluster.lifecycle.pendingIn(name).length;
    const uncovered = pending.length - booting * perNode;
    if (uncovered <= 0) return;
    const current = groupSize(this.cluster, name);
    const target = Math.min(this.maxSize, current + Math.ceil(uncovered / perNode));
    if (target > current) {
      for (let k = current; k < target; k++) launchInGroup(this.cluster, this.group, tick.t);
      this.scaledUp += target - current;
      const message = `pod triggered scale-up: [{${this.asgName} ${current}->${target} (max: ${this.maxSize})}]`;
      for (const pod of pending) this.podEvent(pod, tick.t, "TriggeredScaleUp", message);
      return;
    }
    for (const pod of pending) {
      if (tick.t - (this.lastNotTriggered.get(pod) ?? Number.NEGATIVE_INFINITY) < NOT_TRIGGERED_EVENT_SECONDS) continue;
      this.lastNotTriggered.set(pod, tick.t);
      // Wording from event dumps, not read in the source (unverified).
      this.podEvent(pod, tick.t, "NotTriggerScaleUp", "pod didn't trigger scale-up: 1 max node group size reached");
    }
  }

  observe(): void {
    const m = this.world.metrics;
    m.get(JOB, "cluster_autoscaler_unschedulable_pods_count").set(this.unschedulable);
    m.get(JOB, "cluster_autoscaler_scaled_up_nodes_total").set(this.scaledUp);
    const members = groupMembers(this.cluster, this.group.str("name"));
    m.get(JOB, "cluster_autoscaler_nodes_count", { state: "ready" }).set(members.filter((n) => n.ready).length);
    m.get(JOB, "cluster_autoscaler_nodes_count", { state: "unready" }).set(members.filter((n) => !n.ready).length);
  }
}
