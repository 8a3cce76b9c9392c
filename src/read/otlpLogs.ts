/** OTLP/JSON logs (`resourceLogs[].scopeLogs[].logRecords[]`), as the OpenTelemetry Collector's file exporter writes them. */
import { normaliseLevel } from "../case/logLevel.js";
import type { LogLevel } from "../case/model.js";
import { parseTimestamp } from "../case/time.js";
import { arrayOf, isObject, type JsonObject, textOf } from "./jsonDocument.js";
import { streamNestedRecords } from "./jsonItems.js";
import { levelOf, resourceLabels } from "./logFields.js";
import { type CaseSink, type Labels, type LogRecord, ReadError, type Reader, type ReaderInput } from "./types.js";

/** An OTLP AnyValue as text: strings as they are, other values as JSON of their plain form. */
export function anyValueText(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.stringValue === "string") return value.stringValue;
  const plain = anyValuePlain(value);
  return plain === undefined ? undefined : JSON.stringify(plain);
}

function anyValuePlain(value: unknown): unknown {
  if (!isObject(value)) return undefined;
  if ("stringValue" in value) return value.stringValue;
  if ("intValue" in value) return Number(value.intValue);
  if ("doubleValue" in value) return Number(value.doubleValue);
  if ("boolValue" in value) return value.boolValue;
  if ("bytesValue" in value) return value.bytesValue;
  if (isObject(value.arrayValue)) return arrayOf(value.arrayValue.values).map(anyValuePlain);
  if (isObject(value.kvlistValue)) return Object.fromEntries(attributePairs(value.kvlistValue.values));
  return undefined;
}

/** OTLP `[{key, value: AnyValue}]` attributes as `(key, plain value)` pairs. */
export function attributePairs(attributes: unknown): [string, unknown][] {
  return arrayOf(attributes).flatMap((a) =>
    isObject(a) && typeof a.key === "string" ? [[a.key, anyValuePlain(a.value)] as [string, unknown]] : [],
  );
}

/** The labels of a `resourceLogs`/`resourceSpans` entry, from its resource attributes. */
export function otlpResourceLabels(resource: JsonObject): Labels {
  return resourceLabels(attributePairs(isObject(resource.resource) ? resource.resource.attributes : undefined));
}

/** An OTLP time field (nanoseconds since the epoch, as a string or number) in seconds; NaN when absent or zero. */
export function otlpTime(value: unknown): number {
  const text = textOf(value);
  if (text === undefined || /^0*$/.test(text)) return Number.NaN;
  return parseTimestamp(text);
}

function severityOf(record: JsonObject): LogLevel | undefined {
  const stated = levelOf(record.severityText);
  if (stated) return stated;
  const number = Number(record.severityNumber);
  if (!Number.isInteger(number)) return undefined;
  const level = normaliseLevel(number, "otlp");
  return level === "unknown" ? undefined : level;
}

function readRecord(record: unknown, labels: Labels): LogRecord | string {
  if (!isObject(record)) return "not an object";
  const t = Number.isNaN(otlpTime(record.timeUnixNano))
    ? otlpTime(record.observedTimeUnixNano)
    : otlpTime(record.timeUnixNano);
  if (Number.isNaN(t)) return "no timeUnixNano or observedTimeUnixNano";
  const message = anyValueText(record.body);
  if (message === undefined) return "no body";
  const read: LogRecord = { t, message: message.trim(), labels };
  const level = severityOf(record);
  if (level) read.level = level;
  const traceId = textOf(record.traceId);
  const spanId = textOf(record.spanId);
  if (traceId && spanId) {
    read.traceId = traceId;
    read.spanId = spanId;
  }
  return read;
}

/** The field names of one OTLP/JSON signal: its resource entries, their scopes, their records. */
export interface OtlpShape {
  resources: string;
  /** The current name first; the name before OTLP 0.15 after it. */
  scopes: string[];
  records: string;
  expected: string;
}

/**
 * Streams an OTLP/JSON document's records with their resource's labels; `read` turns one record into
 * what `add` takes, or says why it cannot. A resource entry's records wait for its labels only when
 * its `resource` comes after them (exporters write it first).
 */
export async function readOtlp<T>(
  input: ReaderInput,
  sink: CaseSink,
  shape: OtlpShape,
  read: (record: unknown, labels: Labels) => T | string,
  add: (record: T) => void,
): Promise<void> {
  let labelled: JsonObject | undefined;
  let labels: Labels = {};
  let waiting: { records: unknown[]; first: number; path: string }[] = [];
  const readAll = (records: unknown[], first: number, path: string) => {
    for (let j = 0; j < records.length; j++) {
      const record = read(records[j], labels);
      if (typeof record === "string") sink.skip(`${path}[${first + j}]`, record);
      else add(record);
    }
  };
  const labelsOf = (resource: JsonObject) => {
    if (resource !== labelled) {
      labelled = resource;
      labels = otlpResourceLabels(resource);
    }
  };
  await streamNestedRecords(
    input,
    sink,
    {
      levels: [[shape.resources], shape.scopes, [shape.records]],
      records(records, first, parents, path) {
        if (!("resource" in parents[1])) waiting.push({ records, first, path });
        else {
          labelsOf(parents[1]);
          readAll(records, first, path);
        }
      },
      closed(level, object) {
        if (level !== 1 || waiting.length === 0) return;
        labelsOf(object);
        for (const batch of waiting) readAll(batch.records, batch.first, batch.path);
        waiting = [];
      },
      done(document, where) {
        if (!isObject(document) || !Array.isArray(document[shape.resources]))
          throw new ReadError(input.file, `${where}top level`, shape.expected);
      },
    },
    shape.expected,
  );
}

const LOGS: OtlpShape = {
  resources: "resourceLogs",
  scopes: ["scopeLogs", "instrumentationLibraryLogs"],
  records: "logRecords",
  expected: 'an OTLP/JSON logs document ({"resourceLogs": [...]})',
};

export const otlpLogsReader: Reader = {
  format: "otlp-json logs",
  sniff: (head) => (/^\s*\{/.test(head) && head.includes('"resourceLogs"') ? 0.95 : 0),
  read: (input, sink) => readOtlp(input, sink, LOGS, readRecord, (record) => sink.addLog(record)),
};
