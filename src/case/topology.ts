/**
 * Who runs where and answers to which address, from what the cluster recorded: kube-state-metrics'
 * `kube_pod_info` (pod, node, pod_ip, owner) and `kube_node_labels`, and kubectl pods and nodes. The
 * catalogue's checks use it to name the workload behind a client address and the pods on a node.
 */
import { entityId, workloadOfOwner, workloadOfPod } from "./entity.js";
import type { Case } from "./model.js";

export interface PodPlacement {
  /** `pod:<namespace>/<name>`. */
  pod: string;
  name: string;
  namespace?: string;
  /** The workload's entity id (`service:shipping`). */
  workload: string;
  node?: string;
  ip?: string;
  /** First and last time the pod was seen in the data (unix s). */
  firstSeen: number;
  lastSeen: number;
}

export interface Topology {
  pods: Map<string, PodPlacement>;
  /** Pod IP -> workload entity id (the latest pod to hold the address). */
  workloadByIp: Map<string, string>;
  /** Node name -> instance type, where recorded. */
  instanceType: Map<string, string>;
  /** Node name -> availability zone, where recorded. */
  zone: Map<string, string>;
  /** Workload entity id -> namespace. */
  namespaceOf: Map<string, string>;
}

const INSTANCE_TYPE_LABELS = [
  "label_node_kubernetes_io_instance_type",
  "label_beta_kubernetes_io_instance_type",
  "node.kubernetes.io/instance-type",
  "beta.kubernetes.io/instance-type",
];
const ZONE_LABELS = [
  "label_topology_kubernetes_io_zone",
  "label_failure_domain_beta_kubernetes_io_zone",
  "topology.kubernetes.io/zone",
  "failure-domain.beta.kubernetes.io/zone",
];

function firstOf(labels: Record<string, unknown>, keys: string[]): string | undefined {
  for (const k of keys) if (typeof labels[k] === "string" && labels[k]) return labels[k] as string;
  return undefined;
}

function place(topology: Topology, p: Omit<PodPlacement, "pod">): void {
  const pod = entityId("pod", p.name, p.namespace);
  const seen = topology.pods.get(pod);
  const merged: PodPlacement = seen
    ? {
        ...seen,
        node: p.node ?? seen.node,
        ip: p.ip ?? seen.ip,
        firstSeen: Math.min(seen.firstSeen, p.firstSeen),
        lastSeen: Math.max(seen.lastSeen, p.lastSeen),
      }
    : { pod, ...p };
  topology.pods.set(pod, merged);
  if (p.namespace) topology.namespaceOf.set(merged.workload, p.namespace);
}

interface PodObject {
  metadata?: {
    name?: string;
    namespace?: string;
    ownerReferences?: { kind?: string; name?: string }[];
    creationTimestamp?: string;
  };
  spec?: { nodeName?: string };
  status?: { podIP?: string };
}

interface NodeObject {
  metadata?: { name?: string; labels?: Record<string, string> };
}

/** One topology per Case: the detectors and the reasoner both ask for it. */
const built = new WeakMap<Case, Topology>();

export function buildTopology(c: Case): Topology {
  const known = built.get(c);
  if (known) return known;
  const topology = topologyOf(c);
  built.set(c, topology);
  return topology;
}

function topologyOf(c: Case): Topology {
  const topology: Topology = {
    pods: new Map(),
    workloadByIp: new Map(),
    instanceType: new Map(),
    zone: new Map(),
    namespaceOf: new Map(),
  };
  for (const s of c.series) {
    if (s.t.length === 0) continue;
    if (s.metric === "kube_pod_info" && s.labels.pod) {
      const owner =
        s.labels.created_by_kind && s.labels.created_by_name && s.labels.created_by_name !== "<none>"
          ? workloadOfOwner(s.labels.created_by_kind, s.labels.created_by_name)
          : workloadOfPod(s.labels.pod);
      place(topology, {
        name: s.labels.pod,
        namespace: s.labels.namespace || undefined,
        workload: entityId("service", owner),
        node: s.labels.node || undefined,
        ip: s.labels.pod_ip || undefined,
        firstSeen: s.t[0],
        lastSeen: s.t[s.t.length - 1],
      });
    } else if (s.metric === "kube_node_labels" && s.labels.node) {
      const type = firstOf(s.labels, INSTANCE_TYPE_LABELS);
      const zone = firstOf(s.labels, ZONE_LABELS);
      if (type) topology.instanceType.set(s.labels.node, type);
      if (zone) topology.zone.set(s.labels.node, zone);
    }
  }
  for (const o of c.objects) {
    if (o.kind === "Pod") {
      const pod = o as unknown as PodObject;
      const name = pod.metadata?.name;
      if (!name) continue;
      const ref = pod.metadata?.ownerReferences?.[0];
      const owner = ref?.kind && ref.name ? workloadOfOwner(ref.kind, ref.name) : workloadOfPod(name);
      const created = pod.metadata?.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) / 1000 : Number.NaN;
      place(topology, {
        name,
        namespace: pod.metadata?.namespace,
        workload: entityId("service", owner),
        node: pod.spec?.nodeName,
        ip: pod.status?.podIP,
        firstSeen: Number.isFinite(created) ? created : Number.POSITIVE_INFINITY,
        lastSeen: Number.NEGATIVE_INFINITY,
      });
    } else if (o.kind === "Node") {
      const node = o as unknown as NodeObject;
      const name = node.metadata?.name;
      const labels = node.metadata?.labels ?? {};
      if (!name) continue;
      const type = firstOf(labels, INSTANCE_TYPE_LABELS);
      const zone = firstOf(labels, ZONE_LABELS);
      if (type && !topology.instanceType.has(name)) topology.instanceType.set(name, type);
      if (zone && !topology.zone.has(name)) topology.zone.set(name, zone);
    }
  }
  const byIpTime = new Map<string, number>();
  for (const p of topology.pods.values()) {
    if (!p.ip) continue;
    const when = Number.isFinite(p.lastSeen) ? p.lastSeen : p.firstSeen;
    if ((byIpTime.get(p.ip) ?? Number.NEGATIVE_INFINITY) <= when) {
      byIpTime.set(p.ip, when);
      topology.workloadByIp.set(p.ip, p.workload);
    }
  }
  return topology;
}
