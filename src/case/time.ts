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
  const fast = rfc3339Seconds(text);
  if (fast !== undefined) return fast;
  const s = text.trim();
  if (s === "") return Number.NaN;
  if (NUMERIC.test(s))
    return /^[-+]?\d{16,}$/.test(s) ? representable(longEpochStringToSeconds(s)) : epochToSeconds(Number(s));
  const go = GO_TIME.exec(s);
  if (go) return isoToSeconds(`${go[1]}T${go[2]}${go[3] ?? ""}${go[4]}:${go[5]}`);
  const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s) ? `${s.replace(" ", "T")}Z` : s;
  return isoToSeconds(iso);
}

/** Fraction digits read exactly by division: up to 15 digits fit a double's integer range. */
const EXACT_FRACTION_DIGITS = 15;

/** The number the digits at [from, to) of `s` spell, or -1 when one is not a digit. */
function digitsAt(s: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = s.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * `YYYY-MM-DDThh:mm:ss[.frac]` with `Z`, `±hh:mm` or no zone (UTC), read by hand: the form most logs
 * stamp every line with, so the general path's regular expressions and Date.parse are skipped. Gives
 * exactly what that path gives (the fraction is the same correctly rounded decimal); undefined for
 * any other form, or a field out of the range this path checks, which the general path then reads.
 */
function rfc3339Seconds(s: string): number | undefined {
  if (s.length < 19 || s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d || s.charCodeAt(10) !== 0x54) return;
  if (s.charCodeAt(13) !== 0x3a || s.charCodeAt(16) !== 0x3a) return;
  const year = digitsAt(s, 0, 4);
  const month = digitsAt(s, 5, 7);
  const day = digitsAt(s, 8, 10);
  const hour = digitsAt(s, 11, 13);
  const minute = digitsAt(s, 14, 16);
  const second = digitsAt(s, 17, 19);
  // Days up to 28 exist in every month; the rest (and leap seconds, 24:00) go the general way, as do
  // years before 1000 (Date.UTC reads 0..99 as 1900..1999).
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > 28 || hour > 23 || minute > 59 || second > 59) return;
  if (hour < 0 || minute < 0 || second < 0) return;
  let at = 19;
  let fraction = 0;
  if (s.charCodeAt(at) === 0x2e) {
    let end = at + 1;
    while (end < s.length && s.charCodeAt(end) >= 0x30 && s.charCodeAt(end) <= 0x39) end++;
    const digits = end - at - 1;
    if (digits === 0 || digits > EXACT_FRACTION_DIGITS) return;
    fraction = digitsAt(s, at + 1, end) / 10 ** digits;
    at = end;
  }
  let offsetMinutes = 0;
  if (at === s.length - 1 && s.charCodeAt(at) === 0x5a) at++;
  else if (
    at === s.length - 6 &&
    (s.charCodeAt(at) === 0x2b || s.charCodeAt(at) === 0x2d) &&
    s.charCodeAt(at + 3) === 0x3a
  ) {
    const zoneHours = digitsAt(s, at + 1, at + 3);
    const zoneMinutes = digitsAt(s, at + 4, at + 6);
    if (zoneHours < 0 || zoneHours > 23 || zoneMinutes < 0 || zoneMinutes > 59) return;
    offsetMinutes = (s.charCodeAt(at) === 0x2d ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
    at += 6;
  }
  if (at !== s.length) return;
  const ms = minuteStart(year, month, day, hour, minute) + second * 1000 - offsetMinutes * 60_000;
  return representable(ms / 1e3 + fraction);
}

/** The minute last asked for and its start in ms: log lines come many to a minute, and Date.UTC costs. */
let lastMinute = Number.NaN;
let lastMinuteMs = 0;

function minuteStart(year: number, month: number, day: number, hour: number, minute: number): number {
  const key = (((year * 13 + month) * 32 + day) * 24 + hour) * 60 + minute;
  if (key !== lastMinute) {
    lastMinuteMs = Date.UTC(year, month - 1, day, hour, minute);
    lastMinute = key;
  }
  return lastMinuteMs;
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
