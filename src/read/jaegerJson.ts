/**
 * Jaeger JSON traces, as the Jaeger UI and its HTTP API export them: `{"data": [trace...]}` or a bare
 * array of traces; each trace has `spans` and a `processes` map naming the service of each span.
 * Jaeger states times and durations in microseconds.
 */
import { arrayOf, isObject, type JsonObject, textOf } from "./jsonDocument.js";
import { ROOT_ARRAY, streamNestedRecords } from "./jsonItems.js";
import { resourceLabels } from "./logFields.js";
import { type CaseSink, type Labels, ReadError, type Reader, type SpanRecord } from "./types.js";

const MICROSECOND = 1e-6;
const HTTP_SERVER_ERROR_MIN = 500;
const EXPECTED = 'Jaeger JSON traces ({"data": [{"traceID", "spans", "processes"}]})';

/** Jaeger `[{key, type, value}]` tags as `(key, value)` pairs. */
function tagPairs(tags: unknown): [string, unknown][] {
  return arrayOf(tags).flatMap((t) =>
    isObject(t) && typeof t.key === "string" ? [[t.key, t.value] as [string, unknown]] : [],
  );
}

function processLabels(process: unknown): Labels {
  if (!isObject(process)) return {};
  const labels = resourceLabels(tagPairs(process.tags));
  const service = textOf(process.serviceName);
  if (service) labels.service = service;
  return labels;
}

/** `error=true`, an OpenTelemetry status of ERROR, or an HTTP 5xx. */
function isError(tags: Map<string, unknown>): boolean {
  const error = tags.get("error");
  if (error === true || error === "true") return true;
  if (String(tags.get("otel.status_code")).toUpperCase() === "ERROR") return true;
  const http = Number(tags.get("http.status_code") ?? tags.get("http.response.status_code"));
  return http >= HTTP_SERVER_ERROR_MIN;
}

function readSpan(span: unknown, trace: JsonObject, processes: Map<string, Labels>): SpanRecord | string {
  if (!isObject(span)) return "not an object";
  const traceId = textOf(span.traceID) ?? textOf(trace.traceID);
  const spanId = textOf(span.spanID);
  if (!traceId || !spanId) return "no traceID or spanID";
  const start = Number(span.startTime);
  const duration = Number(span.duration);
  if (!Number.isFinite(start) || !Number.isFinite(duration)) return "no numeric startTime or duration (µs)";
  const labels = isObject(span.process) ? processLabels(span.process) : processes.get(String(span.processID));
  if (!labels || Object.keys(labels).length === 0)
    return `process "${String(span.processID)}" is not in the trace's processes`;
  const references = arrayOf(span.references).filter(isObject);
  const parentRef = references.find((r) => r.refType === "CHILD_OF") ?? references[0];
  const record: SpanRecord = {
    traceId,
    spanId,
    labels,
    operation: textOf(span.operationName) ?? "",
    start: start * MICROSECOND,
    duration: duration * MICROSECOND,
    error: isError(new Map(tagPairs(span.tags))),
  };
  const parent = parentRef && textOf(parentRef.spanID);
  if (parent) record.parent = parent;
  return record;
}

function readTrace(trace: unknown, where: string, sink: CaseSink): void {
  if (!isObject(trace) || !Array.isArray(trace.spans)) {
    sink.skip(where, "not a trace with spans[]");
    return;
  }
  const processes = new Map<string, Labels>();
  if (isObject(trace.processes)) {
    for (const [id, process] of Object.entries(trace.processes)) processes.set(id, processLabels(process));
  }
  for (const [s, span] of trace.spans.entries()) {
    const read = readSpan(span, trace, processes);
    if (typeof read === "string") sink.skip(`${where}.spans[${s}]`, read);
    else sink.addSpan(read);
  }
}

function sniff(head: string): number {
  if (!/^\s*[[{]/.test(head)) return 0;
  const looksJaeger = head.includes('"traceID"') && head.includes('"spanID"') && head.includes('"operationName"');
  return looksJaeger ? 0.9 : 0;
}

export const jaegerJsonReader: Reader = {
  format: "jaeger-json traces",
  sniff,
  read: (input, sink) =>
    // Traces come whole, one batch at a time: a trace names its spans' processes after the spans.
    streamNestedRecords(
      input,
      sink,
      {
        levels: [["data", ROOT_ARRAY]],
        records(traces, first, _parents, path) {
          for (let i = 0; i < traces.length; i++) readTrace(traces[i], `${path}[${first + i}]`, sink);
        },
        done(document, where) {
          if (!isObject(document) || !Array.isArray(document.data ?? document[ROOT_ARRAY]))
            throw new ReadError(input.file, `${where}top level`, EXPECTED);
        },
      },
      EXPECTED,
    ),
};
