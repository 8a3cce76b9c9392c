/**
 * A node's network allowance exceeded (catalogue: node.network-allowance): node_exporter's ethtool
 * counters `node_ethtool_{bw_in,bw_out,pps,conntrack,linklocal}_allowance_exceeded`, which count the
 * packets an EC2 instance's ENA allowance queued or dropped; elsewhere, what a rate-limiting queueing
 * discipline on the node's interface dropped (`node_qdisc_drops_total` of a tbf, htb, ...: the
 * allowance a provider or an operator set with tc), with the TCP retransmits that followed.
 */
import type { Case, Series } from "../case/model.js";
import { toIso } from "../case/time.js";
import type { Topology } from "../case/topology.js";
import { firstTime, groupBy, increaseIn, type ResourceSpan, seriesNamed } from "./resourceSeries.js";
import type { Evidence } from "./types.js";

const ALLOWANCE = /^node_ethtool_(bw_in|bw_out|pps|conntrack|linklocal)_allowance_exceeded$/;
/**
 * A few packets over the allowance now and then are noise (a burst, a scrape racing a counter); a
 * node that exceeds it this many times more than at the start is shaping its traffic.
 */
const MIN_EXCEEDED = 100;

/** Queueing disciplines that cap a rate: their drops are traffic over an allowance, not a full buffer or an error. */
const RATE_LIMITING_QDISCS = new Set(["tbf", "htb", "cbq", "hfsc", "cake", "police"]);

/**
 * How much counters grew before the alert, and what their rate at the start of the recording predicts
 * for that stretch. A recording shorter than its reference stretch has no lookback of its own: then
 * all of it up to the alert counts, against nothing expected (a healthy node's shaper drops nothing).
 */
function excessIn(list: Series[], span: ResourceSpan): { count: number; reference: number } {
  const short = span.from >= span.at;
  const from = short ? span.referenceStart : span.from;
  const referenceSeconds = Math.max(1, span.referenceEnd - span.referenceStart);
  const spanSeconds = Math.max(1, span.at - from);
  let count = 0;
  let reference = 0;
  for (const s of list) {
    count += increaseIn(s, from, span.at);
    if (!short) reference += (increaseIn(s, span.referenceStart, span.referenceEnd) / referenceSeconds) * spanSeconds;
  }
  return { count, reference };
}

/** Packets a node's rate-limiting qdisc dropped before the alert: its traffic went over the rate it is allowed. */
function detectShaperDrops(c: Case, span: ResourceSpan, nextId: () => string): Evidence[] {
  const drops = seriesNamed(c, "node_qdisc_drops_total").filter(
    (s) => s.entity.startsWith("node:") && RATE_LIMITING_QDISCS.has(s.labels.kind ?? ""),
  );
  const out: Evidence[] = [];
  for (const [node, list] of groupBy(drops, (s) => s.entity)) {
    const { count, reference } = excessIn(list, span);
    if (count - reference < MIN_EXCEEDED) continue;
    const worst = list.map((s) => ({ s, count: excessIn([s], span).count })).sort((a, b) => b.count - a.count)[0].s;
    const shaper = `${worst.labels.kind} on ${worst.labels.device ?? "its interface"}`;
    const retransmits = excessIn(
      seriesNamed(c, "node_netstat_Tcp_RetransSegs").filter((s) => s.entity === node),
      span,
    );
    const overlimits = excessIn(
      seriesNamed(c, "node_qdisc_overlimits_total").filter(
        (s) => s.entity === node && s.labels.kind === worst.labels.kind,
      ),
      span,
    );
    const since = firstTime(worst, span.referenceStart, span.at, (v) => v > 0) ?? span.from;
    out.push({
      id: nextId(),
      entity: node,
      signal: "node_qdisc_drops_total",
      type: "limit",
      family: "resource",
      check: "node.network-allowance-exceeded",
      start: since,
      strength: Math.min(0.97, 0.5 + 0.1 * Math.log10(count)),
      detail: `the node's rate limit (${shaper}) dropped ${Math.round(count)} packets (${Math.round(reference)} expected from the start of the recording) and held back ${Math.round(overlimits.count)} over the rate; TCP retransmitted ${Math.round(retransmits.count)} segments`,
      excerpt: `node_qdisc_drops_total{kind="${worst.labels.kind}"} +${Math.round(count)}, node_netstat_Tcp_RetransSegs +${Math.round(retransmits.count)}`,
      value: count,
      baseline: reference,
      unit: "packets",
      series: { metric: worst.metric, labels: worst.labels },
      facts: { exceeded: count, kind: `drops by ${shaper}`, instanceType: shaper, since: toIso(since) },
    });
  }
  return out;
}

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
  return [...out, ...detectShaperDrops(c, span, nextId)];
}
