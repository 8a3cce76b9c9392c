/**
 * Workloads that did not exist at the start of the recording (catalogue: change). A batch job that
 * appears just before a resource fills has no baseline of its own: absent, then present, is the signal.
 */
import { toIso } from "../case/time.js";
import type { Topology } from "../case/topology.js";
import { groupBy, type ResourceSpan } from "./resourceSeries.js";
import type { Evidence } from "./types.js";

/** Below this many pods a new workload is routine (a one-off pod, a debug shell), not worth a line. */
const MIN_NEW_PODS = 1;

/** The check a workload absent at the start of the recording answers. */
export const NEW_WORKLOAD_CHECK = "workload.new";

export function detectNewWorkloads(topology: Topology, span: ResourceSpan, nextId: () => string): Evidence[] {
  const out: Evidence[] = [];
  const byWorkload = groupBy(topology.pods.values(), (p) => p.workload);
  const namespacesBefore = new Set(
    [...topology.pods.values()].filter((p) => p.firstSeen < span.referenceEnd).map((p) => p.namespace),
  );
  for (const [workload, pods] of byWorkload) {
    const first = Math.min(...pods.map((p) => p.firstSeen));
    if (!(first >= span.referenceEnd && first <= span.to) || pods.length < MIN_NEW_PODS) continue;
    const namespace = pods[0].namespace;
    const newNamespace = namespace !== undefined && !namespacesBefore.has(namespace);
    out.push({
      id: nextId(),
      entity: workload,
      signal: "new workload",
      type: "change",
      family: "change",
      check: NEW_WORKLOAD_CHECK,
      start: first,
      strength: 0.5,
      detail: `a new workload appeared at ${toIso(first)} with ${pods.length} pods${newNamespace ? ` in a namespace not seen before (${namespace})` : ""}`,
      excerpt: `first pod ${pods[0].name}${namespace ? ` in ${namespace}` : ""}`,
      value: pods.length,
      baseline: 0,
      unit: "pods",
      facts: { pods: pods.length, namespace: namespace ?? "", newNamespace: newNamespace ? 1 : 0 },
    });
  }
  return out;
}
