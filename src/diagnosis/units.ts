/**
 * Numbers the way people on call say them: bytes as MiB/GiB, durations as ms/s/min, ratios as %,
 * rates as "/s" only for what the Case turned into a rate. Never e-notation.
 */

/** Significant digits shown: enough to compare two values at a glance, few enough to read. */
const SIGNIFICANT = 3;
/** Below this a value is shown as "< 0.001": smaller digits are noise to a reader. */
const SMALLEST_SHOWN = 0.001;

/** Digits grouped by three from the right: 1234567 → 1,234,567. */
const THOUSANDS = /\B(?=(\d{3})+$)/g;
/** From here String() writes an exponent, so Intl groups the digits. */
const EXPONENT_FROM = 1e21;
/** Built on first use: building one costs about 10 ms (ICU's data), more than a whole small diagnosis's formatting. */
let wideFormat: Intl.NumberFormat | undefined;

/** What Intl's en-US format with no fraction digits writes (halves rounded away from zero). */
function withThousands(v: number): string {
  const rounded = Math.round(Math.abs(v));
  if (rounded >= EXPONENT_FROM) {
    wideFormat ??= new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
    return wideFormat.format(v);
  }
  const grouped = String(rounded).replace(THOUSANDS, ",");
  return v < 0 ? `-${grouped}` : grouped;
}

/** A plain number: thousands separators above 1000, three significant digits below, no exponent. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "n/a";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "-∞";
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1000) return withThousands(v);
  if (a < SMALLEST_SHOWN) return v > 0 ? `< ${SMALLEST_SHOWN}` : `> -${SMALLEST_SHOWN}`;
  const digits = Math.max(0, SIGNIFICANT - 1 - Math.floor(Math.log10(a)));
  return String(Number(v.toFixed(digits)));
}

const BINARY_PREFIXES = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

function bytes(v: number): string {
  let scaled = v;
  let i = 0;
  while (Math.abs(scaled) >= 1024 && i < BINARY_PREFIXES.length - 1) {
    scaled /= 1024;
    i++;
  }
  return `${formatNumber(scaled)} ${BINARY_PREFIXES[i]}`;
}

/** Shorter than a nanosecond is nothing a person measures: shown as 0. */
const NEGLIGIBLE_SECONDS = 1e-9;

/** Seconds in the unit a person would pick: 250 ms, 4.2 s, 12 min, 3.5 h. */
function duration(seconds: number): string {
  const a = Math.abs(seconds);
  if (a < NEGLIGIBLE_SECONDS) return "0 s";
  if (a < 1e-3) return `${formatNumber(seconds * 1e6)} µs`;
  if (a < 1) return `${formatNumber(seconds * 1e3)} ms`;
  if (a < 120) return `${formatNumber(seconds)} s`;
  if (a < 7200) return `${formatNumber(seconds / 60)} min`;
  return `${formatNumber(seconds / 3600)} h`;
}

/** Units whose value is a share of one. */
const RATIO_UNITS = new Set(["ratio"]);
const PERCENT_UNITS = new Set(["percent", "%"]);
/** A rate's unit: "<what it counts> per second". */
const RATE_SUFFIX = / per second$/;

/** One value with its unit, as a person says it. Unknown units are printed after the number. */
export function formatQuantity(v: number, unit?: string): string {
  if (!unit) return formatNumber(v);
  if (unit === "per second") return `${formatNumber(v)}/s`;
  // Time spent per second of wall clock (a histogram's _sum rate, CPU seconds): a load, not a duration.
  if (unit === "seconds per second") return Math.abs(v) < 1 ? `${duration(v)}/s` : `${formatNumber(v)} s/s`;
  if (RATE_SUFFIX.test(unit)) return `${formatQuantity(v, unit.replace(RATE_SUFFIX, ""))}/s`;
  if (unit === "bytes") return bytes(v);
  if (unit === "seconds") return duration(v);
  if (RATIO_UNITS.has(unit)) return `${formatNumber(v * 100)}%`;
  if (PERCENT_UNITS.has(unit)) return `${formatNumber(v)}%`;
  return `${formatNumber(v)} ${unit}`;
}

/**
 * Two values of one unit, the unit said once when it is a word after the number: ["10", "61 connections"]
 * but ["1.1 s", "48 s"], since 1.1 and 48 could be in different units (ms, s, min).
 */
export function formatPair(a: number, b: number, unit?: string): [string, string] {
  const first = formatQuantity(a, unit);
  const second = formatQuantity(b, unit);
  const word = unit ? ` ${unit}` : "";
  return word && first.endsWith(word) && second.endsWith(word)
    ? [first.slice(0, -word.length), second]
    : [first, second];
}

/** Score thresholds for words: what a reader needs is "how sure", not a number to three places. */
const STRENGTH_WORDS: [number, string][] = [
  [0.9, "very strong"],
  [0.7, "strong"],
  [0.4, "moderate"],
  [0, "weak"],
];

export function strengthWords(score: number): string {
  return STRENGTH_WORDS.find(([at]) => score >= at)?.[1] ?? "weak";
}

/** A change smaller than this factor reads better as a difference than as "× baseline". */
const FACTOR_WORTH_SAYING = 1.5;
/**
 * Beyond this factor the baseline was next to nothing and the factor says nothing more (a rate of 2e-12
 * becoming 2.5e-5); a flood from 90 to 120,000 lines/s (1,333×) is still worth its number.
 */
const FACTOR_WORTH_COUNTING = 100_000;

/**
 * How a value compares with its baseline, in words: "44× baseline", "-60% vs baseline", "new" when the
 * baseline was zero. Undefined when either number is missing or the change is too small to say so.
 */
export function againstBaseline(value: number | undefined, baseline: number | undefined): string | undefined {
  if (value === undefined || baseline === undefined || !Number.isFinite(value) || !Number.isFinite(baseline))
    return undefined;
  if (baseline === 0) return value === 0 ? undefined : "from zero";
  const factor = value / baseline;
  if (factor >= FACTOR_WORTH_COUNTING) return "from near zero";
  if (factor >= FACTOR_WORTH_SAYING) return `${formatNumber(factor)}× baseline`;
  if (value === 0) return "down to zero";
  if (factor > 0 && factor <= 1 / FACTOR_WORTH_SAYING) return `${formatNumber((1 - factor) * 100)}% below baseline`;
  const change = (factor - 1) * 100;
  return `${change >= 0 ? "+" : ""}${formatNumber(change)}% vs baseline`;
}

/** An e-notation number inside free text (from an engine string), rewritten plainly. */
const E_NOTATION = /-?\d+(?:\.\d+)?e[-+]?\d+/gi;
/** A σ figure in parentheses, which belongs in JSON, not in prose. */
const SIGMA_NOTE = /\s*\([^()]*σ[^()]*\)/g;

/** No label selector in prose is longer than this: past it a reader stops reading. */
export const MAX_SELECTOR_CHARS = 100;
/** A metric with its label selector, `name{a="b",...}`. */
const SELECTOR = /([A-Za-z_:][\w:]*)\{[^{}]*\}/g;

/** Free text from the engine made fit for prose: no e-notation, no σ figures, no selector past MAX_SELECTOR_CHARS. */
export function plainText(text: string): string {
  return text
    .replace(SIGMA_NOTE, "")
    .replace(E_NOTATION, (m) => formatNumber(Number(m)))
    .replace(SELECTOR, (m, name: string) => (m.length <= MAX_SELECTOR_CHARS ? m : `${name}{…}`));
}

/** A chart axis in one unit a person reads: values divided by `divisor` are in `label`. */
export interface AxisScale {
  divisor: number;
  label: string;
}

/** The axis unit for values up to `max` (absolute): MiB for hundreds of megabytes, ms for sub-second times. */
export function axisScale(unit: string | undefined, max: number): AxisScale {
  if (!unit) return { divisor: 1, label: "" };
  if (RATE_SUFFIX.test(unit)) {
    const base = axisScale(unit.replace(RATE_SUFFIX, ""), max);
    return { divisor: base.divisor, label: `${base.label}/s` };
  }
  if (unit === "per second") return { divisor: 1, label: "/s" };
  if (unit === "bytes") {
    let i = 0;
    while (max >= 1024 ** (i + 1) && i < BINARY_PREFIXES.length - 1) i++;
    return { divisor: 1024 ** i, label: BINARY_PREFIXES[i] };
  }
  if (unit === "seconds") {
    if (max < 1e-3) return { divisor: 1e-6, label: "µs" };
    if (max < 1) return { divisor: 1e-3, label: "ms" };
    if (max < 120) return { divisor: 1, label: "s" };
    return max < 7200 ? { divisor: 60, label: "min" } : { divisor: 3600, label: "h" };
  }
  if (RATIO_UNITS.has(unit)) return { divisor: 0.01, label: "%" };
  if (PERCENT_UNITS.has(unit)) return { divisor: 1, label: "%" };
  return { divisor: 1, label: unit };
}
