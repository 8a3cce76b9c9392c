/** Sample values as exporters write them, and a growing buffer of one series' samples. */

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const INFINITY = /^([-+]?)inf(inity)?$/i;

/**
 * A sample value as text: a decimal number, `NaN`, `+Inf`/`-Inf`/`Inf`/`Infinity` (any case), or an empty cell.
 * Returns NaN for a missing value (empty or NaN) and undefined for text that is not a number at all.
 */
export function parseSampleValue(text: string): number | undefined {
  const s = text.trim();
  if (s === "" || s.toLowerCase() === "nan") return Number.NaN;
  if (NUMBER.test(s)) return Number(s);
  const inf = INFINITY.exec(s);
  if (inf) return inf[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return undefined;
}

/** The samples of one series as they are read; missing values are dropped, never stored as zero. */
export class SeriesBuffer {
  private times = new Float64Array(INITIAL_CAPACITY);
  private values = new Float64Array(INITIAL_CAPACITY);
  private count = 0;

  /** Keeps the sample unless its value or time is missing (NaN). */
  add(t: number, v: number): void {
    if (Number.isNaN(t) || Number.isNaN(v)) return;
    if (this.count === this.times.length) {
      this.times = grown(this.times);
      this.values = grown(this.values);
    }
    this.times[this.count] = t;
    this.values[this.count] = v;
    this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** The times so far: a view, valid until the next add (the sink copies what it keeps). */
  get t(): Float64Array {
    return this.times.subarray(0, this.count);
  }

  get v(): Float64Array {
    return this.values.subarray(0, this.count);
  }
}

/** Room for a short series before the first growth; doubling after that keeps adds amortised O(1). */
const INITIAL_CAPACITY = 64;

/** A copy twice as long, for arrays that grow by doubling. */
export function grown(array: Float64Array): Float64Array<ArrayBuffer> {
  const next = new Float64Array(array.length * 2);
  next.set(array);
  return next;
}
