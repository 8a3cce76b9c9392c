/**
 * Nodes that went away as Prometheus saw it, for clusters whose events were not kept (or setups with
 * no Kubernetes at all): every target scraped on a node (`up` series labelled with the node, as
 * Kubernetes discovery relabels `__meta_kubernetes_pod_node_name`) stopped answering at once and
 * never answered again — the node's exporter and its pods' exporters alike. A planned removal empties
 * the node first: its pods' targets leave discovery (their series end) before the node stops
 * answering, so only the node's own exporter is left to fail.
 */
import { entityId } from "../case/entity.js";
import type { Case, Series } from "../case/model.js";
import type { NodeExit } from "./nodeLifecycle.js";
import { groupBy, type ResourceSpan } from "./resourceSeries.js";

/** Labels that carry the name of the node a target runs on. */
const NODE_LABELS = ["node", "kubernetes_node", "nodename"];
/** Targets that stop answering within this long of each other went together (a few scrape intervals). */
const TOGETHER_SECONDS = 30;
/** Failed scrapes in a row, to the end of the target's series, that say it is gone rather than slow once. */
const MIN_FAILED_SCRAPES = 3;

function nodeOf(s: Series): string | undefined {
  return NODE_LABELS.map((l) => s.labels[l]).find((v) => v);
}

/** When a target stopped answering for good: the first failed scrape after its last good one, if every later scrape failed. */
function wentDownAt(s: Series): number | undefined {
  let lastUp = -1;
  for (let i = 0; i < s.v.length; i++) if (s.v[i] >= 1) lastUp = i;
  const failed = s.v.length - 1 - lastUp;
  if (lastUp < 0 || failed < MIN_FAILED_SCRAPES) return undefined;
  return s.t[lastUp + 1];
}

/** The target still answered after `t` (it outlived the moment the others went). */
function answeredAfter(s: Series, t: number): boolean {
  for (let i = s.t.length - 1; i >= 0 && s.t[i] > t; i--) if (s.v[i] >= 1) return true;
  return false;
}

export function scrapeExits(c: Case, span: ResourceSpan): NodeExit[] {
  const exits: NodeExit[] = [];
  const targets = c.series.filter((s) => s.metric === "up" && s.t.length > 0);
  for (const [name, list] of groupBy(targets, nodeOf)) {
    const down = list
      .map((s) => ({ s, t: wentDownAt(s) }))
      .filter((d): d is { s: Series; t: number } => d.t !== undefined && d.t > span.referenceStart && d.t <= span.to);
    if (down.length === 0) continue;
    const t = Math.min(...down.map((d) => d.t));
    if (Math.max(...down.map((d) => d.t)) - t > TOGETHER_SECONDS) continue;
    // A target on the node that kept answering means the node was there: one exporter failed, not the node.
    if (list.some((s) => !down.some((d) => d.s === s) && answeredAfter(s, t + TOGETHER_SECONDS))) continue;
    const node = entityId("node", name);
    const workloads = [...new Set(down.map((d) => d.s.entity).filter((e) => e !== node))];
    exits.push({
      node,
      t,
      // Nothing but the node itself stopped answering: its workloads had been moved off before it went.
      planned: workloads.length === 0,
      workloads,
      events: [],
      targetsDown: down.length,
    });
  }
  return exits;
}
