/**
 * Span CSV: trace id, span id, parent id, service or pod, operation, start, and end or duration.
 * Durations come from end − start when both are there; a duration column alone needs its unit from
 * its name (`duration_ms`, `Duration(us)`) or, failing that, from rows that also have both times.
 */
import { ownCopy } from "../case/strings.js";
import { parseTimestamp } from "../case/time.js";
import { entityLabelOf, normaliseName } from "./columns.js";
import { firstLine, parseCsvHeader } from "./csvHeader.js";
import { csvRows } from "./csvRecords.js";
import { LineFailures } from "./lineFailures.js";
import { sourceNameOf } from "./logFields.js";
import { type Labels, ReadError, type Reader, type SpanRecord } from "./types.js";

const TRACE_COLUMNS = new Set(["traceid", "trace"]);
const SPAN_COLUMNS = new Set(["spanid", "span"]);
const PARENT_COLUMNS = new Set(["parentid", "parentspanid", "parent", "parentspan"]);
const OPERATION_COLUMNS = new Set(["operationname", "operation", "name", "spanname", "endpoint"]);
const START_COLUMNS = new Set(["starttimeunixnano", "start", "starttime", "starttimestamp", "startts"]);
const END_COLUMNS = new Set(["endtimeunixnano", "end", "endtime", "endtimestamp", "endts"]);
const STATUS_COLUMNS = new Set([
  "status",
  "statuscode",
  "httpstatus",
  "httpstatuscode",
  "otelstatuscode",
  "spanstatus",
]);
const ERROR_COLUMNS = new Set(["error", "iserror", "haserror"]);
const MESSAGE_COLUMNS = new Set(["log", "message", "msg"]);
/** Parent ids that mean "no parent". */
const NO_PARENT = /^(|root|null|none|nil|-1|0+)$/i;
/** Status texts that mean the span failed. */
const ERROR_STATUS = /^(error|status_code_error|failed|failure|fail|true)$/i;
/** HTTP status codes are 100..599; a smaller status number is an OTLP status code, where 2 is ERROR. */
const HTTP_STATUS_MIN = 100;
const HTTP_SERVER_ERROR_MIN = 500;
const OTLP_STATUS_ERROR = 2;
/** Duration units by the suffix a column name carries. */
const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  nanos: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  micros: 1e-6,
  ms: 1e-3,
  millis: 1e-3,
  s: 1,
  sec: 1,
  seconds: 1,
};
const DURATION_NAME = /^(?:duration|latency|elapsed)[\s_(-]*(ns|nanos|us|µs|micros|ms|millis|s|sec|seconds)?\)?$/i;
/** Candidate units a unit-less duration column is checked against, by comparing with end − start. */
const CANDIDATE_UNITS = [1, 1e-3, 1e-6, 1e-9];

interface Columns {
  trace: number;
  span: number;
  parent?: number;
  operation?: number;
  start?: number;
  end?: number;
  duration?: number;
  /** Seconds per unit of the duration column, when its name says. */
  durationUnit?: number;
  status?: number;
  error?: number;
  entities: Map<number, string>;
}

function columnsOf(header: string[]): Columns | undefined {
  const names = header.map(normaliseName);
  const find = (set: Set<string>) => {
    const i = names.findIndex((n) => set.has(n));
    return i < 0 ? undefined : i;
  };
  const trace = find(TRACE_COLUMNS);
  const span = find(SPAN_COLUMNS);
  const durationMatch = header.map((h) => DURATION_NAME.exec(h.trim()));
  const duration = durationMatch.findIndex((m) => m !== null);
  const start = find(START_COLUMNS);
  if (trace === undefined || span === undefined || (start === undefined && duration < 0)) return undefined;
  if (names.some((n) => MESSAGE_COLUMNS.has(n))) return undefined;
  const columns: Columns = { trace, span, entities: new Map() };
  const optional = {
    parent: PARENT_COLUMNS,
    operation: OPERATION_COLUMNS,
    end: END_COLUMNS,
    status: STATUS_COLUMNS,
    error: ERROR_COLUMNS,
  };
  for (const [key, set] of Object.entries(optional)) {
    const i = find(set);
    if (i !== undefined) columns[key as keyof typeof optional] = i;
  }
  if (start !== undefined) columns.start = start;
  if (duration >= 0) {
    columns.duration = duration;
    const unit = durationMatch[duration]?.[1];
    if (unit) columns.durationUnit = DURATION_UNITS[unit.toLowerCase()];
  }
  for (const [i, name] of header.entries()) {
    const label = entityLabelOf(name) ?? (names[i] === "namespace" ? "namespace" : undefined);
    if (label) columns.entities.set(i, label);
  }
  return columns;
}

/**
 * end − start in seconds. Long integer epochs (µs, ns) are subtracted exactly before scaling, since
 * their values exceed double precision.
 */
export function spanDuration(startText: string, endText: string): number {
  const start = startText.trim();
  const end = endText.trim();
  if (LONG_EPOCH.test(start) && LONG_EPOCH.test(end)) {
    const secondsPerUnit = parseTimestamp(start) / Number(start);
    return longDifference(start, end) * secondsPerUnit;
  }
  return parseTimestamp(end) - parseTimestamp(start);
}

const LONG_EPOCH = /^\d{16,}$/;
/** Digits of the low part of a long epoch; the high part keeps the rest. */
const LOW_DIGITS = 9;
const LOW_SCALE = 10 ** LOW_DIGITS;
/** Up to 15 high digits are an exact double (2^53 ≈ 9.007e15). */
const SPLIT_DIGITS_MAX = LOW_DIGITS + 15;

/**
 * end − start of two long integer texts, exactly: as high and low parts, each an exact double, when the
 * difference itself is one (a span shorter than 104 days in ns); through BigInt otherwise. A million
 * spans take about a second less than through BigInt.
 */
function longDifference(start: string, end: string): number {
  if (start.length <= SPLIT_DIGITS_MAX && end.length <= SPLIT_DIGITS_MAX) {
    const high = Number(end.slice(0, -LOW_DIGITS)) - Number(start.slice(0, -LOW_DIGITS));
    const low = Number(end.slice(-LOW_DIGITS)) - Number(start.slice(-LOW_DIGITS));
    // |high| × 10^9 + |low| then stays below 2^53, where every integer is exact.
    if (Math.abs(high) < Number.MAX_SAFE_INTEGER / LOW_SCALE - 1) return high * LOW_SCALE + low;
  }
  return Number(BigInt(end) - BigInt(start));
}

/** The candidate unit under which `value` is closest to `seconds` (by ratio). */
function unitMatching(value: number, seconds: number): number {
  const distance = (unit: number) => Math.abs(Math.log((value * unit) / seconds));
  return CANDIDATE_UNITS.reduce((best, unit) => (distance(unit) < distance(best) ? unit : best));
}

function isError(columns: Columns, fields: string[]): boolean {
  if (columns.error !== undefined && /^(1|true|yes)$/i.test(fields[columns.error])) return true;
  if (columns.status === undefined) return false;
  const status = fields[columns.status];
  if (ERROR_STATUS.test(status)) return true;
  const code = Number(status);
  if (status === "" || !Number.isFinite(code)) return false;
  return code >= HTTP_STATUS_MIN ? code >= HTTP_SERVER_ERROR_MIN : code === OTLP_STATUS_ERROR;
}

function sniff(head: string): number {
  return columnsOf(parseCsvHeader(firstLine(head))) ? 0.9 : 0;
}

export const spanCsvReader: Reader = {
  format: "span csv",
  sniff,
  async read(input, sink) {
    const failures = new LineFailures(input.file, sink, "span rows with ids, a start time and an end time or duration");
    const fallbackLabels = { service: sourceNameOf(input.file) };
    /** Seconds per unit of a unit-less duration column, learnt from the first row that has both times. */
    let learntUnit: number | undefined;
    const rows = csvRows(input, failures, (where, reason) => sink.skip(where, reason), {
      columnsOf,
      expected: "a span CSV header: trace id, span id, and a start time or duration column",
      whenEmpty: "a span CSV header; the file is empty",
      check: (header, columns) => {
        if (columns.duration !== undefined && columns.durationUnit === undefined && columns.end === undefined) {
          throw new ReadError(
            input.file,
            `line 1, column ${header[columns.duration]}`,
            "a duration unit in the column name (duration_ms, duration_us, duration_ns) or an end-time column",
          );
        }
      },
    });
    for await (const { line, fields, columns } of rows) {
      // The texts a span keeps are copied out of the row (see ownCopy), or they would keep the row.
      const traceId = ownCopy(fields[columns.trace]);
      const spanId = ownCopy(fields[columns.span]);
      const startText = columns.start === undefined ? "" : fields[columns.start];
      const endText = columns.end === undefined ? "" : fields[columns.end];
      const durationValue = columns.duration === undefined ? Number.NaN : Number(fields[columns.duration]);
      let duration = Number.NaN;
      if (startText !== "" && endText !== "") {
        duration = spanDuration(startText, endText);
        if (columns.durationUnit === undefined && Number.isFinite(durationValue) && duration > 0 && durationValue > 0) {
          learntUnit ??= unitMatching(durationValue, duration);
        }
      } else if (Number.isFinite(durationValue)) {
        const unit = columns.durationUnit ?? learntUnit;
        if (unit !== undefined) duration = durationValue * unit;
      }
      let start = parseTimestamp(startText);
      if (Number.isNaN(start) && endText !== "") start = parseTimestamp(endText) - duration;
      if (!traceId || !spanId || Number.isNaN(start) || Number.isNaN(duration)) {
        failures.failed(`line ${line}`, "missing trace id, span id, start time, or a duration with a known unit");
        continue;
      }
      const labels: Labels = {};
      for (const [i, label] of columns.entities) if (fields[i] !== "") labels[label] = fields[i];
      const named = Object.keys(labels).some((k) => k !== "namespace");
      const record: SpanRecord = {
        traceId,
        spanId,
        labels: named ? labels : { ...labels, ...fallbackLabels },
        operation: columns.operation === undefined ? "" : ownCopy(fields[columns.operation]),
        start,
        duration,
        error: isError(columns, fields),
      };
      const parent = columns.parent === undefined ? "" : fields[columns.parent];
      if (!NO_PARENT.test(parent)) record.parent = ownCopy(parent);
      sink.addSpan(record);
      failures.read();
    }
    failures.finish();
  },
};
