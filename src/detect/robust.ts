/** Robust statistics: medians, quantiles and scales that outliers cannot drag (DESIGN.md principle 2). */

/** Room for a typical series' baseline before the first growth of a scratch buffer. */
const INITIAL_SCRATCH = 1024;

/**
 * A buffer reused for working copies. The detectors take medians series after series (at scale 130k
 * series, three alert lags each): a fresh array (or even a view) per statistic cost more in allocation
 * and garbage collection than the statistic itself. So the statistics below take an array and a count
 * of its leading values, and reorder those values.
 */
export class Scratch {
  private buffer = new Float64Array(INITIAL_SCRATCH);

  /** The buffer with room for at least `n` values; its contents are whatever was left in it. */
  slots(n: number): Float64Array {
    if (this.buffer.length < n) this.buffer = new Float64Array(Math.max(n, this.buffer.length * 2));
    return this.buffer;
  }

  /** Copies the finite values of values[from, to) to the start of the buffer (slots(to - from)); returns how many. */
  copyFinite(values: ArrayLike<number>, from = 0, to = values.length): number {
    const out = this.slots(to - from);
    let n = 0;
    for (let i = from; i < to; i++) if (Number.isFinite(values[i])) out[n++] = values[i];
    return n;
  }
}

/**
 * Partitioning rounds a selection may take before it sorts its stretch instead: a few more than an
 * even split needs, so ordinary data never sorts and data that defeats the pivot costs n log n at worst.
 */
function roundBudget(n: number): number {
  return 2 * Math.ceil(Math.log2(n + 1)) + 8;
}

/**
 * The k-th smallest (from 0) of a[from..to] (inclusive), by quickselect, in linear time where a sort
 * would take n log n: the stretch is reordered so that a[k] holds it, with nothing larger before it and
 * nothing smaller after it. Nothing outside the stretch moves; when nothing before it is larger and
 * nothing after it smaller than what it holds, a[k] is then the k-th smallest of the whole array.
 */
export function selectWithin(a: Float64Array, from: number, to: number, k: number): number {
  let lo = from;
  let hi = to;
  let budget = roundBudget(hi - lo + 1);
  while (hi > lo) {
    if (--budget < 0) {
      a.subarray(lo, hi + 1).sort();
      return a[k];
    }
    // The median of the first, middle and last: sorted or reversed input still splits evenly.
    const x = a[lo];
    const y = a[(lo + hi) >>> 1];
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), a[hi]));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const swap = a[i];
        a[i++] = a[j];
        a[j--] = swap;
      }
    }
    // Now a[lo..j] <= pivot <= a[i..hi], and whatever lies between equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** The least of a[from..to]. */
function leastWithin(a: Float64Array, from: number, to: number): number {
  let least = a[from];
  for (let i = from + 1; i <= to; i++) if (a[i] < least) least = a[i];
  return least;
}

/** The interpolation between two neighbouring order statistics that makes a quantile. */
function interpolated(low: number, high: number, position: number): number {
  return low + (high - low) * (position - Math.floor(position));
}

/**
 * Linear-interpolated quantile of the first `n` values of `a` (finite, in any order; they are
 * reordered); NaN when n is 0. The value sorting and interpolating between the two nearest ranks
 * gives, found by selection.
 */
export function quantileOf(a: Float64Array, n: number, q: number): number {
  if (n === 0) return Number.NaN;
  const position = (n - 1) * q;
  const lo = Math.floor(position);
  const low = selectWithin(a, 0, n - 1, lo);
  // After the selection everything past `lo` is at least a[lo]: the next order statistic is their least.
  const high = Math.ceil(position) > lo ? leastWithin(a, lo + 1, n - 1) : low;
  return interpolated(low, high, position);
}

/**
 * Quantiles of the first `n` values of an array around their median: once the median's rank `center`
 * is selected, each other quantile is selected within the half that holds it, so the three quartiles
 * cost about two selections.
 */
class AroundMedian {
  readonly center: number;

  constructor(
    private readonly a: Float64Array,
    private readonly n: number,
  ) {
    this.center = Math.floor((n - 1) * 0.5);
    selectWithin(a, 0, n - 1, this.center);
  }

  quantile(q: number): number {
    const position = (this.n - 1) * q;
    const lo = Math.floor(position);
    const low = this.rank(lo);
    return interpolated(low, Math.ceil(position) > lo ? this.next(lo) : low, position);
  }

  /** The k-th smallest, selected within the side of the center that holds it. */
  private rank(k: number): number {
    const { a, n, center } = this;
    if (k === center) return a[center];
    return k < center ? selectWithin(a, 0, center - 1, k) : selectWithin(a, center + 1, n - 1, k);
  }

  /** The (k+1)-th smallest, right after rank(k): the least of what lies past k on its side. */
  private next(k: number): number {
    const { a, n, center } = this;
    if (k + 1 === center) return a[center];
    return leastWithin(a, k + 1, k < center ? center - 1 : n - 1);
  }
}

/** Largest |value| among the finite values of the given arrays; 0 when there are none. */
export function maxAbsFinite(...arrays: ArrayLike<number>[]): number {
  let max = 0;
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) max = Math.max(max, Math.abs(values[i]));
  }
  return max;
}

const medianScratch = new Scratch();

export function median(values: ArrayLike<number>): number {
  const n = medianScratch.copyFinite(values);
  return quantileOf(medianScratch.slots(n), n, 0.5);
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

const baselineScratch = new Scratch();
const deviationScratch = new Scratch();

/**
 * Median and robust scale of a baseline. `typicalMagnitude` (e.g. the series' largest absolute value
 * over the whole window) sets the floor for baselines sitting at zero, so that a change is judged
 * against the size of the signal itself rather than against nothing.
 */
export function fitBaseline(values: ArrayLike<number>, typicalMagnitude: number): Baseline {
  const n = baselineScratch.copyFinite(values);
  return fitFinite(baselineScratch.slots(n), n, typicalMagnitude);
}

/** fitBaseline of the first `n` values of `a`, already finite (a scratch copy: they are reordered). */
export function fitFinite(a: Float64Array, n: number, typicalMagnitude: number): Baseline {
  if (n === 0) return { median: Number.NaN, scale: Number.NaN, count: 0 };
  const quartiles = new AroundMedian(a, n);
  const med = quartiles.quantile(0.5);
  const iqr = (quartiles.quantile(0.75) - quartiles.quantile(0.25)) * IQR_TO_SIGMA;
  const deviations = deviationScratch.slots(n);
  for (let i = 0; i < n; i++) deviations[i] = Math.abs(a[i] - med);
  const mad = quantileOf(deviations, n, 0.5) * MAD_TO_SIGMA;
  const floor = RELATIVE_SCALE_FLOOR * Math.max(Math.abs(med), ZERO_LEVEL_FLOOR * typicalMagnitude);
  return { median: med, scale: Math.max(mad, iqr, floor), count: n };
}
