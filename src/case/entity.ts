/**
 * Entity resolution from labels (DESIGN.md, step 2), in this documented order: `service`, `app`,
 * `app.kubernetes.io/name`, `deployment`, `pod` (folded to its workload), `container`, `job`.
 * `pod` comes before `container` and `job` because those two often name something generic: a container
 * called `server` or `istio-proxy` in every pod, or the Prometheus scrape job (`kube-state-metrics`)
 * that collected the series about the pod.
 */
import type { Entity, EntityKind } from "./model.js";

export const RESOLUTION_ORDER = ["service", "app", "app.kubernetes.io/name", "deployment", "pod", "container", "job"];

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
}

/** The service/workload an item of telemetry belongs to, from its labels; undefined when none names one. */
export function resolveEntity(labels: Record<string, string>): Resolved | undefined {
  const namespace = labels.namespace || labels.kubernetes_namespace || undefined;
  const podName = labels.pod || labels.pod_name || undefined;
  const nodeName = HOST_LABELS.map((l) => labels[l]).find((v) => v);
  for (const key of RESOLUTION_ORDER) {
    const value = labels[key];
    if (!value) continue;
    // A scrape job beside a node's name is the exporter that reported on the node (node_exporter).
    if (key === "job" && NODE_NAME_LABELS.some((l) => labels[l])) break;
    const name = key === "pod" ? workloadOfPod(value) : value;
    const resolved: Resolved = { primary: makeEntity("service", name, {}, undefined) };
    if (podName) resolved.pod = makeEntity("pod", podName, {}, namespace);
    if (nodeName && podName) resolved.node = makeEntity("node", nodeName);
    return resolved;
  }
  if (nodeName) return { primary: makeEntity("node", nodeName) };
  return undefined;
}

/** The name part of an entity id: `service:carts` -> `carts`. */
export function entityName(id: string): string {
  return id.slice(id.indexOf(":") + 1);
}
