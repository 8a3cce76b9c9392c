/** Surprise measures shared by detectors: a shift of a sample's level, and a change in an event count. */
import type { BadDirection } from "./metricFamily.js";
import { fitBaseline, quantileSorted, sortedFinite } from "./robust.js";

/**
 * The incident statistic is this quantile of the per-sample surprise: a fault that holds for a quarter
 * of the window counts fully, while a few noisy samples in a healthy signal do not.
 */
export const INCIDENT_QUANTILE = 0.75;

export interface LevelShift {
  surprise: number;
  baselineMedian: number;
  incidentLevel: number;
  /** Index (into the incident values) of the first sample beyond `threshold`, or -1. */
  firstBeyond: number;
}

/** How far the incident values sit from the baseline, in robust σ, in the bad direction. */
export function levelShift(
  baseline: ArrayLike<number>,
  incident: ArrayLike<number>,
  bad: BadDirection,
  threshold: number,
): LevelShift | undefined {
  let magnitude = 0;
  for (const values of [baseline, incident]) {
    for (let i = 0; i < values.length; i++)
      if (Number.isFinite(values[i])) magnitude = Math.max(magnitude, Math.abs(values[i]));
  }
  const fit = fitBaseline(baseline, magnitude);
  if (!(fit.scale > 0)) return undefined;
  const z = new Float64Array(incident.length);
  let firstBeyond = -1;
  for (let i = 0; i < incident.length; i++) {
    const d = (incident[i] - fit.median) / fit.scale;
    z[i] = bad === "up" ? d : bad === "down" ? -d : Math.abs(d);
    if (firstBeyond < 0 && z[i] >= threshold) firstBeyond = i;
  }
  const sorted = sortedFinite(z);
  if (sorted.length === 0) return undefined;
  const levels = sortedFinite(incident);
  return {
    surprise: quantileSorted(sorted, INCIDENT_QUANTILE),
    baselineMedian: fit.median,
    incidentLevel: quantileSorted(levels, bad === "down" ? 1 - INCIDENT_QUANTILE : INCIDENT_QUANTILE),
    firstBeyond,
  };
}

/**
 * Surprise of `incident` events where the baseline rate predicts `expected`: a Poisson z with one
 * pseudo-event of prior, so a template never seen before scores by its count rather than infinitely.
 * Positive for a surge, negative for a drop.
 */
export function countSurprise(incident: number, expected: number): number {
  return (incident - expected) / Math.sqrt(expected + 1);
}
