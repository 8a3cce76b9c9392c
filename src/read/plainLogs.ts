/**
 * Plain-text logs: each record starts with a timestamp (ISO 8601/RFC 3339, `YYYY-MM-DD hh:mm:ss,fff`,
 * syslog `Mon dd hh:mm:ss`, klog `I0129 08:42:22.123456`, epoch numbers); lines without one (stack
 * traces) continue the record before them. The file name names the source.
 *
 * Syslog and klog stamps carry no year: it is taken from the first full date in the file's first
 * 64 KiB, else the current UTC year.
 */
import type { LogLevel } from "../case/model.js";
import { parseTimestamp } from "../case/time.js";
import { isTimeColumn } from "./columns.js";
import { firstLine, parseCsvHeader } from "./csvHeader.js";
import { LineFailures } from "./lineFailures.js";
import { sourceNameOf } from "./logFields.js";
import type { LogRecord, Reader } from "./types.js";

/** `2023-01-29T08:42:22.123Z`, `2023-01-29 08:42:22,123 +0000`, `[2023/01/29 08:42:22]`. */
const DATE_TIME = /^\[?(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d+))?\s?(Z|[+-]\d{2}:?\d{2})?\]?/;
/** `Jan 29 08:42:22` (BSD syslog). */
const SYSLOG = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?=\s)/;
/** `I0129 08:42:22.123456` (klog / glog): level letter, month, day. */
const KLOG = /^([IWEF])(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?=\s)/;
/** Epoch seconds (10 digits, optional fraction) or ms/µs/ns (13/16/19 digits), alone before a space. */
const EPOCH = /^\[?(\d{10}(?:\.\d+)?|\d{13}|\d{16}|\d{19})\]?(?=\s)/;
/** A line that starts like a dated timestamp but is not a readable one (cut off, impossible date). */
const DATE_LIKE = /^\[?\d{4}[-/]\d/;
const FULL_DATE = /\b((?:19|20)\d{2})-\d{2}-\d{2}(?!\d)/;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const KLOG_LEVELS: Record<string, LogLevel> = { I: "info", W: "warn", E: "error", F: "fatal" };
/**
 * Continuation lines kept per record: the head of a stack trace names the failure; the remaining
 * frames would only grow memory (a reader never holds unbounded text).
 */
const MAX_CONTINUATION_LINES = 50;
/** Lines of the head a sniff looks at, and the share of them that must start with a timestamp. */
const SNIFF_LINES = 20;
const SNIFF_MIN_SHARE = 0.5;

interface Stamp {
  t: number;
  /** The rest of the line after the timestamp. */
  rest: string;
  level?: LogLevel;
}

function secondsUtc(year: number, month: number, day: number, h: string, m: string, s: string, fraction = ""): number {
  return Date.UTC(year, month, day, Number(h), Number(m), Number(s)) / 1e3 + (fraction ? Number(`0.${fraction}`) : 0);
}

/** The timestamp a line starts with; NaN `t` when the line starts like one but it cannot be read; undefined when it does not start with one. */
export function leadingStamp(line: string, year: number): Stamp | undefined {
  const iso = DATE_TIME.exec(line);
  if (iso) {
    const [, y, mo, d, time, fraction, zone] = iso;
    const normalisedZone = zone && zone !== "Z" ? `${zone.slice(0, 3)}:${zone.slice(-2)}` : (zone ?? "");
    const t = parseTimestamp(`${y}-${mo}-${d}T${time}${fraction ? `.${fraction}` : ""}${normalisedZone}`);
    return { t, rest: line.slice(iso[0].length) };
  }
  const syslog = SYSLOG.exec(line);
  const month = syslog ? MONTHS.indexOf(syslog[1]) : -1;
  if (syslog && month >= 0) {
    const [, , day, h, m, s, fraction] = syslog;
    return { t: secondsUtc(year, month, Number(day), h, m, s, fraction), rest: line.slice(syslog[0].length) };
  }
  const klog = KLOG.exec(line);
  if (klog) {
    const [, letter, mo, day, h, m, s, fraction] = klog;
    const t = secondsUtc(year, Number(mo) - 1, Number(day), h, m, s, fraction);
    return { t, rest: line.slice(klog[0].length), level: KLOG_LEVELS[letter] };
  }
  const epoch = EPOCH.exec(line);
  if (epoch) return { t: parseTimestamp(epoch[1]), rest: line.slice(epoch[0].length) };
  if (DATE_LIKE.test(line)) return { t: Number.NaN, rest: line };
  return undefined;
}

/** The year for stamps that carry none. */
export function yearOf(head: string): number {
  const date = FULL_DATE.exec(head);
  return date ? Number(date[1]) : new Date().getUTCFullYear();
}

/** A CSV header with a time column is a CSV file whose rows happen to start with times, not a plain log. */
function isCsvHeader(line: string): boolean {
  const fields = parseCsvHeader(line);
  return fields.length > 1 && fields.some(isTimeColumn);
}

function sniff(head: string): number {
  const trimmed = head.trimStart();
  if (trimmed.startsWith("{") || isCsvHeader(firstLine(trimmed))) return 0;
  const year = yearOf(head);
  // Indented lines are continuations (stack frames); they say nothing either way.
  const lines = head
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "" && !/^\s/.test(l))
    .slice(0, SNIFF_LINES);
  if (lines.length === 0) return 0;
  const stamped = lines.filter((l) => !Number.isNaN(leadingStamp(l, year)?.t ?? Number.NaN)).length;
  return stamped / lines.length >= SNIFF_MIN_SHARE ? 0.5 : 0;
}

export const plainLogsReader: Reader = {
  format: "plain-text logs",
  sniff,
  async read(input, sink) {
    const labels = { service: sourceNameOf(input.file) };
    const year = yearOf(input.head);
    const failures = new LineFailures(input.file, sink, "log lines starting with a timestamp");
    let pending: LogRecord | undefined;
    let continuations = 0;
    const flush = () => {
      if (pending) sink.addLog(pending);
      pending = undefined;
    };
    let lineNumber = 0;
    for await (const line of input.lines()) {
      lineNumber++;
      if (line.trim() === "") continue;
      const stamp = leadingStamp(line, year);
      if (stamp && Number.isNaN(stamp.t)) {
        failures.failed(
          `line ${lineNumber}`,
          "starts like a timestamp but is not a readable one (cut off or malformed)",
        );
      } else if (stamp) {
        flush();
        pending = { t: stamp.t, message: stamp.rest.replace(/^[\s\]|:-]+/, "").trimEnd(), labels };
        if (stamp.level) pending.level = stamp.level;
        continuations = 0;
        failures.read();
      } else if (pending) {
        if (continuations++ < MAX_CONTINUATION_LINES) pending.message += `\n${line.trimEnd()}`;
      } else {
        failures.failed(`line ${lineNumber}`, "no timestamp at the start and no record before it to continue");
      }
    }
    flush();
    failures.finish();
  },
};
