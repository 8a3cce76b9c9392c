/** Anomaly evidence: a series moved against its baseline, scored robustly and free of units. */
import type { Case, Series } from "../case/model.js";
import { unitOfSeries } from "../case/units.js";
import { formatQuantity } from "../diagnosis/units.js";
import { formatValue } from "./format.js";
import { classifyMetric, HOST_SCOPED_WEIGHT } from "./metricFamily.js";
import { median } from "./robust.js";
import { MIN_SIGNIFICANCE, significanceStrength } from "./significance.js";
import { MIN_SURPRISE, strengthOf } from "./strength.js";
import { type LevelShift, levelShiftWithin } from "./surprise.js";
import type { Evidence, Window } from "./types.js";
import { baselineRange, incidentRange, MIN_BASELINE_SAMPLES } from "./window.js";

/** Caller-side timings mostly describe the callees; they count a little towards the caller itself. */
const CALLER_SIDE_WEIGHT = 0.3;

export interface SeriesScore extends LevelShift {
  /** Unix s of the first incident sample beyond MIN_SURPRISE. */
  onset: number;
}

/** Directed surprise of a series over the window, or undefined when it cannot be judged. */
export function scoreSeries(series: Series, window: Window): SeriesScore | undefined {
  const [b0, b1] = baselineRange(series, window);
  const [i0, i1] = incidentRange(series, window);
  if (b1 - b0 < MIN_BASELINE_SAMPLES || i1 <= i0) return undefined;
  const shift = levelShiftWithin(series.v, b0, b1, series.v, i0, i1, classifyMetric(series.metric).bad, MIN_SURPRISE);
  if (!shift) return undefined;
  return Object.assign(shift, { onset: shift.firstBeyond >= 0 ? series.t[i0 + shift.firstBeyond] : window.at });
}

function seriesName(series: Series): string {
  const extra = Object.entries(series.labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",");
  return extra ? `${series.metric}{${extra}}` : series.metric;
}

/** A peer level needs this many entities reporting the metric to stand for "typical in this system". */
const MIN_PEERS = 3;
/**
 * A change is fully material once it reaches this share of the metric's typical level across the system's
 * entities. A 10 MB rise where containers use ~150 MB is real but minor; a 500 MB rise is the story.
 * Comparing a change with the same metric on peers keeps the judgement free of units.
 */
const MATERIAL_SHARE = 0.5;

/** Typical |level| of each metric across entities (median of their baseline medians), where enough report it. */
function peerLevels(scored: { series: Series; score: SeriesScore }[]): Map<string, number> {
  const levels = new Map<string, number[]>();
  for (const { series, score } of scored) {
    const list = levels.get(series.metric) ?? [];
    list.push(Math.abs(score.baselineMedian));
    levels.set(series.metric, list);
  }
  const typical = new Map<string, number>();
  for (const [metric, list] of levels) if (list.length >= MIN_PEERS) typical.set(metric, median(list));
  return typical;
}

/**
 * How specific each metric's movement is: 1 when only one entity's moved, falling (quadratically, so a few
 * co-moving entities cost little) towards 0 as every
 * entity reporting it moves at once. A shift shared by the whole system (a scrape glitch, global load)
 * says little about which entity is the cause; the cause's own signal is usually its alone.
 */
function specificity(scored: { series: Series; score: SeriesScore }[]): Map<string, number> {
  const reporting = new Map<string, Set<string>>();
  const moved = new Map<string, Set<string>>();
  for (const { series, score } of scored) {
    if (!reporting.has(series.metric)) reporting.set(series.metric, new Set());
    reporting.get(series.metric)?.add(series.entity);
    if (score.surprise < MIN_SURPRISE) continue;
    if (!moved.has(series.metric)) moved.set(series.metric, new Set());
    moved.get(series.metric)?.add(series.entity);
  }
  const result = new Map<string, number>();
  for (const [metric, entities] of reporting) {
    const others = Math.max(0, (moved.get(metric)?.size ?? 0) - 1);
    result.set(metric, 1 - (others / entities.size) ** 2);
  }
  return result;
}

/** How material a change is against the metric's typical level on peers: 0..1, 1 when there are no peers. */
function materiality(series: Series, score: SeriesScore, peers: Map<string, number>): number {
  const typical = peers.get(series.metric);
  if (!typical) return 1;
  return Math.min(1, Math.abs(score.incidentLevel - score.baselineMedian) / (MATERIAL_SHARE * typical));
}

export function detectSeriesAnomalies(c: Case, window: Window, nextId: () => string): Evidence[] {
  const scored: { series: Series; score: SeriesScore }[] = [];
  for (const series of c.series) {
    const score = scoreSeries(series, window);
    if (score) scored.push({ series, score });
  }
  const peers = peerLevels(scored);
  const specific = specificity(scored);
  const evidence: Evidence[] = [];
  for (const { series, score } of scored) {
    if (score.surprise < MIN_SURPRISE || score.significance < MIN_SIGNIFICANCE) continue;
    const cls = classifyMetric(series.metric);
    const weight =
      (cls.hostScoped ? HOST_SCOPED_WEIGHT : 1) *
      (cls.callerSide ? CALLER_SIDE_WEIGHT : 1) *
      materiality(series, score, peers) *
      (specific.get(series.metric) ?? 1);
    const unit = unitOfSeries(series.metric, series.unit);
    const from = formatQuantity(score.baselineMedian, unit);
    const to = formatQuantity(score.incidentLevel, unit);
    evidence.push({
      id: nextId(),
      entity: series.entity,
      signal: seriesName(series),
      type: "anomaly",
      family: cls.family,
      start: score.onset,
      // A big shift needs support: as strong as its size and its significance both allow.
      strength: weight * Math.min(strengthOf(score.surprise), significanceStrength(score.significance)),
      detail: `${series.metric} moved from ${from} to ${to} (${formatValue(score.surprise)}σ against its baseline)`,
      excerpt: `baseline median ${from}, incident ${to}`,
      value: score.incidentLevel,
      baseline: score.baselineMedian,
      ...(unit ? { unit } : {}),
      series: { metric: series.metric, labels: series.labels },
    });
  }
  return evidence;
}
