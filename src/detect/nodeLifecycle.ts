/**
 * Nodes that went away (catalogue: node.terminated-without-drain): NotReady, deleted because the
 * instance no longer exists, or removed from the controller — and whether anything planned it first.
 * A planned removal cordons the node (`NodeNotSchedulable`, a cluster-autoscaler `ScaleDown`) and stops
 * its pods gracefully (`Killing`) before the node goes; an instance terminated under the cluster
 * (an Auto Scaling AZ rebalance, a spot reclaim) shows none of that.
 */

import { entityName } from "../case/entity.js";
import type { Case, CaseEvent } from "../case/model.js";
import { toIso } from "../case/time.js";
import type { Topology } from "../case/topology.js";
import { scrapeExits } from "./nodeScrapes.js";
import type { ResourceSpan } from "./resourceSeries.js";
import type { Evidence } from "./types.js";

const GONE_REASONS = new Set(["NodeNotReady", "DeletingNode", "RemovingNode", "NodeNotFound"]);
const PLANNED_REASONS = new Set(["NodeNotSchedulable", "ScaleDown", "Drain", "Cordon", "NodeDrain"]);
/**
 * How long before a node goes a drain counts as its plan: a drain evicts pods with their grace periods
 * (30 s by default) and the autoscaler then waits for the instance, minutes in all.
 */
const DRAIN_LOOKBACK_SECONDS = 900;
/** The node lifecycle controller marks a NotReady node's pods within a minute of the node itself. */
const NOT_READY_ECHO_SECONDS = 60;

export interface NodeExit {
  node: string;
  t: number;
  planned: boolean;
  /** Workloads whose pods ran on the node when it went. */
  workloads: string[];
  events: CaseEvent[];
  /** Seen by the scrapes instead of events: how many targets on the node stopped answering together. */
  targetsDown?: number;
}

export function nodeExits(c: Case, topology: Topology, span: ResourceSpan): NodeExit[] {
  const exits: NodeExit[] = [];
  const gone = c.events.filter(
    (e) => e.entity.startsWith("node:") && GONE_REASONS.has(e.reason) && e.t >= span.from && e.t <= span.to,
  );
  const firstByNode = new Map<string, CaseEvent[]>();
  for (const e of gone) firstByNode.set(e.entity, [...(firstByNode.get(e.entity) ?? []), e]);
  for (const [node, events] of firstByNode) {
    const t = Math.min(...events.map((e) => e.t));
    const name = entityName(node);
    const podsOnNode = [...topology.pods.values()].filter((p) => p.node === name);
    const podIds = new Set(podsOnNode.map((p) => p.workload));
    const podsThere = new Set(podsOnNode.map((p) => p.pod));
    // Pods that reported the node not ready name the node's pods even without a recorded placement.
    for (const e of c.events) {
      if (e.reason !== "NodeNotReady" || !e.pod || Math.abs(e.t - t) > NOT_READY_ECHO_SECONDS) continue;
      podsThere.add(e.pod);
      podIds.add(e.entity);
    }
    const planned = c.events.some(
      (e) =>
        e.t >= t - DRAIN_LOOKBACK_SECONDS &&
        e.t <= t &&
        ((e.entity === node && PLANNED_REASONS.has(e.reason)) ||
          (e.reason === "Killing" && e.pod !== undefined && podsThere.has(e.pod))),
    );
    exits.push({ node, t, planned, workloads: [...podIds], events: events.sort((a, b) => a.t - b.t) });
  }
  return exits;
}

/** A node whose every target stopped answering is gone as surely as one the cluster marked NotReady, but it is read from silence. */
const SCRAPES_GONE_STRENGTH = 0.9;

/** The evidence of a node that Prometheus saw go: what stopped answering and what that says. */
function scrapeExitEvidence(exit: NodeExit, id: string): Evidence {
  const ran = exit.workloads.map(entityName).join(", ");
  return {
    id,
    entity: exit.node,
    signal: "up",
    type: "lifecycle",
    family: exit.planned ? "change" : "resource",
    check: exit.planned ? "node.drained" : "node.vanished-without-drain",
    start: exit.t,
    strength: exit.planned ? 0.2 : SCRAPES_GONE_STRENGTH,
    detail: exit.planned
      ? `the node stopped answering scrapes at ${toIso(exit.t)} after its workloads had left it (their targets were removed first): planned work`
      : `every target scraped on the node (${exit.targetsDown}) stopped answering at once at ${toIso(exit.t)} and never answered again, with no drain before it: the node went away under ${ran}`,
    excerpt: `up 1 → 0 on ${exit.targetsDown} targets${ran ? ` (${ran} and the node's exporter)` : ""}`,
    facts: { workloads: exit.workloads.join(","), zone: "", planned: exit.planned ? 1 : 0 },
  } satisfies Evidence;
}

export function detectNodeLifecycle(c: Case, topology: Topology, span: ResourceSpan, nextId: () => string): Evidence[] {
  const fromEvents = nodeExits(c, topology, span);
  const seen = new Set(fromEvents.map((e) => e.node));
  const fromScrapes = scrapeExits(c, span)
    .filter((e) => !seen.has(e.node))
    .map((exit) => scrapeExitEvidence(exit, nextId()));
  const fromEventsEvidence = fromEvents.map((exit): Evidence => {
    const zone = topology.zone.get(entityName(exit.node));
    const last = exit.events[exit.events.length - 1];
    return {
      id: nextId(),
      entity: exit.node,
      signal: exit.events.map((e) => e.reason).join(", "),
      type: "lifecycle",
      family: exit.planned ? "change" : "resource",
      check: exit.planned ? "node.drained" : "node.vanished-without-drain",
      start: exit.t,
      strength: exit.planned ? 0.2 : 0.95,
      detail: exit.planned
        ? `the node was cordoned and drained before it went at ${toIso(exit.t)}: planned work`
        : `the node went NotReady and was removed at ${toIso(exit.t)} with no cordon, drain or graceful pod stop before it${zone ? ` (${zone})` : ""}; it ran ${exit.workloads.map(entityName).join(", ") || "no recorded pods"}`,
      excerpt: `${last.reason}: ${last.message}`,
      facts: { workloads: exit.workloads.join(","), zone: zone ?? "", planned: exit.planned ? 1 : 0 },
    } satisfies Evidence;
  });
  return [...fromEventsEvidence, ...fromScrapes];
}
