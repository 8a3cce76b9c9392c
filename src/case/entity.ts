/**
 * Entity resolution from labels (DESIGN.md, step 2), in this documented order: `service`, `app`,
 * `app.kubernetes.io/name`, `deployment`, the pod's recorded owner (`created_by_name` of
 * kube-state-metrics, a ReplicaSet folded to its Deployment), `statefulset`, `daemonset`, `pod`
 * (folded to its workload by its name), `job_name`, `cronjob`, `container`, `job`.
 * `pod` comes before `container` and `job` because those two often name something generic: a container
 * called `server` or `istio-proxy` in every pod, or the Prometheus scrape job (`kube-state-metrics`)
 * that collected the series about the pod.
 */
import type { Entity, EntityKind } from "./model.js";

export const RESOLUTION_ORDER = [
  "service",
  "app",
  "app.kubernetes.io/name",
  "deployment",
  "created_by_name",
  "statefulset",
  "daemonset",
  "pod",
  // After `pod`: an application may use `job_name` for its own work (Sidekiq's job class), while
  // kube-state-metrics' Job series carry it with no pod.
  "job_name",
  "cronjob",
  "container",
  "job",
];

/**
 * Scrape jobs of exporters that report on other things (nodes, pods, databases, brokers): the series
 * describe what their other labels name, never a service called after the exporter. `node` alone is
 * node_exporter's job in Prometheus' own examples and Debian's packaged configuration.
 */
const EXPORTER_JOB = /(^|[-_])(exporter|kube-state-metrics|kubelet|cadvisor)([-_]|$)|^node$/;

/**
 * A `node`-prefixed metric name (node_exporter's namespace, or `NodeCpuUsageRate`) describes the host:
 * beside only a scrape job, the host in `instance`, whatever the job is called.
 */
export const HOST_METRIC = /^[Nn]ode(_|[A-Z])/;

/** Labels that name a host rather than a workload; used only when no workload label is present. */
const HOST_LABELS = ["node", "host", "instance", "kubernetes_node"];
/** Host labels that carry a node's name (`instance` is often a scrape address of a service instead). */
const NODE_NAME_LABELS = ["node", "host", "kubernetes_node"];

/** Kubernetes generates pod-name suffixes from this alphabet (no vowels, no 0/1/3 — avoids words). */
const K8S_SUFFIX_CHARS = "bcdfghjklmnpqrstvwxz2456789";
/** `<deployment>-<replicaset hash 5..10>-<pod hash 5>`. */
const DEPLOYMENT_POD = new RegExp(`^(.+)-[${K8S_SUFFIX_CHARS}]{5,10}-[${K8S_SUFFIX_CHARS}]{5}$`);
/** `<daemonset|job>-<pod hash 5>`; required to contain a digit so that words (`-stats`) are not cut. */
const SINGLE_SUFFIX_POD = new RegExp(`^(.+)-(?=[${K8S_SUFFIX_CHARS}]*\\d)[${K8S_SUFFIX_CHARS}]{5}$`);
/** `<statefulset>-<ordinal>`. */
const STATEFULSET_POD = /^(.+)-\d{1,4}$/;

/** A ReplicaSet is `<deployment>-<pod-template hash>`. */
const REPLICASET = new RegExp(`^(.+)-[${K8S_SUFFIX_CHARS}]{5,10}$`);

/** The workload that owns a pod, from its recorded owner: a ReplicaSet folds to its Deployment. */
export function workloadOfOwner(kind: string, name: string): string {
  return kind === "ReplicaSet" ? (REPLICASET.exec(name)?.[1] ?? name) : name;
}

/** `shipping-7d9f8c6b5-x2x9q` -> `shipping`; `mysql-0` -> `mysql`; other names unchanged. */
export function workloadOfPod(pod: string): string {
  return DEPLOYMENT_POD.exec(pod)?.[1] ?? SINGLE_SUFFIX_POD.exec(pod)?.[1] ?? STATEFULSET_POD.exec(pod)?.[1] ?? pod;
}

export function entityId(kind: EntityKind, name: string, namespace?: string): string {
  return namespace && (kind === "pod" || kind === "workload") ? `${kind}:${namespace}/${name}` : `${kind}:${name}`;
}

export function makeEntity(kind: EntityKind, name: string, labels: Record<string, string> = {}, namespace?: string) {
  const entity: Entity = { id: entityId(kind, name, namespace), kind, name, labels };
  if (namespace) entity.namespace = namespace;
  return entity;
}

export interface Resolved {
  /** The entity the data is about (a service, or a node when only a host is named). */
  primary: Entity;
  /** The pod, when the labels name one. */
  pod?: Entity;
  /** The node the pod runs on, when the labels name one. */
  node?: Entity;
  /** Set when the primary entity was guessed from the pod's name; its recorded owner may correct it. */
  guessedFromPod?: boolean;
}

/**
 * The service/workload an item of telemetry belongs to, from its labels (and, for a metric series, its
 * name); undefined when none names one.
 */
export function resolveEntity(labels: Record<string, string>, metric?: string): Resolved | undefined {
  const namespace = labels.namespace || labels.kubernetes_namespace || undefined;
  const podName = labels.pod || labels.pod_name || undefined;
  const nodeName = HOST_LABELS.map((l) => labels[l]).find((v) => v);
  for (const key of RESOLUTION_ORDER) {
    const value = labels[key];
    if (!value) continue;
    // A scrape job beside a node's name is the exporter that reported on the node (node_exporter).
    if (
      key === "job" &&
      (NODE_NAME_LABELS.some((l) => labels[l]) ||
        EXPORTER_JOB.test(value) ||
        (metric !== undefined && HOST_METRIC.test(metric)))
    )
      break;
    // kube-state-metrics names the owner of a pod it has no other words for: `<none>` for a bare pod.
    if (key === "created_by_name" && (value === "<none>" || !labels.created_by_kind)) continue;
    const name =
      key === "pod"
        ? workloadOfPod(value)
        : key === "created_by_name"
          ? workloadOfOwner(labels.created_by_kind, value)
          : value;
    const resolved: Resolved = { primary: makeEntity("service", name, {}, undefined) };
    if (podName) resolved.pod = makeEntity("pod", podName, {}, namespace);
    if (nodeName && podName) resolved.node = makeEntity("node", nodeName);
    if (key === "pod") resolved.guessedFromPod = true;
    return resolved;
  }
  if (nodeName) return { primary: makeEntity("node", nodeName) };
  return undefined;
}

/** The name part of an entity id: `service:carts` -> `carts`. */
export function entityName(id: string): string {
  return id.slice(id.indexOf(":") + 1);
}
