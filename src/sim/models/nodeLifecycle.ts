/**
 * How nodes come and go: an instance launched by its Auto Scaling group registers and turns Ready; a
 * planned removal cordons the node and evicts its pods (SIGTERM, preStop, replacements elsewhere)
 * before the instance is terminated; an instance that simply vanishes takes its pods with it unsignalled,
 * and Kubernetes only notices when the kubelet stops reporting (NodeNotReady), then deletes the Node
 * once the cloud provider says the instance is gone.
 */
import type { InvolvedObject } from "../telemetry.js";
import type { World } from "../world.js";
import { type Cluster, type Node, type Pod, zeroUsage } from "./cluster.js";

/**
 * kube-controller-manager `--node-monitor-grace-period`: 40 s by default (Kubernetes docs; newer
 * releases raise it, unverified), after which a silent node is marked NodeNotReady (Ready=Unknown).
 */
const NODE_MONITOR_GRACE_SECONDS = 40;
/**
 * From TerminateInstances to the instance being `terminated`, when the cloud node lifecycle controller
 * deletes the Node (it polls every `--node-monitor-period`, 5 s): about a minute of `shutting-down`
 * (typical, unverified).
 */
const INSTANCE_SHUTDOWN_SECONDS = 60;
/** From RunInstances to the kubelet registering the Node: boot plus the EKS bootstrap (typically 1-2 min). */
const NODE_REGISTER_SECONDS = 90;
/** From registration to Ready: the VPC CNI's ipamd starting and the node's first heartbeats. */
const NODE_READY_SECONDS = 20;
/**
 * Pods tolerate `node.kubernetes.io/unreachable:NoExecute` for 300 s by default (the
 * DefaultTolerationSeconds admission plugin); then the taint manager evicts them.
 */
const UNREACHABLE_TOLERATION_SECONDS = 300;

interface Launch {
  group: string;
  instanceType: string;
  zone: string;
  registerAt: number;
}

export class NodeLifecycle {
  private readonly launches: Launch[] = [];
  private readonly joining: { node: Node; readyAt: number }[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly world: World,
  ) {}

  private nodeRef(node: Node): InvolvedObject {
    return { kind: "Node", name: node.name };
  }

  /** Pods bound to `node`, running or still terminating. */
  podsOn(node: Node): Pod[] {
    const running = [...this.cluster.workloads.values()].flatMap((w) => w.pods);
    return [...running, ...this.cluster.terminatingPods()].filter((p) => p.node === node);
  }

  /** `kubectl cordon`: no new pods; the kubelet reports the change as an event. */
  cordon(node: Node, t: number): void {
    if (node.cordoned) return;
    node.cordoned = true;
    this.world.events.emit(
      t,
      this.nodeRef(node),
      "Normal",
      "NodeNotSchedulable",
      `Node ${node.name} status is now: NodeNotSchedulable`,
      "kubelet",
    );
  }

  /**
   * Evicts the pods of a node (Eviction API: SIGTERM, preStop, grace period); their ReplicaSets create
   * replacements at once, which the scheduler puts elsewhere. `beforeEach` records what the evicting
   * controller says about each pod.
   */
  drain(node: Node, t: number, beforeEach?: (pod: Pod) => void): void {
    // DaemonSet pods stay (`kubectl drain --ignore-daemonsets`, as node group updates and the autoscaler do).
    const pods = [...this.cluster.workloads.values()]
      .flatMap((w) => w.pods)
      .filter((p) => p.node === node && p.workload.kind !== "DaemonSet");
    for (const pod of pods) {
      beforeEach?.(pod);
      this.cluster.deletePod(pod, t, true);
    }
    for (const w of new Set(pods.map((p) => p.workload))) this.cluster.replaceMissing(w, t);
  }

  /** True once no pod but the DaemonSets' runs or terminates on the node. */
  drained(node: Node): boolean {
    return this.podsOn(node).every((p) => p.workload.kind === "DaemonSet");
  }

  /**
   * The instance is terminated: whatever ran on it stops with no signal, no preStop and no FIN/RST to
   * its peers. The Node object and its pods stay in the API until the controllers notice.
   */
  loseInstance(node: Node, t: number): void {
    if (node.lostAt !== undefined) return;
    node.lostAt = t;
    for (const pod of this.podsOn(node)) {
      pod.usage = zeroUsage();
      pod.workload.onStop?.(pod, "lost", t);
    }
  }

  /** An instance launched into a group and zone; it registers and turns Ready a couple of minutes later. */
  launch(group: string, instanceType: string, zone: string, t: number): void {
    this.launches.push({ group, instanceType, zone, registerAt: t + NODE_REGISTER_SECONDS });
  }

  /** Instances launched and not yet Ready, per zone (the Auto Scaling group counts them as its own). */
  pendingIn(group: string): string[] {
    return [
      ...this.launches.filter((l) => l.group === group).map((l) => l.zone),
      ...this.joining.filter((j) => j.node.group === group).map((j) => j.node.zone),
    ];
  }

  /**
   * The kubelet is alive but its status updates stopped reaching the API server at `since` (its node's
   * network is saturated): the node turns NotReady once the grace period has passed.
   */
  cutOff(node: Node, since: number): void {
    if (node.unreachableSince === undefined) node.unreachableSince = since;
  }

  /** The kubelet's updates get through again: Ready at once, and its running pods ready again. */
  reconnect(node: Node, t: number): void {
    if (node.unreachableSince === undefined) return;
    node.unreachableSince = undefined;
    if (node.ready || !node.present || node.lostAt !== undefined) return;
    node.ready = true;
    this.world.events.emit(
      t,
      this.nodeRef(node),
      "Normal",
      "NodeReady",
      `Node ${node.name} status is now: NodeReady`,
      "kubelet",
    );
    for (const pod of this.podsOn(node))
      if (pod.phase === "Running" && pod.backOffUntil === undefined) pod.ready = true;
  }

  step(t: number): void {
    this.register(t);
    for (const node of this.cluster.nodes) {
      if (!node.present) continue;
      if (node.unreachableSince !== undefined) this.unreachable(node, node.unreachableSince, t);
      if (node.lostAt === undefined) continue;
      if (node.ready && t - node.lostAt >= NODE_MONITOR_GRACE_SECONDS) this.markNotReady(node, t);
      if (!node.ready && t - node.lostAt >= INSTANCE_SHUTDOWN_SECONDS) this.remove(node, t);
    }
  }

  /**
   * A live node the API server cannot hear from: NotReady after the grace period, and once the pods'
   * toleration of the unreachable taint runs out, the taint manager evicts them. A Deployment's
   * replacement is created at once; a StatefulSet's pod stays until its kubelet confirms the deletion,
   * and DaemonSet pods tolerate the taint.
   */
  private unreachable(node: Node, since: number, t: number): void {
    if (node.ready) {
      if (t - since >= NODE_MONITOR_GRACE_SECONDS) this.markNotReady(node, t);
      return;
    }
    if (t - since < NODE_MONITOR_GRACE_SECONDS + UNREACHABLE_TOLERATION_SECONDS) return;
    const evicted = this.podsOn(node).filter((p) => p.workload.kind === "Deployment");
    for (const pod of evicted) {
      this.world.events.emit(
        t,
        { kind: "Pod", name: pod.name, namespace: pod.namespace },
        "Normal",
        "TaintManagerEviction",
        `Marking for deletion Pod ${pod.namespace}/${pod.name}`,
        "taint-eviction-controller",
      );
      this.cluster.deletePod(pod, t, false);
    }
    for (const w of new Set(evicted.map((p) => p.workload))) this.cluster.replaceMissing(w, t);
  }

  private register(t: number): void {
    for (const launch of this.launches.filter((l) => l.registerAt <= t)) {
      this.launches.splice(this.launches.indexOf(launch), 1);
      const node = this.cluster.addNode(launch.group, launch.instanceType, launch.zone);
      node.created = t;
      node.ready = false;
      this.joining.push({ node, readyAt: t + NODE_READY_SECONDS });
      const events = this.world.events;
      events.emit(t, this.nodeRef(node), "Normal", "Starting", "Starting kubelet.", "kubelet");
      events.emit(
        t,
        this.nodeRef(node),
        "Normal",
        "RegisteredNode",
        `Node ${node.name} event: Registered Node ${node.name} in Controller`,
        "node-controller",
      );
    }
    for (const j of this.joining.filter((x) => x.readyAt <= t)) {
      this.joining.splice(this.joining.indexOf(j), 1);
      j.node.ready = true;
      this.world.events.emit(
        t,
        this.nodeRef(j.node),
        "Normal",
        "NodeReady",
        `Node ${j.node.name} status is now: NodeReady`,
        "kubelet",
      );
    }
  }

  /** The node lifecycle controller gives up on a silent kubelet: the node and its pods turn not ready. */
  private markNotReady(node: Node, t: number): void {
    node.ready = false;
    const events = this.world.events;
    events.emit(
      t,
      this.nodeRef(node),
      "Normal",
      "NodeNotReady",
      `Node ${node.name} status is now: NodeNotReady`,
      "node-controller",
    );
    for (const pod of this.podsOn(node)) {
      pod.ready = false;
      events.emit(
        t,
        { kind: "Pod", name: pod.name, namespace: pod.namespace },
        "Warning",
        "NodeNotReady",
        "Node is not ready",
        "node-controller",
      );
    }
  }

  /**
   * The instance no longer exists: the cloud node lifecycle controller deletes the Node, and the pod
   * garbage collector deletes its pods (no Killing: nothing is left to stop). Event texts unverified.
   */
  private remove(node: Node, t: number): void {
    const events = this.world.events;
    events.emit(
      t,
      this.nodeRef(node),
      "Normal",
      "DeletingNode",
      `Deleting node ${node.name} because it does not exist in the cloud provider`,
      "cloud-node-lifecycle-controller",
    );
    events.emit(
      t,
      this.nodeRef(node),
      "Normal",
      "RemovingNode",
      `Node ${node.name} event: Removing Node ${node.name} from Controller`,
      "node-controller",
    );
    node.present = false;
    const pods = this.podsOn(node);
    for (const pod of pods) this.cluster.deletePod(pod, t, false);
    for (const w of new Set(pods.map((p) => p.workload))) this.cluster.replaceMissing(w, t);
  }
}
