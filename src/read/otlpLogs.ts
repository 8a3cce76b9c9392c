/** OTLP/JSON logs (`resourceLogs[].scopeLogs[].logRecords[]`), as the OpenTelemetry Collector's file exporter writes them. */
import { normaliseLevel } from "../case/logLevel.js";
import type { LogLevel } from "../case/model.js";
import { parseTimestamp } from "../case/time.js";
import { arrayOf, isObject, type JsonObject, readJsonDocuments, textOf } from "./jsonDocument.js";
import { levelOf, resourceLabels } from "./logFields.js";
import { type CaseSink, type Labels, type LogRecord, ReadError, type Reader } from "./types.js";

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

const EXPECTED = 'an OTLP/JSON logs document ({"resourceLogs": [...]})';

function readDocument(file: string, document: unknown, where: string, sink: CaseSink): void {
  if (!isObject(document) || !Array.isArray(document.resourceLogs))
    throw new ReadError(file, `${where}top level`, EXPECTED);
  for (const [r, resource] of document.resourceLogs.entries()) {
    if (!isObject(resource)) continue;
    const labels = otlpResourceLabels(resource);
    // `instrumentationLibraryLogs` is the name before OTLP 0.15.
    const scopes = arrayOf(resource.scopeLogs ?? resource.instrumentationLibraryLogs);
    for (const [s, scope] of scopes.entries()) {
      for (const [i, record] of arrayOf(isObject(scope) ? scope.logRecords : undefined).entries()) {
        const read = readRecord(record, labels);
        if (typeof read === "string") sink.skip(`${where}resourceLogs[${r}].scopeLogs[${s}].logRecords[${i}]`, read);
        else sink.addLog(read);
      }
    }
  }
}

export const otlpLogsReader: Reader = {
  format: "otlp-json logs",
  sniff: (head) => (/^\s*\{/.test(head) && head.includes('"resourceLogs"') ? 0.95 : 0),
  async read(input, sink) {
    for (const { value, where } of await readJsonDocuments(input, sink, EXPECTED)) {
      readDocument(input.file, value, where, sink);
    }
  },
};
