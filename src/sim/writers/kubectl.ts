/** The cluster's final state and its events as `kubectl get pods|nodes|events -A -o json` prints them. */
import type { Cluster, Node, Pod } from "../models/cluster.js";
import type { KubeEvent } from "../telemetry.js";

function iso(t: number): string {
  return new Date(Math.round(t) * 1000).toISOString().replace(".000Z", "Z");
}

function list(items: unknown[]): string {
  return JSON.stringify({ apiVersion: "v1", kind: "List", items, metadata: { resourceVersion: "" } }, null, 1);
}

function uid(name: string): string {
  let h = 0;
  for (const c of name) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  const hex = h.toString(16).padStart(8, "0");
  return `${hex}-${hex.slice(0, 4)}-4${hex.slice(1, 4)}-8${hex.slice(2, 5)}-${hex}${hex.slice(0, 4)}`;
}

function podJson(pod: Pod, now: number) {
  const w = pod.workload;
  const owner = w.kind === "Deployment" ? { kind: "ReplicaSet", name: pod.replicaSet } : { kind: w.kind, name: w.name };
  const running = pod.phase === "Running" && pod.backOffUntil === undefined;
  const containerStatus: Record<string, unknown> = {
    name: w.container,
    image: `${w.image}:${pod.version}`,
    ready: pod.ready,
    restartCount: pod.restarts,
    started: running,
    state: running
      ? { running: { startedAt: iso(pod.started ?? pod.created) } }
      : pod.backOffUntil !== undefined
        ? { waiting: { reason: "CrashLoopBackOff", message: `back-off restarting failed container ${w.container}` } }
        : { waiting: { reason: "ContainerCreating" } },
  };
  if (pod.lastTerminated) {
    containerStatus.lastState = {
      terminated: {
        reason: pod.lastTerminated.reason,
        exitCode: pod.lastTerminated.exitCode,
        finishedAt: iso(pod.lastTerminated.at),
      },
    };
  }
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      uid: uid(pod.name),
      creationTimestamp: iso(pod.created),
      labels: { app: w.name, ...(w.labels ?? {}) },
      ownerReferences: [
        {
          apiVersion: owner.kind === "Job" ? "batch/v1" : "apps/v1",
          kind: owner.kind,
          name: owner.name,
          controller: true,
        },
      ],
    },
    spec: {
      nodeName: pod.node?.name,
      ...(w.hostNetwork ? { hostNetwork: true } : {}),
      containers: [
        {
          name: w.container,
          image: `${w.image}:${pod.version}`,
          resources: {
            requests: {
              cpu: `${Math.round(w.cpuRequest * 1000)}m`,
              memory: `${Math.round(w.memoryRequest / 2 ** 20)}Mi`,
            },
            limits: { cpu: `${Math.round(w.cpuLimit * 1000)}m`, memory: `${Math.round(w.memoryLimit / 2 ** 20)}Mi` },
          },
        },
      ],
    },
    status: {
      phase: pod.phase,
      podIP: pod.ip,
      hostIP: pod.node?.ip,
      startTime: iso(pod.started ?? now),
      conditions: [{ type: "Ready", status: pod.ready ? "True" : "False" }],
      containerStatuses: pod.phase === "Pending" && !pod.node ? undefined : [containerStatus],
    },
  };
}

/** Cordoned nodes are unschedulable; a node the control plane lost carries the unreachable taints. */
function nodeSpec(node: Node) {
  const taints: { key: string; effect: string }[] = [];
  if (node.cordoned) taints.push({ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" });
  if (!node.ready) {
    taints.push({ key: "node.kubernetes.io/unreachable", effect: "NoSchedule" });
    taints.push({ key: "node.kubernetes.io/unreachable", effect: "NoExecute" });
  }
  return { ...(node.cordoned ? { unschedulable: true } : {}), ...(taints.length > 0 ? { taints } : {}) };
}

function nodeJson(node: Node, cluster: Cluster) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: node.name,
      uid: uid(node.name),
      creationTimestamp: iso(node.created),
      labels: {
        "kubernetes.io/hostname": node.name,
        "node.kubernetes.io/instance-type": node.instanceType,
        "topology.kubernetes.io/zone": node.zone,
        "eks.amazonaws.com/nodegroup": node.group,
      },
    },
    spec: nodeSpec(node),
    status: {
      capacity: { pods: String(node.maxPods), cpu: String(node.vcpu), memory: `${Math.round(node.memory / 1024)}Ki` },
      allocatable: {
        pods: String(node.maxPods),
        cpu: `${node.vcpu * 1000 - 80}m`,
        memory: `${Math.round(cluster.allocatableMemory(node) / 1024)}Ki`,
      },
      conditions: [{ type: "Ready", status: node.ready ? "True" : "Unknown" }],
      addresses: [{ type: "InternalIP", address: node.ip }],
    },
  };
}

function eventJson(e: KubeEvent, i: number) {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: {
      name: `${e.involved.name}.${(0x17a000000 + i * 7919).toString(16)}`,
      namespace: e.involved.namespace ?? "default",
      creationTimestamp: iso(e.first),
    },
    involvedObject: { kind: e.involved.kind, name: e.involved.name, namespace: e.involved.namespace },
    reason: e.reason,
    message: e.message,
    type: e.type,
    source: { component: e.component },
    firstTimestamp: iso(e.first),
    lastTimestamp: iso(e.last),
    count: e.count,
  };
}

export function kubectlPods(cluster: Cluster, now: number): string {
  const pods = [...cluster.workloads.values()].flatMap((w) => w.pods);
  return list(pods.map((p) => podJson(p, now)));
}

export function kubectlNodes(cluster: Cluster): string {
  return list(cluster.nodes.filter((n) => n.present).map((n) => nodeJson(n, cluster)));
}

export function kubectlEvents(events: KubeEvent[]): string {
  return list(events.map(eventJson));
}
