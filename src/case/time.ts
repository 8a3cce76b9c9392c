/** Time and duration parsing shared by readers, the CLI and the engine. All times are unix seconds. */

/**
 * Magnitude bounds that tell a numeric timestamp's unit. Unix seconds for 1973..5138 lie in
 * [1e8, 1e11); the same instants in ms, µs and ns are 1e3, 1e6 and 1e9 times larger.
 */
const SECONDS_MAX = 1e11;
const MILLIS_MAX = 1e14;
const MICROS_MAX = 1e17;
/**
 * The largest instant a Date holds (±100,000,000 days from 1970, in seconds): anything beyond cannot
 * be shown as a time, so it is no timestamp at all (a `1e300` is garbage, not the far future).
 */
const REPRESENTABLE_SECONDS = 8.64e12;

/** Whether unix seconds can be shown as a date (NaN and infinities cannot). */
export function isRepresentableTime(seconds: number): boolean {
  return Math.abs(seconds) <= REPRESENTABLE_SECONDS;
}

/** Seconds that can be shown as a date; NaN otherwise, so that callers treat the value as unreadable. */
function representable(seconds: number): number {
  return isRepresentableTime(seconds) ? seconds : Number.NaN;
}

/** A numeric epoch timestamp in s, ms, µs or ns (detected by magnitude) to unix seconds; NaN beyond any date. */
export function epochToSeconds(value: number): number {
  const magnitude = Math.abs(value);
  if (magnitude < SECONDS_MAX) return value;
  if (magnitude < MILLIS_MAX) return value / 1e3;
  if (magnitude < MICROS_MAX) return value / 1e6;
  return representable(value / 1e9);
}

/** µs/ns epoch strings exceed double precision; place the decimal point in the text so sub-second digits survive. */
function longEpochStringToSeconds(text: string): number {
  const digits = text.replace(/^[-+]/, "");
  const fractionDigits = Number(digits) < MICROS_MAX ? 6 : 9;
  const seconds = Number(`${digits.slice(0, -fractionDigits)}.${digits.slice(-fractionDigits)}`);
  return text.startsWith("-") ? -seconds : seconds;
}

const NUMERIC = /^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/;
/** `2023-01-29 08:41:09.858280782 +0000 UTC m=+0.93` (Go's time.String) -> the ISO-parsable part. */
const GO_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)? ([-+]\d{2})(\d{2})\b/;

/**
 * A timestamp as text: epoch number (unit by magnitude), ISO 8601 / RFC 3339, Go's time.String, or
 * `YYYY-MM-DD hh:mm:ss[.frac]` (read as UTC when no zone is given). NaN when it is none of those.
 */
export function parseTimestamp(text: string): number {
  const s = text.trim();
  if (s === "") return Number.NaN;
  if (NUMERIC.test(s))
    return /^[-+]?\d{16,}$/.test(s) ? representable(longEpochStringToSeconds(s)) : epochToSeconds(Number(s));
  const go = GO_TIME.exec(s);
  if (go) return isoToSeconds(`${go[1]}T${go[2]}${go[3] ?? ""}${go[4]}:${go[5]}`);
  const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s) ? `${s.replace(" ", "T")}Z` : s;
  return isoToSeconds(iso);
}

/**
 * Whole-second stamps parsed recently: log lines come many to a second, and Date.parse is the
 * costliest step of reading a timestamp. Bounded, so a long file does not grow it without end.
 */
const parsedSeconds = new Map<string, number>();
const PARSED_SECONDS_MAX = 4096;

/** Date.parse keeps only milliseconds; keep the sub-millisecond digits of ISO fractions. */
function isoToSeconds(iso: string): number {
  const fraction = /\.(\d+)/.exec(iso);
  const withoutFraction = fraction ? iso.replace(fraction[0], "") : iso;
  let ms = parsedSeconds.get(withoutFraction);
  if (ms === undefined) {
    ms = Date.parse(withoutFraction);
    if (parsedSeconds.size >= PARSED_SECONDS_MAX) parsedSeconds.clear();
    parsedSeconds.set(withoutFraction, ms);
  }
  if (Number.isNaN(ms)) return Number.NaN;
  return representable(ms / 1e3 + (fraction ? Number(`0.${fraction[1]}`) : 0));
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;
const DURATION_SECONDS: Record<string, number> = { ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };

/** `90s`, `15m`, `1h`, `500ms`, or a bare number of seconds. NaN when malformed. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) return Number.NaN;
  return Number(match[1]) * DURATION_SECONDS[match[2] ?? "s"];
}

export function toIso(seconds: number): string {
  return new Date(Math.round(seconds * 1e3)).toISOString();
}
