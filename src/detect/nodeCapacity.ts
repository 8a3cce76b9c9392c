/**
 * Nodes that ran out of pod slots or pod addresses (catalogue: node.pod-ip-exhaustion): the scheduler's
 * `FailedScheduling ... Too many pods`, the CNI's `failed to assign an IP address`, pods on a node
 * against its allocatable pods, and the VPC CNI's address pool.
 */

import { entityId } from "../case/entity.js";
import type { Case } from "../case/model.js";
import { toIso } from "../case/time.js";
import type { Topology } from "../case/topology.js";
import { type ResourceSpan, seriesNamed, valueAt } from "./resourceSeries.js";
import type { Evidence } from "./types.js";

/** The scheduler's words when every node's pod count is at its allocatable pods. */
const TOO_MANY_PODS = /Too many pods/i;
/** The VPC CNI's words when a node has no address left for a pod. */
const NO_IP = /failed to assign an IP address|no available IP|DataStore has no available IP/i;
/** A handful of pods that cannot be placed is ordinary churn; this many, in the window, is a wall. */
const MIN_UNSCHEDULABLE_EVENTS = 3;

export function detectNodeCapacity(c: Case, topology: Topology, span: ResourceSpan, nextId: () => string): Evidence[] {
  const inSpan = c.events.filter((e) => e.t >= span.from && e.t <= span.to);
  const tooMany = inSpan.filter((e) => e.reason === "FailedScheduling" && TOO_MANY_PODS.test(e.message));
  const noIp = inSpan.filter((e) => NO_IP.test(e.message));
  const refusals = tooMany.reduce((n, e) => n + e.count, 0) + noIp.reduce((n, e) => n + e.count, 0);
  if (refusals < MIN_UNSCHEDULABLE_EVENTS) return [];
  const firstRefusal = Math.min(...[...tooMany, ...noIp].map((e) => e.t));
  // Which node filled first: pods placed on it (as recorded) against its allocatable pods.
  const allocatable = seriesNamed(c, "kube_node_status_allocatable", { resource: "pods" });
  const fills: { node: string; full: number; maxPods: number; pods: number }[] = [];
  for (const a of allocatable) {
    const node = a.labels.node;
    if (!node) continue;
    const pods = [...topology.pods.values()].filter((p) => p.node === node);
    const starts = pods
      .map((p) => p.firstSeen)
      .filter(Number.isFinite)
      .sort((x, y) => x - y);
    for (let i = 0; i < starts.length; i++) {
      const maxPods = valueAt(a, starts[i]) ?? a.v[a.v.length - 1];
      const running = pods.filter((p) => p.firstSeen <= starts[i] && p.lastSeen >= starts[i]).length;
      if (maxPods > 0 && running >= maxPods) {
        fills.push({ node, full: starts[i], maxPods, pods: running });
        break;
      }
    }
  }
  fills.sort((a, b) => a.full - b.full);
  const first = fills[0];
  // Pods that cannot start while no node is full have another cause (a new workload's burst, a CNI fault).
  if (!first) return [];
  const example = tooMany[0] ?? noIp[0];
  const entity = first ? entityId("node", first.node) : "cluster:pods";
  const instanceType = first ? topology.instanceType.get(first.node) : undefined;
  const facts: Record<string, number | string> = {
    refusals,
    fullNodes: fills.length,
    nodes: allocatable.length,
    since: toIso(first?.full ?? firstRefusal),
  };
  if (first) {
    facts.maxPods = first.maxPods;
    facts.node = first.node;
  }
  if (instanceType) facts.instanceType = instanceType;
  return [
    {
      id: nextId(),
      entity,
      signal: "pods per node / allocatable pods",
      type: "limit",
      family: "resource",
      check: "node.pods-at-limit",
      start: first?.full ?? firstRefusal,
      strength: Math.min(0.97, 0.6 + 0.1 * Math.log10(refusals)),
      detail: first
        ? `${first.node}${instanceType ? ` (${instanceType})` : ""} was full at ${first.pods} of ${first.maxPods} pods first; ${fills.length} of ${allocatable.length} nodes filled and ${refusals} pods could not be placed`
        : `${refusals} pods could not be placed: no node had a pod slot or address left`,
      excerpt: `${example.reason}: ${example.message}`,
      value: first?.pods,
      limit: first?.maxPods,
      unit: "pods",
      facts,
    },
  ];
}
