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

/** Two growing columns of numbers (times and values, or any pairs); the first `count` are valid. */
export class PairColumns {
  first = new Float64Array(INITIAL_CAPACITY);
  second = new Float64Array(INITIAL_CAPACITY);
  count = 0;

  push(a: number, b: number): void {
    if (this.count === this.first.length) {
      this.first = grown(this.first);
      this.second = grown(this.second);
    }
    this.first[this.count] = a;
    this.second[this.count] = b;
    this.count++;
  }
}

/** The samples of one series as they are read; missing values are dropped, never stored as zero. */
export class SeriesBuffer {
  private readonly columns = new PairColumns();

  /** Keeps the sample unless its value or time is missing (NaN). */
  add(t: number, v: number): void {
    if (!Number.isNaN(t) && !Number.isNaN(v)) this.columns.push(t, v);
  }

  /** Empties the buffer, keeping its room: one buffer serves series after series without growing again. */
  clear(): void {
    this.columns.count = 0;
  }

  get size(): number {
    return this.columns.count;
  }

  /** The times so far: a view, valid until the next add (the sink copies what it keeps). */
  get t(): Float64Array {
    return this.columns.first.subarray(0, this.columns.count);
  }

  get v(): Float64Array {
    return this.columns.second.subarray(0, this.columns.count);
  }
}

/** Room for a short series before the first growth; doubling after that keeps adds amortised O(1). */
const INITIAL_CAPACITY = 64;

/** A copy twice as long, for arrays that grow by doubling. */
function grown(array: Float64Array): Float64Array<ArrayBuffer> {
  const next = new Float64Array(array.length * 2);
  next.set(array);
  return next;
}
