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
  private readonly times: number[] = [];
  private readonly values: number[] = [];

  /** Keeps the sample unless its value or time is missing (NaN). */
  add(t: number, v: number): void {
    if (Number.isNaN(t) || Number.isNaN(v)) return;
    this.times.push(t);
    this.values.push(v);
  }

  get size(): number {
    return this.times.length;
  }

  get t(): Float64Array {
    return Float64Array.from(this.times);
  }

  get v(): Float64Array {
    return Float64Array.from(this.values);
  }
}
