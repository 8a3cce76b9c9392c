/**
 * A logging flood (catalogue: logging.flood): lines per second against the start of the recording,
 * from per-source line counters with a `level` label (Fluent Bit's log_to_metrics counters, or the
 * application's own: Micrometer's `logback_events_total` / `log4j2_events_total`), with the level mix
 * and what the flood cost: memory growth, out-of-memory kills, or the flooding service's own requests
 * taking longer (the writes are on their path).
 */
import type { Case, Series } from "../case/model.js";
import { toIso } from "../case/time.js";
import { formatValue } from "./format.js";
import {
  countIn,
  groupBy,
  medianIn,
  peakIn,
  type ResourceSpan,
  sumAt,
  sumOfMedians,
  unionTimes,
} from "./resourceSeries.js";
import type { Evidence } from "./types.js";

/** A flood is at least this many times the source's usual line rate: a level change, not a busier hour. */
const FLOOD_RATIO = 20;
/** And at least this many lines a second: below it, any log pipeline keeps up. */
const FLOOD_MIN_LINES_PER_SECOND = 200;
/** Memory that grew to this multiple of its start while flooding is the flood's cost, not noise. */
const MEMORY_GROWTH = 3;
/**
 * Requests that take this many times longer while the service floods pay for the lines: users feel it.
 * Half again, not twice: a flood within capacity leaves a request's time within about a tenth of what
 * it was, and a host busy with other work slows every request, so the flood's own share of a request
 * (the ratio it shows) shrinks as the host gets busier, though its cost in time does not.
 */
const LATENCY_GROWTH = 1.5;
/** Series that count log lines per source, by level (a logging library counts its "events"). */
const LOG_LINE_COUNTER = /log.*(lines|messages|records|events)/i;
/** A histogram's or summary's count of requests served (as rates); its `_sum` beside it is their total time. */
const REQUEST_COUNT = /(_requests?_seconds_count|_request_duration_seconds_count)$/;
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
  // When the lines first reached a flood's rate: the cost is measured from there, against the time before.
  // Searched from the recording's start: in a recording shorter than the reference stretch, a flood that
  // began before the alert began inside it.
  const floodRate = FLOOD_RATIO * Math.max(reference, 1);
  const onset = unionTimes(list, span.referenceStart, span.to).find((t) => sumAt(list, t) >= floodRate) ?? since;
  return { reference, peak, since, onset, verboseShare: flood > 0 ? verbose / flood : 0 };
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

/**
 * How many times longer the entity's requests took while it flooded than in the reference before the
 * flood began: the time its request histograms add up (`_sum`) over the requests they count (`_count`);
 * undefined when it counts none.
 */
function latencyGrowth(c: Case, entity: string, span: ResourceSpan, onset: number): number | undefined {
  const counts = c.series.filter((s) => s.entity === entity && REQUEST_COUNT.test(s.metric) && s.unit === "per second");
  if (counts.length === 0) return undefined;
  const sums = c.series.filter(
    (s) => s.entity === entity && counts.some((n) => n.metric.replace(/_count$/, "_sum") === s.metric),
  );
  const mean = (from: number, to: number) => {
    const served = sumOfMedians(counts, from, to);
    return served > 0 ? sumOfMedians(sums, from, to) / served : undefined;
  };
  const before = mean(span.referenceStart, Math.min(span.referenceEnd, onset));
  const during = mean(onset, span.to);
  return before && during ? during / before : undefined;
}

export function detectLogFloods(c: Case, span: ResourceSpan, nextId: () => string): Evidence[] {
  const out: Evidence[] = [];
  for (const [entity, list] of rateSeriesByEntity(c)) {
    const rates = floodRates(list, span);
    if (rates.peak < FLOOD_MIN_LINES_PER_SECOND || rates.peak < FLOOD_RATIO * Math.max(rates.reference, 1)) continue;
    const cost = floodCost(c, entity, span);
    const slower = latencyGrowth(c, entity, span, rates.onset) ?? 0;
    const queued = cost.oomKills > 0 || cost.growth >= MEMORY_GROWTH;
    const harmful = queued || slower >= LATENCY_GROWTH;
    out.push({
      id: nextId(),
      entity,
      signal: list[0].metric,
      type: "log",
      family: harmful ? "resource" : "log",
      check: harmful ? "logging.flood-harmful" : "logging.flood-within-capacity",
      start: Number.isFinite(rates.since) ? rates.since : span.from,
      strength: harmful ? 0.95 : 0.3,
      detail: `log lines rose from ${formatValue(rates.reference)}/s to ${formatValue(rates.peak)}/s (${Math.round(rates.peak / Math.max(rates.reference, 1))}×), ${Math.round(rates.verboseShare * 100)}% DEBUG or TRACE${harmful ? `; memory grew ${cost.growth.toFixed(1)}×, ${cost.oomKills} out-of-memory kills followed, its requests took ${slower.toFixed(1)}× as long` : "; memory stayed flat, nothing was killed and its requests were not slower"}`,
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
        latencyGrowth: slower,
        // What made it harmful: the lines queued in memory, or the requests waited for them.
        harm: queued ? "memory" : harmful ? "latency" : "none",
        oomKills: cost.oomKills,
      },
    });
  }
  return out;
}
