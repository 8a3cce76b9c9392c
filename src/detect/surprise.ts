/** Surprise measures shared by detectors: a shift of a sample's level, and a change in an event count. */
import type { BadDirection } from "./metricFamily.js";
import { type Baseline, fitFinite, quantileOf, Scratch } from "./robust.js";
import { exceedanceSignificance } from "./significance.js";

/**
 * The incident statistic is this quantile of the per-sample surprise: a fault that holds for a quarter
 * of the window counts fully, while a few noisy samples in a healthy signal do not.
 */
export const INCIDENT_QUANTILE = 0.75;

/** How many robust σ `value` lies from the baseline in the bad direction (either way when both are bad). */
export function directedDeviation(bad: BadDirection, fit: Baseline, value: number): number {
  const d = (value - fit.median) / fit.scale;
  return bad === "up" ? d : bad === "down" ? -d : Math.abs(d);
}

/**
 * How far a value lies past the baseline's extreme in the bad direction, as a multiple of that extreme:
 * 2008 ms against a baseline peak of 8 ms is 250. Only for non-negative quantities (times, counts, usage),
 * where "times the extreme" means something; 0 otherwise.
 */
function marginPastExtreme({ low, high }: Extremes, bad: BadDirection): (value: number) => number {
  if (!(low >= 0)) return () => 0;
  return (value) => {
    const above = bad !== "down" && high > 0 && value > high ? value / high - 1 : 0;
    const below = bad !== "up" && value >= 0 && value < low ? low / Math.max(value, Number.MIN_VALUE) - 1 : 0;
    return Math.max(above, below);
  };
}

export interface LevelShift {
  surprise: number;
  /** −log10 p that this many incident samples lie beyond the baseline's robust fence (median + threshold σ). */
  significance: number;
  baselineMedian: number;
  incidentLevel: number;
  /** Index (into the incident values) of the first sample beyond `threshold`, or -1. */
  firstBeyond: number;
  /** Whether a value lies beyond `threshold` from the baseline in the bad direction. */
  beyond: (value: number) => boolean;
}

/** The least and greatest of the first `n` values; ±Infinity when there are none. */
interface Extremes {
  low: number;
  high: number;
}

function extremes(values: Float64Array, n: number): Extremes {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (values[i] < low) low = values[i];
    if (values[i] > high) high = values[i];
  }
  return { low, high };
}

/** Largest |value| within the extremes; 0 when there are none. */
function magnitudeOf({ low, high }: Extremes): number {
  return low <= high ? Math.max(0, Math.abs(low), Math.abs(high)) : 0;
}

/** Scratch for levelShift's working copies: it runs for every series at every alert lag. */
const baselineScratch = new Scratch();
const incidentScratch = new Scratch();
const zScratch = new Scratch();

/** How far the incident values sit from the baseline, in robust σ, in the bad direction. */
export function levelShift(
  baseline: ArrayLike<number>,
  incident: ArrayLike<number>,
  bad: BadDirection,
  threshold: number,
): LevelShift | undefined {
  return levelShiftWithin(baseline, 0, baseline.length, incident, 0, incident.length, bad, threshold);
}

/**
 * levelShift of baseline[b0, b1) against incident[i0, i1) (one series' values, most often), read in
 * place; `firstBeyond` counts from i0.
 */
export function levelShiftWithin(
  baseline: ArrayLike<number>,
  b0: number,
  b1: number,
  incident: ArrayLike<number>,
  i0: number,
  i1: number,
  bad: BadDirection,
  threshold: number,
): LevelShift | undefined {
  const nb = baselineScratch.copyFinite(baseline, b0, b1);
  const normal = baselineScratch.slots(nb);
  const ni = incidentScratch.copyFinite(incident, i0, i1);
  const levels = incidentScratch.slots(ni);
  const normalExtremes = extremes(normal, nb);
  const fit = fitFinite(normal, nb, Math.max(magnitudeOf(normalExtremes), magnitudeOf(extremes(levels, ni))));
  if (!(fit.scale > 0)) return undefined;
  let firstBeyond = -1;
  for (let i = i0; i < i1 && firstBeyond < 0; i++)
    if (directedDeviation(bad, fit, incident[i]) >= threshold) firstBeyond = i - i0;
  // Deviations of the finite incident values: a non-finite value's is not finite either, and is left out.
  const z = zScratch.slots(ni);
  let n = 0;
  for (let i = 0; i < ni; i++) {
    const d = directedDeviation(bad, fit, levels[i]);
    if (Number.isFinite(d)) z[n++] = d;
  }
  if (n === 0) return undefined;
  const beyond = (v: number) => directedDeviation(bad, fit, v) >= threshold;
  return {
    surprise: quantileOf(z, n, INCIDENT_QUANTILE),
    significance: exceedanceSignificance(normal, levels, beyond, marginPastExtreme(normalExtremes, bad), nb, ni),
    baselineMedian: fit.median,
    incidentLevel: quantileOf(levels, ni, bad === "down" ? 1 - INCIDENT_QUANTILE : INCIDENT_QUANTILE),
    firstBeyond,
    beyond,
  };
}

/**
 * How much the mix of categories (an entity's log templates, a service's operations) changed between
 * baseline and incident, whatever the volume: a χ² test of homogeneity on the 2×k table, turned into
 * σ-like units by the Wilson–Hilferty transform. Traffic that merely grows keeps the mix; a code path
 * that starts failing changes it.
 */
export function mixShift(baseline: number[], incident: number[]): number {
  const totalB = baseline.reduce((a, b) => a + b, 0);
  const totalI = incident.reduce((a, b) => a + b, 0);
  const total = totalB + totalI;
  if (totalB === 0 || totalI === 0) return 0;
  let chi2 = 0;
  let categories = 0;
  for (let k = 0; k < baseline.length; k++) {
    const column = baseline[k] + incident[k];
    if (column === 0) continue;
    categories++;
    const expectedB = (column * totalB) / total;
    const expectedI = (column * totalI) / total;
    chi2 += (baseline[k] - expectedB) ** 2 / expectedB + (incident[k] - expectedI) ** 2 / expectedI;
  }
  const df = categories - 1;
  if (df < 1) return 0;
  const v = 2 / (9 * df);
  return ((chi2 / df) ** (1 / 3) - (1 - v)) / Math.sqrt(v);
}
