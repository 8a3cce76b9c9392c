/**
 * A node's ENA network allowance exceeded (catalogue: node.network-allowance): node_exporter's ethtool
 * counters `node_ethtool_{bw_in,bw_out,pps,conntrack,linklocal}_allowance_exceeded`, which count the
 * packets the instance's network allowance queued or dropped.
 */
import type { Case } from "../case/model.js";
import { toIso } from "../case/time.js";
import type { Topology } from "../case/topology.js";
import { firstTime, groupBy, increaseIn, type ResourceSpan } from "./resourceSeries.js";
import type { Evidence } from "./types.js";

const ALLOWANCE = /^node_ethtool_(bw_in|bw_out|pps|conntrack|linklocal)_allowance_exceeded$/;
/**
 * A few packets over the allowance now and then are noise (a burst, a scrape racing a counter); a
 * node that exceeds it this many times more than at the start is shaping its traffic.
 */
const MIN_EXCEEDED = 100;

export function detectNetworkAllowance(
  c: Case,
  topology: Topology,
  span: ResourceSpan,
  nextId: () => string,
): Evidence[] {
  const counters = c.series.filter((s) => ALLOWANCE.test(s.metric));
  const out: Evidence[] = [];
  const referenceSeconds = Math.max(1, span.referenceEnd - span.referenceStart);
  const spanSeconds = Math.max(1, span.at - span.from);
  for (const [node, list] of groupBy(counters, (s) => s.entity)) {
    const byKind = list.map((s) => ({
      kind: (ALLOWANCE.exec(s.metric) as RegExpExecArray)[1],
      // Counted up to the alert: the node that shaped the most traffic before the symptoms caused them.
      count: increaseIn(s, span.from, span.at),
      reference: (increaseIn(s, span.referenceStart, span.referenceEnd) / referenceSeconds) * spanSeconds,
      since: firstTime(s, span.from, span.at, (v) => v > 0),
    }));
    const count = byKind.reduce((n, k) => n + k.count, 0);
    const reference = byKind.reduce((n, k) => n + k.reference, 0);
    if (count - reference < MIN_EXCEEDED) continue;
    const since = Math.min(...byKind.map((k) => k.since ?? Number.POSITIVE_INFINITY));
    const worst = byKind.sort((a, b) => b.count - a.count)[0];
    const name = node.slice(node.indexOf(":") + 1);
    const instanceType = topology.instanceType.get(name);
    out.push({
      id: nextId(),
      entity: node,
      signal: `node_ethtool_${worst.kind}_allowance_exceeded`,
      type: "limit",
      family: "resource",
      check: "node.network-allowance-exceeded",
      start: Number.isFinite(since) ? since : span.from,
      strength: Math.min(0.97, 0.5 + 0.1 * Math.log10(count)),
      detail: `the instance's network allowance was exceeded ${Math.round(count)} times (mostly ${worst.kind.replace("_", " ")}), ${Math.round(reference)} expected from the start of the recording${instanceType ? `; ${instanceType}` : ""}`,
      excerpt: byKind
        .filter((k) => k.count > 0)
        .map((k) => `${k.kind}_allowance_exceeded +${Math.round(k.count)}`)
        .join(", "),
      value: count,
      baseline: reference,
      unit: "packets",
      series: { metric: `node_ethtool_${worst.kind}_allowance_exceeded`, labels: {} },
      facts: {
        exceeded: count,
        kind: worst.kind,
        instanceType: instanceType ?? "",
        since: toIso(Number.isFinite(since) ? since : span.from),
      },
    });
  }
  return out;
}
