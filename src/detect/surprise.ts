/** Surprise measures shared by detectors: a shift of a sample's level, and a change in an event count. */
import type { BadDirection } from "./metricFamily.js";
import { type Baseline, fitBaseline, maxAbsFinite, quantileSorted, sortedFinite } from "./robust.js";
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
function marginPastExtreme(baseline: ArrayLike<number>, bad: BadDirection): (value: number) => number {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < baseline.length; i++) {
    if (!Number.isFinite(baseline[i])) continue;
    low = Math.min(low, baseline[i]);
    high = Math.max(high, baseline[i]);
  }
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

/** How far the incident values sit from the baseline, in robust σ, in the bad direction. */
export function levelShift(
  baseline: ArrayLike<number>,
  incident: ArrayLike<number>,
  bad: BadDirection,
  threshold: number,
): LevelShift | undefined {
  const fit = fitBaseline(baseline, maxAbsFinite(baseline, incident));
  if (!(fit.scale > 0)) return undefined;
  const z = new Float64Array(incident.length);
  let firstBeyond = -1;
  for (let i = 0; i < incident.length; i++) {
    z[i] = directedDeviation(bad, fit, incident[i]);
    if (firstBeyond < 0 && z[i] >= threshold) firstBeyond = i;
  }
  const sorted = sortedFinite(z);
  if (sorted.length === 0) return undefined;
  const levels = sortedFinite(incident);
  const beyond = (v: number) => directedDeviation(bad, fit, v) >= threshold;
  return {
    surprise: quantileSorted(sorted, INCIDENT_QUANTILE),
    significance: exceedanceSignificance(baseline, incident, beyond, marginPastExtreme(baseline, bad)),
    baselineMedian: fit.median,
    incidentLevel: quantileSorted(levels, bad === "down" ? 1 - INCIDENT_QUANTILE : INCIDENT_QUANTILE),
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
