/** Robust statistics: medians, quantiles and scales that outliers cannot drag (DESIGN.md principle 2). */

/** Sorted copy without NaN. */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  let n = 0;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out[n++] = values[i];
  return out.subarray(0, n).sort();
}

/** Linear-interpolated quantile of an ascending array; NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
}

/** Largest |value| among the finite values of the given arrays; 0 when there are none. */
export function maxAbsFinite(...arrays: ArrayLike<number>[]): number {
  let max = 0;
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) max = Math.max(max, Math.abs(values[i]));
  }
  return max;
}

export function median(values: ArrayLike<number>): number {
  return quantileSorted(sortedFinite(values), 0.5);
}

/** Consistency constants: MAD × 1.4826 and IQR / 1.349 estimate σ for normal data. */
const MAD_TO_SIGMA = 1.4826;
const IQR_TO_SIGMA = 1 / 1.349;

/**
 * Smallest scale, relative to the baseline's magnitude. A flat baseline (constant memory, a counter at
 * rest) has MAD 0; without a floor any wiggle would score as infinitely surprising. 1% of the level is
 * below what any real fault moves and above float noise, and it keeps the score free of units.
 */
export const RELATIVE_SCALE_FLOOR = 0.01;

/**
 * For a baseline at zero, the floor is this fraction of the signal's own peak (times the relative floor):
 * a counter going from 0 to its peak scores 1 / (0.01 × 0.1) = 1000σ, strong but finite and unit-free.
 */
const ZERO_LEVEL_FLOOR = 0.1;

export interface Baseline {
  median: number;
  /** Robust σ estimate with the floors applied; > 0 unless the baseline is all zeros. */
  scale: number;
  count: number;
}

/**
 * Median and robust scale of a baseline. `typicalMagnitude` (e.g. the series' largest absolute value
 * over the whole window) sets the floor for baselines sitting at zero, so that a change is judged
 * against the size of the signal itself rather than against nothing.
 */
export function fitBaseline(values: ArrayLike<number>, typicalMagnitude: number): Baseline {
  const sorted = sortedFinite(values);
  const med = quantileSorted(sorted, 0.5);
  const deviations = new Float64Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) deviations[i] = Math.abs(sorted[i] - med);
  deviations.sort();
  const mad = quantileSorted(deviations, 0.5) * MAD_TO_SIGMA;
  const iqr = (quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25)) * IQR_TO_SIGMA;
  const floor = RELATIVE_SCALE_FLOOR * Math.max(Math.abs(med), ZERO_LEVEL_FLOOR * typicalMagnitude);
  return { median: med, scale: Math.max(mad, iqr, floor), count: sorted.length };
}
