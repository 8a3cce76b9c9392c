/** OTLP/JSON traces (`resourceSpans[].scopeSpans[].spans[]`): hex ids, nanosecond times as strings, status code 2 = error. */
import { isObject, textOf } from "./jsonDocument.js";
import { type OtlpShape, otlpTime, readOtlp } from "./otlpLogs.js";
import { spanDuration } from "./spanCsv.js";
import type { Labels, Reader, SpanRecord } from "./types.js";

/** `Status.code` ERROR, as a number or as the enum name protobuf JSON may write. */
const STATUS_ERROR = new Set([2, "2", "STATUS_CODE_ERROR"]);
/** An all-zero or empty parent id means "no parent" in OTLP. */
const NO_PARENT = /^0*$/;

function readSpan(span: unknown, labels: Labels): SpanRecord | string {
  if (!isObject(span)) return "not an object";
  const traceId = textOf(span.traceId);
  const spanId = textOf(span.spanId);
  if (!traceId || !spanId) return "no traceId or spanId";
  const start = otlpTime(span.startTimeUnixNano);
  const end = otlpTime(span.endTimeUnixNano);
  if (Number.isNaN(start) || Number.isNaN(end)) return "no startTimeUnixNano or endTimeUnixNano";
  const status = isObject(span.status) ? span.status.code : undefined;
  const record: SpanRecord = {
    traceId,
    spanId,
    labels,
    operation: textOf(span.name) ?? "",
    start,
    duration: spanDuration(String(span.startTimeUnixNano), String(span.endTimeUnixNano)),
    error: STATUS_ERROR.has(status as number | string),
  };
  const parent = textOf(span.parentSpanId);
  if (parent && !NO_PARENT.test(parent)) record.parent = parent;
  return record;
}

const TRACES: OtlpShape = {
  resources: "resourceSpans",
  // `instrumentationLibrarySpans` is the name before OTLP 0.15.
  scopes: ["scopeSpans", "instrumentationLibrarySpans"],
  records: "spans",
  expected: 'an OTLP/JSON traces document ({"resourceSpans": [...]})',
};

export const otlpTracesReader: Reader = {
  format: "otlp-json traces",
  sniff: (head) => (/^\s*\{/.test(head) && head.includes('"resourceSpans"') ? 0.95 : 0),
  read: (input, sink) => readOtlp(input, sink, TRACES, readSpan, (span) => sink.addSpan(span)),
};
