/**
 * `kubectl get … -o json` output: a List (`List`, `PodList`, `EventList` …) or a single object.
 * Objects are named by labels `{<kind in lower case>: name, namespace}`, the same way events name
 * their involved object, so that entity resolution sees one naming for both.
 */
import { parseTimestamp } from "../case/time.js";
import { arrayOf, isObject, type JsonObject, textOf } from "./jsonDocument.js";
import { streamNestedRecords } from "./jsonItems.js";
import { type CaseSink, type Labels, ReadError, type Reader, type ReaderInput } from "./types.js";

const EXPECTED = 'Kubernetes JSON (kubectl get -o json: {"kind": "List", "items": [...]} or one object)';
/** Workload and service kinds kept as objects (their spec/status: replicas, limits, selectors). */
const OBJECT_KINDS = new Set([
  "Deployment",
  "ReplicaSet",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
  "Service",
  "HorizontalPodAutoscaler",
]);
/**
 * Owner kinds whose name is added to a pod's labels. A Job owner is left out: `job` ranks above `pod`
 * in entity resolution and would rename the pod after its Job.
 */
const POD_OWNER_LABELS = new Set(["ReplicaSet", "StatefulSet", "DaemonSet"]);
/** Current and deprecated (beta, failure-domain) node label keys, read into the current ones. */
const INSTANCE_TYPE_KEYS = ["node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type"];
const ZONE_KEYS = ["topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"];

interface Item {
  object: JsonObject;
  kind: string;
  where: string;
}

function metadataOf(object: JsonObject): JsonObject {
  return isObject(object.metadata) ? object.metadata : {};
}

/** The object's labels for entity resolution: `{pod: name, namespace}`. */
function nameLabels(kind: string, metadata: JsonObject): Labels {
  const labels: Labels = { [kind.toLowerCase()]: String(metadata.name) };
  const namespace = textOf(metadata.namespace);
  if (namespace) labels.namespace = namespace;
  return labels;
}

/** Metadata without `managedFields`: server-side bookkeeping, large and read by nothing. */
function keptMetadata(metadata: JsonObject): JsonObject {
  const { managedFields: _, ...kept } = metadata;
  return kept;
}

function addOwners(labels: Labels, metadata: JsonObject, sink: CaseSink): void {
  for (const owner of arrayOf(metadata.ownerReferences).filter(isObject)) {
    const kind = textOf(owner.kind);
    const name = textOf(owner.name);
    if (!kind || !name) continue;
    const ownerLabels: Labels = { [kind.toLowerCase()]: name };
    if (labels.namespace) ownerLabels.namespace = labels.namespace;
    sink.addRelation(ownerLabels, labels, "owns");
  }
}

function readPod(object: JsonObject, metadata: JsonObject, sink: CaseSink): void {
  const labels = nameLabels("Pod", metadata);
  for (const owner of arrayOf(metadata.ownerReferences).filter(isObject)) {
    const kind = textOf(owner.kind);
    const name = textOf(owner.name);
    if (kind && name && POD_OWNER_LABELS.has(kind)) labels[kind.toLowerCase()] = name;
  }
  sink.addObject(labels, { kind: "Pod", spec: object.spec, status: object.status, metadata: keptMetadata(metadata) });
  const node = isObject(object.spec) ? textOf(object.spec.nodeName) : undefined;
  if (node) sink.addRelation(labels, { node }, "runs-on");
  addOwners(labels, metadata, sink);
}

function firstLabel(labels: unknown, keys: string[]): string | undefined {
  if (!isObject(labels)) return undefined;
  return keys.map((k) => textOf(labels[k])).find((v) => v);
}

function readNode(object: JsonObject, metadata: JsonObject, sink: CaseSink): void {
  const labels = nameLabels("Node", metadata);
  const instanceType = firstLabel(metadata.labels, INSTANCE_TYPE_KEYS);
  const zone = firstLabel(metadata.labels, ZONE_KEYS);
  if (instanceType) labels[INSTANCE_TYPE_KEYS[0]] = instanceType;
  if (zone) labels[ZONE_KEYS[0]] = zone;
  sink.addObject(labels, { kind: "Node", spec: object.spec, status: object.status, metadata: keptMetadata(metadata) });
  if (zone) sink.addRelation({ node: labels.node }, { zone }, "in-zone");
}

/** The time of an event: when it last happened, in the order the core/v1 and events.k8s.io/v1 shapes state it. */
function eventTime(event: JsonObject, metadata: JsonObject): number {
  const series = isObject(event.series) ? event.series : {};
  const candidates = [
    event.lastTimestamp,
    series.lastObservedTime,
    event.deprecatedLastTimestamp,
    event.eventTime,
    event.firstTimestamp,
    event.deprecatedFirstTimestamp,
    metadata.creationTimestamp,
  ];
  for (const candidate of candidates) {
    const text = textOf(candidate);
    const t = text === undefined ? Number.NaN : parseTimestamp(text);
    if (!Number.isNaN(t)) return t;
  }
  return Number.NaN;
}

function readEvent(item: Item, metadata: JsonObject, sink: CaseSink): void {
  const { object: event, where } = item;
  // core/v1 names the object `involvedObject`; events.k8s.io/v1 names it `regarding`.
  const involved = isObject(event.involvedObject)
    ? event.involvedObject
    : isObject(event.regarding)
      ? event.regarding
      : undefined;
  const kind = involved && textOf(involved.kind);
  const name = involved && textOf(involved.name);
  if (!kind || !name) {
    sink.skip(`${where}.involvedObject`, "an event without the kind and name of its object");
    return;
  }
  const t = eventTime(event, metadata);
  if (Number.isNaN(t)) {
    sink.skip(`${where}.lastTimestamp`, "an event without a readable time (lastTimestamp, eventTime, firstTimestamp)");
    return;
  }
  const labels: Labels = { [kind.toLowerCase()]: name };
  const namespace = textOf(involved.namespace) ?? textOf(metadata.namespace);
  if (namespace) labels.namespace = namespace;
  const series = isObject(event.series) ? event.series : {};
  const count = Number(event.count ?? series.count ?? event.deprecatedCount ?? 1);
  sink.addEvent({
    t,
    type: textOf(event.type) ?? "",
    reason: textOf(event.reason) ?? "",
    message: textOf(event.message) ?? textOf(event.note) ?? "",
    count: Number.isFinite(count) && count > 0 ? count : 1,
    labels,
  });
}

function readItem(item: Item, sink: CaseSink): void {
  const { object, kind, where } = item;
  const metadata = metadataOf(object);
  if (kind === "Event") {
    readEvent(item, metadata, sink);
    return;
  }
  if (!textOf(metadata.name)) {
    sink.skip(`${where}.metadata.name`, `a ${kind} without a name`);
    return;
  }
  if (kind === "Pod") readPod(object, metadata, sink);
  else if (kind === "Node") readNode(object, metadata, sink);
  else if (OBJECT_KINDS.has(kind)) {
    const labels = nameLabels(kind, metadata);
    // An autoscaler is about the workload it scales; name it by its target as well.
    const target = isObject(object.spec) ? object.spec.scaleTargetRef : undefined;
    if (isObject(target) && textOf(target.kind) && textOf(target.name)) {
      labels[String(target.kind).toLowerCase()] = String(target.name);
    }
    sink.addObject(labels, { kind, spec: object.spec, status: object.status, metadata: keptMetadata(metadata) });
    addOwners(labels, metadata, sink);
  } else sink.skip(where, `kind ${kind} is not read (pods, nodes, events, workloads, services and autoscalers are)`);
}

/** The kind of a List's items when they omit it: `PodList` holds `Pod`s; a plain `List` says nothing. */
function itemKindOf(listKind: unknown): string | undefined {
  return typeof listKind === "string" && listKind.endsWith("List") && listKind !== "List"
    ? listKind.slice(0, -"List".length)
    : undefined;
}

/**
 * A List's items as they stream (an item without a kind waits for the List's own, which kubectl
 * writes after the items), or the one object a document without items is.
 */
function readKubectl(input: ReaderInput, sink: CaseSink): Promise<void> {
  let kindless: { object: unknown; where: string }[] = [];
  const readObject = (object: unknown, where: string, listKind: unknown) => {
    const kind = isObject(object) ? (textOf(object.kind) ?? itemKindOf(listKind)) : undefined;
    if (isObject(object) && kind) readItem({ object, kind, where }, sink);
    else sink.skip(where, "not a Kubernetes object with a kind");
  };
  return streamNestedRecords(
    input,
    sink,
    {
      levels: [["items"]],
      records(items, first, parents, path) {
        for (let i = 0; i < items.length; i++) {
          const where = `${path}[${first + i}]`;
          const item = items[i];
          if (isObject(item) && textOf(item.kind) === undefined && parents[0].kind === undefined)
            kindless.push({ object: item, where });
          else readObject(item, where, parents[0].kind);
        }
      },
      done(document, where) {
        if (!isObject(document) || typeof document.kind !== "string")
          throw new ReadError(input.file, `${where}kind`, EXPECTED);
        if (!Array.isArray(document.items))
          readItem({ object: document, kind: document.kind, where: `${where}${document.kind}` }, sink);
        for (const item of kindless) readObject(item.object, item.where, document.kind);
        kindless = [];
      },
    },
    EXPECTED,
  );
}

function sniff(head: string): number {
  if (!/^\s*\{/.test(head)) return 0;
  return /"apiVersion"\s*:/.test(head) && /"kind"\s*:/.test(head) && /"(items|metadata)"\s*:/.test(head) ? 0.9 : 0;
}

export const kubectlJsonReader: Reader = {
  format: "kubectl json",
  sniff,
  read: readKubectl,
};
