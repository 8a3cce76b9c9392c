/**
 * The Kubernetes cluster on EC2: node groups of real instance types, pods scheduled onto nodes within
 * their pod-count (VPC CNI), CPU and memory capacity, containers OOM-killed at their limit and
 * restarted with back-off, and what kube-state-metrics, cAdvisor, node_exporter and the event stream
 * show of all that.
 */
import { ec2Limits } from "../../catalogue/aws/instanceLimits.js";
import type { Rng } from "../rng.js";
import { ScenarioError } from "../scenario.js";
import type { Spec } from "../spec.js";
import type { InvolvedObject, Labels, LogSource } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import { NodeLifecycle } from "./nodeLifecycle.js";

export type WorkloadKind = "Deployment" | "StatefulSet" | "Job" | "DaemonSet";
export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed";

/** What a pod's processes use this tick, set by the model that owns the pod. */
export interface PodUsage {
  /** cores */
  cpu: number;
  /** bytes (working set) */
  memory: number;
  /** bytes per second */
  rxBytes: number;
  txBytes: number;
  fsWriteBytes: number;
  /** packets per second dropped on the pod's interface, and TCP segments retransmitted */
  droppedPackets: number;
  retransmits: number;
}

export interface Pod {
  name: string;
  namespace: string;
  workload: Workload;
  /** The image tag this pod runs. */
  version: string;
  replicaSet: string;
  node?: Node;
  phase: PodPhase;
  /** Ready: running, its container up and not in back-off. */
  ready: boolean;
  ip?: string;
  created: number;
  started?: number;
  restarts: number;
  lastTerminated?: { reason: string; exitCode: number; at: number };
  /** While a crashed container waits to restart: unix seconds it comes back. */
  backOffUntil?: number;
  usage: PodUsage;
}

export interface WorkloadOptions {
  kind: WorkloadKind;
  namespace: string;
  replicas: number;
  /** The container name (and app label). */
  container: string;
  /** cores */
  cpuRequest: number;
  cpuLimit: number;
  /** bytes */
  memoryRequest: number;
  memoryLimit: number;
  labels?: Labels;
  /** The image tag running; a new one rolls out pod by pod. */
  version: string;
  /** The image repository, e.g. `robotshop/rs-shipping`. */
  image: string;
  /** Called when a container of this workload restarts, so the owner resets its process state. */
  onRestart?: (pod: Pod) => void;
  /**
   * Called when a pod's processes stop: `graceful` at SIGTERM (its preStop hook runs), `lost` when
   * its node's instance vanished and nothing was signalled.
   */
  onStop?: (pod: Pod, how: "graceful" | "lost", t: number) => void;
  /** Seconds a pod takes to exit after SIGTERM (preStop and shutdown); it shows as Terminating meanwhile. */
  stopSeconds?: number;
  /** Node affinity on `topology.kubernetes.io/zone`: the zones its pods may run in. */
  zones?: string[];
  /** Required pod anti-affinity on the hostname: at most one pod of the workload per node. */
  antiAffinity?: boolean;
  /** A nodeSelector on the node group (`eks.amazonaws.com/nodegroup`): the pods run only there. */
  nodeGroup?: string;
  /** Runs in the node's network namespace (aws-node, kube-proxy): the node's IP, no pod IP from the CNI. */
  hostNetwork?: boolean;
  /** Preferred pod anti-affinity on the hostname: the scheduler puts its pods on different nodes when it can. */
  spread?: boolean;
}

/** CPU (cores) and memory (bytes) a container requests and may use. */
export interface Resources {
  cpuRequest: number;
  cpuLimit: number;
  memoryRequest: number;
  memoryLimit: number;
}

/** `resources.{cpu,memory}{Request,Limit}` of a component, over the component type's own defaults. */
export function resourcesFromSpec(spec: Spec, defaults: Resources): Resources {
  return {
    cpuRequest: spec.num("resources.cpuRequest", defaults.cpuRequest),
    cpuLimit: spec.num("resources.cpuLimit", defaults.cpuLimit),
    memoryRequest: spec.bytes("resources.memoryRequest", defaults.memoryRequest),
    memoryLimit: spec.bytes("resources.memoryLimit", defaults.memoryLimit),
  };
}

/**
 * The Deployment a request-serving component runs as, from the keys every such component shares:
 * `namespace`, `replicas`, `resources`, `version`, `image` (default `<namespace>/<name>`).
 */
export function deploymentFromSpec(name: string, spec: Spec, defaults: Resources): WorkloadOptions {
  const namespace = spec.str("namespace", "default");
  return {
    kind: "Deployment",
    namespace,
    replicas: spec.num("replicas", 1),
    container: name,
    ...resourcesFromSpec(spec, defaults),
    version: spec.str("version", "1.0.0"),
    image: spec.str("image", `${namespace}/${name}`),
  };
}

/** Who writes a pod's log lines, as the log shipper labels them; `workload` names the file they land in. */
export function logSourceOf(pod: Pod, workload = pod.workload.name): LogSource {
  return { workload, namespace: pod.namespace, pod: pod.name, container: pod.workload.container, node: pod.node?.name };
}

export interface Workload extends WorkloadOptions {
  name: string;
  replicaSet: string;
  /** Bumped by each rollout, as `metadata.generation` is. */
  generation: number;
  pods: Pod[];
  /** Pods that have finished or been deleted, kept for the kubectl snapshot of Jobs. */
  gone: Pod[];
}

export interface Node {
  name: string;
  group: string;
  instanceType: string;
  zone: string;
  vcpu: number;
  memory: number;
  maxPods: number;
  /** Whether the node was bootstrapped with VPC CNI prefix delegation (its kubelet's max pods follow it). */
  prefixDelegation: boolean;
  baselineBytesPerSecond: number;
  burstBytesPerSecond: number;
  /** bytes per second the root volume sustains */
  diskBytesPerSecond: number;
  created: number;
  present: boolean;
  ready: boolean;
  cordoned: boolean;
  ip: string;
  /** Unix seconds the EC2 instance went away (terminated); the Node object outlives it for a while. */
  lostAt?: number;
  /** Unix seconds the API server last heard from a kubelet that is alive but cut off (its network saturated). */
  unreachableSince?: number;
}

/** CPU cores the kubelet, kube-proxy and the OS keep on a node (EKS reserves about 70-110 m on small nodes). */
const SYSTEM_CPU = 0.08;
/** Working set of the OS, kubelet and daemon pods on a node. */
const SYSTEM_MEMORY = 600 * 2 ** 20;
/** kube-reserved memory: 11 MiB per allocatable pod + 255 MiB (the EKS formula, ec2-network-limits.md). */
const RESERVED_MEMORY_PER_POD = 11 * 2 ** 20;
const RESERVED_MEMORY_BASE = 255 * 2 ** 20;
/** gp3's default throughput, the usual EKS root volume. */
const DEFAULT_DISK_BYTES_PER_SECOND = 125e6;
/** kubelet's crash-loop back-off: 10 s doubling to at most 5 minutes. */
const BACKOFF_START = 10;
const BACKOFF_MAX = 300;
/** Seconds from scheduling to a started container (image pull from cache, container start). */
const START_SECONDS = 5;
/** Average packet size used to turn bytes into packets. */
export const BYTES_PER_PACKET = 900;
/** Share of TCP segments a healthy network retransmits. */
const BASELINE_RETRANSMIT_SHARE = 1e-4;
/** CFS period: 100 ms, so 10 periods per second. */
const CFS_PERIODS_PER_SECOND = 10;

/** Scrape jobs of the cluster's own exporters, as kube-prometheus names them. */
export const KSM = "kube-state-metrics";
const KUBELET = "kubelet";
export const NODE_EXPORTER = "node-exporter";

export function zeroUsage(): PodUsage {
  return { cpu: 0, memory: 0, rxBytes: 0, txBytes: 0, fsWriteBytes: 0, droppedPackets: 0, retransmits: 0 };
}

export class Cluster implements Model {
  readonly name = "cluster";
  readonly phase = PHASE.infrastructure;
  readonly nodes: Node[] = [];
  readonly workloads = new Map<string, Workload>();
  /** How nodes join, are cordoned and drained, and vanish. */
  readonly lifecycle: NodeLifecycle;
  private readonly rng: Rng;
  /** Pods deleted gracefully that have not exited yet (Terminating). */
  private terminating: { pod: Pod; until: number }[] = [];
  private nextIp = 10;
  private lastFailedScheduling = new Map<Pod, number>();
  /** Checks a pod passes before its container starts (the CNI must give it an address first). */
  private readonly startGates: ((pod: Pod, t: number) => boolean)[] = [];
  /** The node agents declared in `cluster.daemonSets`, placed on each node by the DaemonSet controller. */
  private readonly nodeAgents: Workload[] = [];

  constructor(
    readonly spec: Spec,
    private readonly world: World,
  ) {
    this.rng = world.rng.fork("cluster");
    this.lifecycle = new NodeLifecycle(this, world);
    for (const group of spec.list("nodeGroups")) this.addGroup(group);
    if (this.nodes.length === 0) throw new ScenarioError(`${spec.path}.nodeGroups: expected at least one node group`);
    for (const name of spec.keys("daemonSets")) this.addDaemonSet(name, spec.child(`daemonSets.${name}`));
  }

  /** VPC CNI prefix delegation as configured now (a timeline may switch it; nodes launched later follow). */
  prefixDelegation(): boolean {
    return this.spec.bool("cni.prefixDelegation", false);
  }

  /** A pod starts only when every gate lets it (each gate reports its own refusal). */
  addStartGate(gate: (pod: Pod, t: number) => boolean): void {
    this.startGates.push(gate);
  }

  /**
   * A node agent DaemonSet (aws-node, kube-proxy): one pod bound to every node by the DaemonSet
   * controller, whatever the node's state, rather than placed by the scheduler.
   */
  private addDaemonSet(name: string, spec: Spec): void {
    const namespace = spec.str("namespace", "kube-system");
    const agent = this.workload(name, {
      kind: "DaemonSet",
      namespace,
      replicas: 0,
      container: spec.str("container", name),
      cpuRequest: spec.num("cpuRequest", 0.025),
      cpuLimit: spec.num("cpuLimit", 0.2),
      memoryRequest: spec.bytes("memoryRequest", 64 * 2 ** 20),
      memoryLimit: spec.bytes("memoryLimit", 256 * 2 ** 20),
      version: spec.str("version", "1.0.0"),
      image: spec.str("image", name),
      hostNetwork: spec.bool("hostNetwork", false),
    });
    this.nodeAgents.push(agent);
    // Like the workloads declared at the start, these pods exist before the recording.
    const quiet = this.world.events.mute();
    this.placeDaemonPods(this.world.scenario.start);
    quiet();
  }

  /** Creates each node agent's missing pod on each node; the start gates and `start` bring it up. */
  private placeDaemonPods(t: number): void {
    for (const w of this.nodeAgents) {
      for (const node of this.nodes) {
        if (!node.present || w.pods.some((p) => p.node === node)) continue;
        const pod = this.createPod(w, { kind: "DaemonSet", name: w.name, namespace: w.namespace }, t);
        pod.node = node;
        pod.ip = w.hostNetwork ? node.ip : this.podIp(node);
      }
    }
  }

  private podIp(node: Node): string {
    return `10.0.${node.ip.split(".")[2]}.${(this.nextIp++ % 250) + 2}`;
  }

  private addGroup(group: Spec): void {
    const instanceType = group.str("instanceType");
    const limits = ec2Limits(instanceType);
    if (!limits) throw new ScenarioError(`${group.path}.instanceType: ${instanceType} is not in instance-limits.json`);
    const zones = group.strings("zones", ["us-east-1a"]);
    const count = group.num("count", 1);
    for (let k = 0; k < count; k++) this.addNode(group.str("name"), instanceType, zones[k % zones.length], group);
  }

  /** Adds a node of a group (also used by autoscalers); returns it. */
  addNode(group: string, instanceType: string, zone: string, groupSpec?: Spec): Node {
    const limits = ec2Limits(instanceType);
    if (!limits) throw new ScenarioError(`node group ${group}: unknown instance type ${instanceType}`);
    const subnet = zone.charCodeAt(zone.length - 1) - 96;
    const host = 10 + this.nodes.length * 7 + Math.floor(this.rng.next() * 6);
    const ip = `10.0.${subnet * 16}.${host}`;
    const prefixDelegation = this.prefixDelegation();
    // A launch template's --max-pods overrides the CNI table (the way to set it above what IPs allow).
    const maxPods =
      groupSpec?.num("maxPods", 0) || (prefixDelegation ? limits.max_pods_prefix_delegation : limits.max_pods);
    const node: Node = {
      name: `ip-${ip.replaceAll(".", "-")}.ec2.internal`,
      group,
      instanceType,
      zone,
      vcpu: limits.vcpu,
      memory: limits.memory_gib * 2 ** 30,
      maxPods,
      prefixDelegation,
      baselineBytesPerSecond: (limits.baseline_gbps * 1e9) / 8,
      burstBytesPerSecond: (limits.burst_gbps * 1e9) / 8,
      diskBytesPerSecond:
        groupSpec?.bytes("diskBytesPerSecond", DEFAULT_DISK_BYTES_PER_SECOND) ?? DEFAULT_DISK_BYTES_PER_SECOND,
      created: this.world.scenario.start - 86400,
      present: true,
      ready: true,
      cordoned: false,
      ip,
    };
    this.nodes.push(node);
    return node;
  }

  allocatableMemory(node: Pick<Node, "memory" | "maxPods">): number {
    return node.memory - RESERVED_MEMORY_BASE - RESERVED_MEMORY_PER_POD * node.maxPods;
  }

  allocatableCpu(node: Pick<Node, "vcpu">): number {
    return node.vcpu - SYSTEM_CPU;
  }

  /** Declares a workload; its pods are created and scheduled by `scale`. */
  workload(name: string, options: WorkloadOptions): Workload {
    const existing = this.workloads.get(name);
    if (existing) return existing;
    const w: Workload = {
      ...options,
      name,
      replicaSet: `${name}-${this.rng.k8sSuffix(10)}`,
      generation: 1,
      pods: [],
      gone: [],
    };
    this.workloads.set(name, w);
    // The replicas declared at the start exist before the recording: no events for their creation.
    const quiet = this.world.events.mute();
    this.scale(w, options.replicas, this.world.scenario.start);
    quiet();
    return w;
  }

  private podName(w: Workload): string {
    switch (w.kind) {
      case "Deployment":
        return `${w.replicaSet}-${this.rng.k8sSuffix(5)}`;
      case "StatefulSet": {
        // The lowest ordinal not in use: a StatefulSet recreates a deleted pod under its old name.
        let ordinal = 0;
        while (w.pods.some((p) => p.name === `${w.name}-${ordinal}`)) ordinal++;
        return `${w.name}-${ordinal}`;
      }
      default:
        return `${w.name}-${this.rng.k8sSuffix(5)}`;
    }
  }

  private involved(pod: Pod): InvolvedObject {
    return { kind: "Pod", name: pod.name, namespace: pod.namespace };
  }

  /** Sets a workload's desired replicas: creates pods (Pending until scheduled) or deletes the newest. */
  scale(w: Workload, replicas: number, t: number): void {
    const desired = Math.max(0, Math.round(replicas));
    this.desiredReplicas.set(w, desired);
    // During a rollout the surge pod is not a scale change.
    if (w.pods.some((p) => p.version !== w.version)) return;
    const before = w.pods.length;
    if (desired === before) return;
    const owner = w.kind === "Deployment" ? { kind: "ReplicaSet", name: w.replicaSet } : { kind: w.kind, name: w.name };
    const ownerRef = { ...owner, namespace: w.namespace };
    if (w.kind === "Deployment") {
      const verb = desired > before ? "up" : "down";
      this.world.events.emit(
        t,
        { kind: "Deployment", name: w.name, namespace: w.namespace },
        "Normal",
        "ScalingReplicaSet",
        `Scaled ${verb} replica set ${w.replicaSet} to ${desired} from ${before}`,
        "deployment-controller",
      );
    }
    while (w.pods.length < desired) this.createPod(w, ownerRef, t);
    while (w.pods.length > desired) {
      const pod = w.pods.pop() as Pod;
      this.deletePod(pod, t, true);
    }
  }

  private createPod(w: Workload, ownerRef: InvolvedObject, t: number, name = this.podName(w)): Pod {
    const pod: Pod = {
      name,
      namespace: w.namespace,
      workload: w,
      version: w.version,
      replicaSet: w.replicaSet,
      phase: "Pending",
      ready: false,
      created: t,
      restarts: 0,
      usage: zeroUsage(),
    };
    w.pods.push(pod);
    if (w.kind === "StatefulSet") {
      this.world.events.emit(
        t,
        ownerRef,
        "Normal",
        "SuccessfulCreate",
        `create Pod ${pod.name} in StatefulSet ${w.name} successful`,
        "statefulset-controller",
      );
      return pod;
    }
    this.world.events.emit(
      t,
      ownerRef,
      "Normal",
      "SuccessfulCreate",
      `Created pod: ${pod.name}`,
      w.kind === "Job" ? "job-controller" : "replicaset-controller",
    );
    return pod;
  }

  /**
   * A StatefulSet's rolling update: the pod stops gracefully and a new pod of the same name (its
   * ordinal identity) replaces it, Pending until scheduled. Returns the new pod.
   */
  replaceStatefulPod(pod: Pod, t: number): Pod {
    const w = pod.workload;
    const set = { kind: "StatefulSet", name: w.name, namespace: w.namespace };
    const index = w.pods.indexOf(pod);
    this.deletePod(pod, t, true);
    this.world.events.emit(
      t,
      set,
      "Normal",
      "SuccessfulDelete",
      `delete Pod ${pod.name} in StatefulSet ${w.name} successful`,
      "statefulset-controller",
    );
    const fresh = this.createPod(w, set, t, pod.name);
    w.pods.splice(w.pods.indexOf(fresh), 1);
    w.pods.splice(index, 0, fresh);
    return fresh;
  }

  /** Starts a rolling update of a Deployment to `version`: a new ReplicaSet, surging one pod at a time. */
  rollout(w: Workload, version: string): void {
    if (w.version === version || w.kind !== "Deployment") return;
    w.version = version;
    w.replicaSet = `${w.name}-${this.rng.k8sSuffix(10)}`;
    w.generation++;
  }

  /** maxSurge 1, maxUnavailable 0: one new pod at a time; an old one goes when the new one is ready. */
  private progressRollouts(t: number): void {
    for (const w of this.workloads.values()) {
      const old = w.pods.filter((p) => p.version !== w.version);
      if (old.length === 0) continue;
      const fresh = w.pods.filter((p) => p.version === w.version);
      const deployment = { kind: "Deployment", name: w.name, namespace: w.namespace };
      if (fresh.some((p) => !p.ready)) continue;
      const surged = fresh.length + old.length > this.desired(w);
      if (surged) {
        this.deletePod(old[0], t, true);
        this.world.events.emit(
          t,
          deployment,
          "Normal",
          "ScalingReplicaSet",
          `Scaled down replica set ${old[0].replicaSet} to ${old.length - 1} from ${old.length}`,
          "deployment-controller",
        );
        continue;
      }
      this.world.events.emit(
        t,
        deployment,
        "Normal",
        "ScalingReplicaSet",
        `Scaled up replica set ${w.replicaSet} to ${fresh.length + 1} from ${fresh.length}`,
        "deployment-controller",
      );
      this.createPod(w, { kind: "ReplicaSet", name: w.replicaSet, namespace: w.namespace }, t);
    }
  }

  private readonly desiredReplicas = new Map<Workload, number>();

  private desired(w: Workload): number {
    return this.desiredReplicas.get(w) ?? w.pods.length;
  }

  /**
   * The controller replaces pods deleted from under it (evicted, or gone with their node): no scaling
   * event; a StatefulSet's replacement takes the missing ordinal.
   */
  replaceMissing(w: Workload, t: number): void {
    const owner = w.kind === "Deployment" ? { kind: "ReplicaSet", name: w.replicaSet } : { kind: w.kind, name: w.name };
    while (w.pods.length < this.desired(w)) {
      const used = new Set(w.pods.map((p) => p.name));
      const ordinal =
        w.kind === "StatefulSet"
          ? Array.from({ length: w.pods.length + 1 }, (_, i) => `${w.name}-${i}`).find((n) => !used.has(n))
          : undefined;
      this.createPod(w, { ...owner, namespace: w.namespace }, t, ordinal);
    }
  }

  /**
   * Removes a pod; a graceful deletion stops its container with SIGTERM (exit 143) first, and the pod
   * stays Terminating for the workload's `stopSeconds`.
   */
  deletePod(pod: Pod, t: number, graceful: boolean): void {
    const w = pod.workload;
    w.pods = w.pods.filter((p) => p !== pod);
    if (graceful && pod.phase === "Running") {
      this.world.events.emit(
        t,
        this.involved(pod),
        "Normal",
        "Killing",
        `Stopping container ${w.container}`,
        "kubelet",
      );
      pod.lastTerminated = { reason: "Completed", exitCode: 143, at: t };
      w.onStop?.(pod, "graceful", t);
      if ((w.stopSeconds ?? 0) > 0) {
        this.terminating.push({ pod, until: t + (w.stopSeconds ?? 0) });
        return;
      }
    }
    this.finishPod(pod);
  }

  /** Pods Terminating now (deleted, still running their shutdown). */
  terminatingPods(): Pod[] {
    return this.terminating.map((x) => x.pod);
  }

  private finishTerminations(t: number): void {
    const done = this.terminating.filter((x) => x.until <= t);
    this.terminating = this.terminating.filter((x) => x.until > t);
    for (const { pod } of done) this.finishPod(pod);
  }

  private finishPod(pod: Pod): void {
    const w = pod.workload;
    this.terminating = this.terminating.filter((x) => x.pod !== pod);
    pod.phase = pod.phase === "Running" ? "Succeeded" : pod.phase;
    pod.ready = false;
    pod.node = undefined;
    w.gone.push(pod);
  }

  private fits(
    node: Node,
    pod: Pod,
    podsOn: Map<Node, Pod[]>,
  ): "ok" | "pods" | "cpu" | "memory" | "affinity" | "anti-affinity" | "unschedulable" {
    if (!node.present || !node.ready || node.cordoned || node.lostAt !== undefined) return "unschedulable";
    const w = pod.workload;
    if (w.zones && !w.zones.includes(node.zone)) return "affinity";
    if (w.nodeGroup !== undefined && node.group !== w.nodeGroup) return "affinity";
    const on = podsOn.get(node) ?? [];
    const onePerNode = w.kind === "DaemonSet" || w.antiAffinity === true;
    if (onePerNode && on.some((p) => p.workload === w)) return "anti-affinity";
    if (on.length >= node.maxPods) return "pods";
    const cpu = on.reduce((s, p) => s + p.workload.cpuRequest, 0) + pod.workload.cpuRequest;
    if (cpu > node.vcpu - SYSTEM_CPU) return "cpu";
    const memory = on.reduce((s, p) => s + p.workload.memoryRequest, 0) + pod.workload.memoryRequest;
    if (memory > this.allocatableMemory(node)) return "memory";
    return "ok";
  }

  /** Pods per node now. */
  podsByNode(): Map<Node, Pod[]> {
    const on = new Map<Node, Pod[]>();
    for (const w of this.workloads.values()) {
      for (const p of w.pods) {
        if (!p.node) continue;
        const list = on.get(p.node) ?? [];
        list.push(p);
        on.set(p.node, list);
      }
    }
    return on;
  }

  private schedule(t: number): void {
    const on = this.podsByNode();
    for (const w of this.workloads.values()) {
      for (const pod of w.pods) {
        if (pod.node || pod.phase !== "Pending") continue;
        // Preferred anti-affinity first (a node without a pod of the same workload), then the emptiest.
        const siblings = (n: Node) => (w.spread && on.get(n)?.some((p) => p.workload === w) ? 1 : 0);
        const candidates = this.nodes
          .filter((n) => this.fits(n, pod, on) === "ok")
          .sort((a, b) => siblings(a) - siblings(b) || (on.get(a)?.length ?? 0) - (on.get(b)?.length ?? 0));
        const node = candidates[0];
        if (!node) {
          this.failedScheduling(pod, on, t);
          continue;
        }
        pod.node = node;
        pod.ip = w.hostNetwork ? node.ip : this.podIp(node);
        on.set(node, [...(on.get(node) ?? []), pod]);
        this.world.events.emit(
          t,
          this.involved(pod),
          "Normal",
          "Scheduled",
          `Successfully assigned ${pod.namespace}/${pod.name} to ${node.name}`,
          "default-scheduler",
        );
      }
    }
  }

  private failedScheduling(pod: Pod, on: Map<Node, Pod[]>, t: number): void {
    // The scheduler retries with back-off; one event a minute per pod is what `kubectl get events` shows.
    if (t - (this.lastFailedScheduling.get(pod) ?? -Infinity) < 60) return;
    this.lastFailedScheduling.set(pod, t);
    const reasons = new Map<string, number>();
    for (const n of this.nodes.filter((x) => x.present)) {
      const r = this.fits(n, pod, on);
      const text =
        r === "pods"
          ? "Too many pods"
          : r === "cpu"
            ? "Insufficient cpu"
            : r === "memory"
              ? "Insufficient memory"
              : r === "affinity"
                ? "node(s) didn't match Pod's node affinity/selector"
                : r === "anti-affinity"
                  ? "node(s) didn't match pod anti-affinity rules"
                  : "node(s) had untolerated taint {node.kubernetes.io/unreachable: }";
      reasons.set(text, (reasons.get(text) ?? 0) + 1);
    }
    const total = this.nodes.filter((x) => x.present).length;
    const detail = [...reasons].map(([text, n]) => `${n} ${text}`).join(", ");
    this.world.events.emit(
      t,
      this.involved(pod),
      "Warning",
      "FailedScheduling",
      `0/${total} nodes are available: ${detail}.`,
      "default-scheduler",
    );
  }

  private start(t: number): void {
    for (const w of this.workloads.values()) {
      for (const pod of w.pods) {
        if (!pod.node || pod.phase !== "Pending" || t - pod.created < START_SECONDS) continue;
        if (!this.startGates.every((gate) => gate(pod, t))) continue;
        this.startPod(pod, t);
      }
    }
  }

  private startPod(pod: Pod, t: number): void {
    pod.phase = "Running";
    pod.started = Math.min(t, pod.created + START_SECONDS);
    // On a node the control plane cannot hear from, the pod runs but is not marked Ready.
    pod.ready = pod.node?.unreachableSince === undefined;
    this.world.events.emit(
      t,
      this.involved(pod),
      "Normal",
      "Started",
      `Started container ${pod.workload.container}`,
      "kubelet",
    );
  }

  /**
   * A container dies (OOMKilled 137, Error 1, a failed liveness probe): the pod stays, its container
   * restarts after the crash-loop back-off.
   */
  restartContainer(pod: Pod, reason: string, exitCode: number, t: number): void {
    if (pod.phase !== "Running") return;
    pod.restarts++;
    pod.lastTerminated = { reason, exitCode, at: t };
    pod.ready = false;
    const backOff = Math.min(BACKOFF_MAX, BACKOFF_START * 2 ** Math.max(0, pod.restarts - 1));
    pod.backOffUntil = t + (pod.restarts > 1 ? backOff : 1);
    if (pod.restarts > 1) {
      this.world.events.emit(
        t,
        this.involved(pod),
        "Warning",
        "BackOff",
        `Back-off restarting failed container ${pod.workload.container} in pod ${pod.name}_${pod.namespace}(${this.rng.hex(4)})`,
        "kubelet",
      );
    }
    pod.usage = zeroUsage();
    pod.workload.onRestart?.(pod);
  }

  private resumeBackedOff(t: number): void {
    for (const w of this.workloads.values()) {
      for (const pod of w.pods) {
        if (pod.backOffUntil !== undefined && t >= pod.backOffUntil && pod.phase === "Running") {
          pod.backOffUntil = undefined;
          pod.ready = pod.node?.unreachableSince === undefined;
          this.world.events.emit(
            t,
            this.involved(pod),
            "Normal",
            "Started",
            `Started container ${w.container}`,
            "kubelet",
          );
        }
      }
    }
  }

  /**
   * The recording starts on a running system: the pods declared at the start are already scheduled
   * and running, created some days before (their events are older than the API server keeps).
   */
  private startRunning(t: number): void {
    for (const w of this.workloads.values()) {
      for (const pod of w.pods) pod.created = t - this.rng.uniform(1, 10) * 86400;
    }
    const quiet = this.world.events.mute();
    this.schedule(t);
    for (const w of this.workloads.values()) {
      for (const pod of w.pods) if (pod.node) this.startPod(pod, t);
    }
    quiet();
  }

  step(tick: Tick): void {
    if (tick.i === 0) this.startRunning(tick.t);
    this.lifecycle.step(tick.t);
    this.finishTerminations(tick.t);
    this.placeDaemonPods(tick.t);
    this.progressRollouts(tick.t);
    this.resumeBackedOff(tick.t);
    this.schedule(tick.t);
    this.start(tick.t);
  }

  /** Pods of the cluster that are running and ready, in a workload (not those whose instance is gone). */
  readyPods(w: Workload): Pod[] {
    return w.pods.filter((p) => p.ready && p.node?.lostAt === undefined);
  }

  private oomKill(tick: Tick): void {
    for (const w of this.workloads.values()) {
      for (const pod of w.pods) {
        if (pod.phase !== "Running" || pod.usage.memory <= w.memoryLimit) continue;
        if (pod.node) this.oomKills.set(pod.node, (this.oomKills.get(pod.node) ?? 0) + 1);
        this.containerOomEvents.set(pod, (this.containerOomEvents.get(pod) ?? 0) + 1);
        this.restartContainer(pod, "OOMKilled", 137, tick.t);
      }
    }
  }

  /** Kernel OOM kills per node (`/proc/vmstat` oom_kill) and per container (cAdvisor), since the start. */
  private readonly oomKills = new Map<Node, number>();
  private readonly containerOomEvents = new Map<Pod, number>();

  observe(tick: Tick): void {
    this.oomKill(tick);
    const on = this.podsByNode();
    for (const node of this.nodes) if (node.present) this.observeNode(node, on.get(node) ?? [], tick);
    for (const w of this.workloads.values()) this.observeWorkload(w, tick);
  }

  private podLabels(pod: Pod): Labels {
    return { namespace: pod.namespace, pod: pod.name };
  }

  private observeWorkload(w: Workload, tick: Tick): void {
    const m = this.world.metrics;
    const terminating = this.terminating.filter((x) => x.pod.workload === w).map((x) => x.pod);
    for (const pod of [...w.pods, ...terminating]) {
      const labels = this.podLabels(pod);
      const createdBy =
        w.kind === "Deployment" ? { kind: "ReplicaSet", name: pod.replicaSet } : { kind: w.kind, name: w.name };
      m.get(KSM, "kube_pod_info", {
        ...labels,
        node: pod.node?.name ?? "",
        pod_ip: pod.ip ?? "",
        created_by_kind: createdBy.kind,
        created_by_name: createdBy.name,
      }).set(1);
      m.get(KSM, "kube_pod_status_phase", { ...labels, phase: pod.phase }).set(1);
      m.get(KSM, "kube_pod_status_ready", { ...labels, condition: "true" }).set(pod.ready ? 1 : 0);
      const container = { ...labels, container: w.container };
      m.get(KSM, "kube_pod_container_status_restarts_total", container).set(pod.restarts);
      m.get(KSM, "kube_pod_container_info", { ...container, image: `${w.image}:${pod.version}` }).set(1);
      if (pod.lastTerminated && pod.lastTerminated.reason !== "Completed") {
        m.get(KSM, "kube_pod_container_status_last_terminated_reason", {
          ...container,
          reason: pod.lastTerminated.reason,
        }).set(1);
      }
      if (pod.backOffUntil !== undefined && pod.restarts > 1) {
        m.get(KSM, "kube_pod_container_status_waiting_reason", { ...container, reason: "CrashLoopBackOff" }).set(1);
      }
      if (pod.phase === "Running" && pod.node && pod.node.lostAt === undefined) this.observeContainer(pod, tick);
    }
    const available = w.pods.filter((p) => p.ready).length;
    if (w.kind === "Deployment") {
      const labels = { namespace: w.namespace, deployment: w.name };
      m.get(KSM, "kube_deployment_spec_replicas", labels).set(this.desired(w));
      m.get(KSM, "kube_deployment_metadata_generation", labels).set(w.generation);
      m.get(KSM, "kube_deployment_status_replicas_available", labels).set(available);
      m.get(KSM, "kube_deployment_status_replicas_unavailable", labels).set(w.pods.length - available);
    } else if (w.kind === "Job") {
      m.get(KSM, "kube_job_status_active", { namespace: w.namespace, job_name: w.name }).set(w.pods.length);
    } else if (w.kind === "StatefulSet") {
      m.get(KSM, "kube_statefulset_status_replicas_ready", { namespace: w.namespace, statefulset: w.name }).set(
        available,
      );
    } else if (w.kind === "DaemonSet") {
      const labels = { namespace: w.namespace, daemonset: w.name };
      m.get(KSM, "kube_daemonset_status_desired_number_scheduled", labels).set(w.pods.length);
      m.get(KSM, "kube_daemonset_status_number_ready", labels).set(available);
    }
  }

  private observeContainer(pod: Pod, tick: Tick): void {
    const m = this.world.metrics;
    const w = pod.workload;
    const node = pod.node as Node;
    const labels = { namespace: pod.namespace, pod: pod.name, container: w.container, node: node.name };
    const u = pod.usage;
    const cpu = Math.min(u.cpu, w.cpuLimit);
    m.get(KUBELET, "container_cpu_usage_seconds_total", labels).add(cpu * tick.dt);
    const periods = CFS_PERIODS_PER_SECOND * tick.dt;
    m.get(KUBELET, "container_cpu_cfs_periods_total", labels).add(periods);
    const throttledShare = u.cpu > w.cpuLimit ? Math.min(1, (u.cpu - w.cpuLimit) / w.cpuLimit + 0.3) : 0;
    m.get(KUBELET, "container_cpu_cfs_throttled_periods_total", labels).add(periods * throttledShare);
    m.get(KUBELET, "container_memory_working_set_bytes", labels).set(Math.round(u.memory));
    m.get(KUBELET, "container_spec_memory_limit_bytes", labels).set(w.memoryLimit);
    m.get(KUBELET, "container_oom_events_total", labels).set(this.containerOomEvents.get(pod) ?? 0);
    const net = { namespace: pod.namespace, pod: pod.name, interface: "eth0", node: node.name };
    m.get(KUBELET, "container_network_receive_bytes_total", net).add(u.rxBytes * tick.dt);
    m.get(KUBELET, "container_network_transmit_bytes_total", net).add(u.txBytes * tick.dt);
    m.get(KUBELET, "container_network_receive_packets_dropped_total", net).add(u.droppedPackets * tick.dt);
    m.get(KUBELET, "container_fs_writes_bytes_total", { ...labels, device: "/dev/nvme0n1" }).add(
      u.fsWriteBytes * tick.dt,
    );
  }

  private observeNode(node: Node, pods: Pod[], tick: Tick): void {
    const m = this.world.metrics;
    const running = pods.filter((p) => p.phase === "Running");
    const sum = (f: (u: PodUsage, p: Pod) => number) => running.reduce((s, p) => s + f(p.usage, p), 0);
    const cpu = Math.min(node.vcpu, SYSTEM_CPU + sum((u, p) => Math.min(u.cpu, p.workload.cpuLimit)));
    const memory = SYSTEM_MEMORY + sum((u) => u.memory);
    const rx = sum((u) => u.rxBytes);
    const tx = sum((u) => u.txBytes);
    const write = sum((u) => u.fsWriteBytes);
    const retransmits = sum((u) => u.retransmits);
    const diskBusy = Math.min(1, write / node.diskBytesPerSecond);
    const host = { instance: `${node.ip}:9100`, node: node.name };
    // A node whose kubelet stopped reporting (gone, or cut off from the API server) is Unknown; one that
    // reports it is not ready is False.
    const silent = node.lostAt !== undefined || node.unreachableSince !== undefined;
    const condition = node.ready ? "true" : silent ? "unknown" : "false";
    for (const status of ["true", "false", "unknown"]) {
      m.get(KSM, "kube_node_status_condition", { node: node.name, condition: "Ready", status }).set(
        status === condition ? 1 : 0,
      );
    }
    m.get(KSM, "kube_node_spec_unschedulable", { node: node.name }).set(node.cordoned ? 1 : 0);
    // Node labels as kube-state-metrics exports them when allowed (--metric-labels-allowlist): the
    // zone and group of a node stay on record after the node itself is gone.
    m.get(KSM, "kube_node_labels", {
      node: node.name,
      label_topology_kubernetes_io_zone: node.zone,
      label_node_kubernetes_io_instance_type: node.instanceType,
      label_eks_amazonaws_com_nodegroup: node.group,
    }).set(1);
    m.get(KSM, "kube_node_status_allocatable", { node: node.name, resource: "pods", unit: "integer" }).set(
      node.maxPods,
    );
    m.get(KSM, "kube_node_status_allocatable", { node: node.name, resource: "cpu", unit: "core" }).set(
      node.vcpu - SYSTEM_CPU,
    );
    m.get(KSM, "kube_node_status_allocatable", { node: node.name, resource: "memory", unit: "byte" }).set(
      this.allocatableMemory(node),
    );
    // node_exporter runs on the instance: no instance, no scrape.
    if (!node.ready || node.lostAt !== undefined) return;
    const iowait = Math.min(node.vcpu - cpu, diskBusy * 0.5 * node.vcpu);
    for (let c = 0; c < node.vcpu; c++) {
      const share = (mode: number) => (mode / node.vcpu) * tick.dt;
      const cpuLabels = (mode: string) => ({ ...host, cpu: String(c), mode });
      m.get(NODE_EXPORTER, "node_cpu_seconds_total", cpuLabels("user")).add(share(cpu * 0.8));
      m.get(NODE_EXPORTER, "node_cpu_seconds_total", cpuLabels("system")).add(share(cpu * 0.2));
      m.get(NODE_EXPORTER, "node_cpu_seconds_total", cpuLabels("iowait")).add(share(iowait));
      m.get(NODE_EXPORTER, "node_cpu_seconds_total", cpuLabels("idle")).add(share(node.vcpu - cpu - iowait));
    }
    m.get(NODE_EXPORTER, "node_load1", host).set(this.rng.jitter(cpu + iowait, 0.05));
    m.get(NODE_EXPORTER, "node_memory_MemTotal_bytes", host).set(node.memory);
    m.get(NODE_EXPORTER, "node_memory_MemAvailable_bytes", host).set(Math.max(0, node.memory - memory));
    m.get(NODE_EXPORTER, "node_vmstat_oom_kill", host).set(this.oomKills.get(node) ?? 0);
    const eth = { ...host, device: "eth0" };
    m.get(NODE_EXPORTER, "node_network_receive_bytes_total", eth).add(rx * tick.dt);
    m.get(NODE_EXPORTER, "node_network_transmit_bytes_total", eth).add(tx * tick.dt);
    m.get(NODE_EXPORTER, "node_network_receive_packets_total", eth).add((rx / BYTES_PER_PACKET) * tick.dt);
    m.get(NODE_EXPORTER, "node_network_transmit_packets_total", eth).add((tx / BYTES_PER_PACKET) * tick.dt);
    // A healthy node still retransmits a little (a segment in ten thousand, order of magnitude).
    const segments = ((rx + tx) / BYTES_PER_PACKET) * BASELINE_RETRANSMIT_SHARE;
    m.get(NODE_EXPORTER, "node_netstat_Tcp_RetransSegs", host).add((segments + retransmits) * tick.dt);
    const disk = { ...host, device: "nvme0n1" };
    m.get(NODE_EXPORTER, "node_disk_written_bytes_total", disk).add(write * tick.dt);
    m.get(NODE_EXPORTER, "node_disk_io_time_seconds_total", disk).add(diskBusy * tick.dt);
  }
}

export function createCluster(spec: Spec, world: World): Cluster {
  return new Cluster(spec, world);
}
