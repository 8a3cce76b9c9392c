/**
 * A logging flood (catalogue: logging.flood): lines per second against the start of the recording,
 * from the log pipeline's own per-source counters (Fluent Bit's log_to_metrics counters with a `level`
 * label) or from the lines the Case holds, with the level mix and what the flood cost: the shipper's
 * dropped records, memory growth, out-of-memory kills.
 */
import type { Case, Series } from "../case/model.js";
import { toIso } from "../case/time.js";
import { formatValue } from "./format.js";
import { countIn, groupBy, medianIn, peakIn, type ResourceSpan, sumOfMedians } from "./resourceSeries.js";
import type { Evidence } from "./types.js";

/** A flood is at least this many times the source's usual line rate: a level change, not a busier hour. */
const FLOOD_RATIO = 20;
/** And at least this many lines a second: below it, any log pipeline keeps up. */
const FLOOD_MIN_LINES_PER_SECOND = 200;
/** Memory that grew to this multiple of its start while flooding is the flood's cost, not noise. */
const MEMORY_GROWTH = 3;
/** Series that count log lines per source, by level. */
const LOG_LINE_COUNTER = /log.*(lines|messages|records)/i;
const VERBOSE_LEVELS = /^(debug|trace)$/i;
const MEMORY_METRICS = ["process_resident_memory_bytes", "container_memory_working_set_bytes"];

function rateSeriesByEntity(c: Case): Map<string, Series[]> {
  return groupBy(
    c.series.filter((s) => LOG_LINE_COUNTER.test(s.metric) && s.labels.level !== undefined && s.unit === "per second"),
    (s) => s.entity,
  );
}

/** Lines per second at the flood's peak and at the start, and the verbose share of the flood, per entity. */
function floodRates(list: Series[], span: ResourceSpan) {
  const total = (from: number, to: number, filter: (s: Series) => boolean = () => true) =>
    list.filter(filter).reduce((sum, s) => sum + countIn(s, from, to), 0) / Math.max(1, to - from);
  const reference = sumOfMedians(list, span.referenceStart, span.referenceEnd);
  const peaks = list.map((s) => peakIn(s, span.from, span.to));
  const peak = peaks.reduce((sum, p) => sum + (p?.value ?? 0), 0);
  const since = Math.min(...peaks.map((p) => p?.t ?? Number.POSITIVE_INFINITY));
  const flood = total(span.from, span.to);
  const verbose = total(span.from, span.to, (s) => VERBOSE_LEVELS.test(s.labels.level ?? ""));
  return { reference, peak, since, verboseShare: flood > 0 ? verbose / flood : 0 };
}

/** How much the entity's memory grew over the flood, and whether it was killed for it. */
function floodCost(c: Case, entity: string, span: ResourceSpan) {
  let growth = 0;
  for (const metric of MEMORY_METRICS) {
    for (const s of c.series.filter((x) => x.metric === metric && x.entity === entity)) {
      const before = medianIn(s, span.referenceStart, span.referenceEnd);
      const peak = peakIn(s, span.from, span.to);
      if (before && before > 0 && peak) growth = Math.max(growth, peak.value / before);
    }
  }
  const oomKills = c.events.filter(
    (e) =>
      e.t >= span.from &&
      e.t <= span.to &&
      /OOM/i.test(e.reason) &&
      (e.entity === entity || e.entity.startsWith("node:")),
  ).length;
  const oomKilled = c.series.some(
    (s) =>
      s.entity === entity &&
      s.metric === "kube_pod_container_status_last_terminated_reason" &&
      s.labels.reason === "OOMKilled" &&
      (peakIn(s, span.from, span.to)?.value ?? 0) > 0,
  );
  return { growth, oomKills: oomKills + (oomKilled ? 1 : 0) };
}

export function detectLogFloods(c: Case, span: ResourceSpan, nextId: () => string): Evidence[] {
  const out: Evidence[] = [];
  for (const [entity, list] of rateSeriesByEntity(c)) {
    const rates = floodRates(list, span);
    if (rates.peak < FLOOD_MIN_LINES_PER_SECOND || rates.peak < FLOOD_RATIO * Math.max(rates.reference, 1)) continue;
    const cost = floodCost(c, entity, span);
    const harmful = cost.oomKills > 0 || cost.growth >= MEMORY_GROWTH;
    out.push({
      id: nextId(),
      entity,
      signal: list[0].metric,
      type: "log",
      family: harmful ? "resource" : "log",
      check: harmful ? "logging.flood-harmful" : "logging.flood-within-capacity",
      start: Number.isFinite(rates.since) ? rates.since : span.from,
      strength: harmful ? 0.95 : 0.3,
      detail: `log lines rose from ${formatValue(rates.reference)}/s to ${formatValue(rates.peak)}/s (${Math.round(rates.peak / Math.max(rates.reference, 1))}×), ${Math.round(rates.verboseShare * 100)}% DEBUG or TRACE${harmful ? `; memory grew ${cost.growth.toFixed(1)}× and ${cost.oomKills} out-of-memory kills followed` : "; memory stayed flat and nothing was killed"}`,
      excerpt: `${list[0].metric} ${formatValue(rates.reference)}/s → ${formatValue(rates.peak)}/s since ${toIso(Number.isFinite(rates.since) ? rates.since : span.from)}`,
      value: rates.peak,
      baseline: rates.reference,
      unit: "lines per second",
      series: { metric: list[0].metric, labels: list[0].labels },
      facts: {
        linesPerSecond: rates.peak,
        reference: rates.reference,
        verboseShare: rates.verboseShare,
        memoryGrowth: cost.growth,
        oomKills: cost.oomKills,
      },
    });
  }
  return out;
}
