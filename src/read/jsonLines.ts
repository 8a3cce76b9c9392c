/** JSON-lines logs: one JSON object per line, time/level/message/entity found by general field names. */
import { epochToSeconds, parseTimestamp } from "../case/time.js";
import { entityLabelOf, isTimeColumn } from "./columns.js";
import { isObject, type JsonObject, textOf } from "./jsonDocument.js";
import { LineFailures } from "./lineFailures.js";
import { levelOf, sourceNameOf } from "./logFields.js";
import { forEachParsedLine, type LineResult, type ParsedLine } from "./parallelLines.js";
import type { Labels, LogRecord, Reader } from "./types.js";

const TIME_FIELDS = ["time", "timestamp", "ts", "@timestamp", "t"];
const LEVEL_FIELDS = ["level", "severity", "lvl", "levelname", "loglevel", "log.level"];
const MESSAGE_FIELDS = ["msg", "message", "log", "text"];
/** Trace context as OpenTelemetry log bridges and common loggers write it. */
const TRACE_ID_FIELDS = ["trace_id", "traceId", "traceid", "trace.id", "dd.trace_id"];
const SPAN_ID_FIELDS = ["span_id", "spanId", "spanid", "span.id", "dd.span_id"];
/** Nested fields (Fluent Bit/Fluentd Kubernetes metadata, ECS, OpenTelemetry names) and the label each stands for. */
const NESTED_ENTITY_FIELDS: [string, string][] = [
  ["service.name", "service"],
  ["kubernetes.labels.app", "app"],
  ["kubernetes.labels.app.kubernetes.io/name", "app.kubernetes.io/name"],
  ["kubernetes.pod_name", "pod"],
  ["kubernetes.pod.name", "pod"],
  ["k8s.pod.name", "pod"],
  ["kubernetes.container_name", "container"],
  ["kubernetes.container.name", "container"],
  ["kubernetes.namespace_name", "namespace"],
  ["kubernetes.namespace", "namespace"],
  ["k8s.namespace.name", "namespace"],
  ["kubernetes.host", "node"],
  ["kubernetes.node.name", "node"],
  ["host.name", "node"],
];
/** Keys whose presence marks a JSON document another reader takes (OTLP, Prometheus API, Jaeger, Kubernetes). */
const OTHER_FORMAT_KEYS = ["resourceLogs", "resourceSpans", "resourceMetrics", "resultType", "apiVersion", "items"];
/** Lines of the head a sniff looks at: a few agreeing lines are convincing, and more would not change the answer. */
const SNIFF_LINES = 5;

/**
 * A dotted path prepared once, at load: for each split point, the key before it and the path after
 * it. Lines are many and paths few, so the joins are not redone per line.
 */
interface DottedPath {
  /** [key made of the first i parts, the rest of the path], longest key first. */
  splits: [string, DottedPath | undefined][];
  /** The first part: every key that could hold the path is it, or starts with it and a dot. */
  head: string;
  headDot: string;
}

function preparePath(path: string): DottedPath {
  const parts = path.split(".");
  const splits: [string, DottedPath | undefined][] = [];
  for (let i = parts.length; i >= 1; i--) {
    const rest = i === parts.length ? undefined : preparePath(parts.slice(i).join("."));
    splits.push([parts.slice(0, i).join("."), rest]);
  }
  return { splits, head: parts[0], headDot: `${parts[0]}.` };
}

/**
 * Whether an object is flat: no key holds a dot and no value is an object. Most log lines are; then no
 * path of two or more parts can be in it, and those paths are not looked for at all.
 */
function isFlat(object: JsonObject): boolean {
  for (const key in object) {
    const value = object[key];
    if ((typeof value === "object" && value !== null) || key.includes(".")) return false;
  }
  return true;
}

/** Whether an object may hold a path: one of its keys is the path's first part, or starts with it and a dot. */
function mayHold(object: JsonObject, path: DottedPath): boolean {
  if (path.head in object) return true;
  for (const key in object) if (key.startsWith(path.headDot)) return true;
  return false;
}

/**
 * The value at a dotted path, whether the dots are nesting (`{"service":{"name":..}}`), part of a key
 * (`{"service.name":..}`) or a mix of both.
 */
function valueAtPrepared(object: JsonObject, path: DottedPath): unknown {
  if (path.splits.length > 1 && !mayHold(object, path)) return undefined;
  for (const [key, rest] of path.splits) {
    if (!(key in object)) continue;
    const value = object[key];
    if (rest === undefined) return value;
    if (isObject(value)) {
      const found = valueAtPrepared(value, rest);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Paths prepared once; `flat` holds those of one part, the only ones a flat object (isFlat) can hold. */
interface PreparedPaths<T> {
  all: T[];
  flat: T[];
}

function preparedPaths<T>(items: T[], pathOf: (item: T) => DottedPath): PreparedPaths<T> {
  return { all: items, flat: items.filter((item) => pathOf(item).splits.length === 1) };
}

const PREPARED_ENTITY_FIELDS = preparedPaths(
  NESTED_ENTITY_FIELDS.map(([path, label]) => [preparePath(path), label] as const),
  ([path]) => path,
);
const PREPARED_LEVEL_FIELDS = preparedPaths(LEVEL_FIELDS.map(preparePath), (path) => path);
const PREPARED_TRACE_ID_FIELDS = preparedPaths(TRACE_ID_FIELDS.map(preparePath), (path) => path);
const PREPARED_SPAN_ID_FIELDS = preparedPaths(SPAN_ID_FIELDS.map(preparePath), (path) => path);

function timeOf(object: JsonObject): number {
  const key = TIME_FIELDS.find((k) => k in object) ?? Object.keys(object).find(isTimeColumn);
  const value = key === undefined ? undefined : object[key];
  if (typeof value === "number") return epochToSeconds(value);
  if (typeof value === "string") return parseTimestamp(value);
  return Number.NaN;
}

function messageOf(object: JsonObject): string | undefined {
  for (const field of MESSAGE_FIELDS) {
    const value = object[field];
    if (typeof value === "string") return value.trim();
  }
  return undefined;
}

function labelsOf(object: JsonObject, flat: boolean): Labels {
  const labels: Labels = {};
  for (const key in object) {
    const label = entityLabelOf(key);
    if (label === undefined) continue;
    const text = textOf(object[key]);
    if (text) labels[label] ??= text;
  }
  for (const [path, label] of flat ? PREPARED_ENTITY_FIELDS.flat : PREPARED_ENTITY_FIELDS.all) {
    const text = textOf(valueAtPrepared(object, path));
    if (text) labels[label] ??= text;
  }
  const namespace = textOf(object.namespace);
  if (namespace) labels.namespace ??= namespace;
  return labels;
}

/** The value at the first of the paths that has one. */
function firstValue(object: JsonObject, paths: PreparedPaths<DottedPath>, flat: boolean): unknown {
  for (const path of flat ? paths.flat : paths.all) {
    const value = valueAtPrepared(object, path);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** The text at the first of the paths that has a non-empty one. */
function firstText(object: JsonObject, paths: PreparedPaths<DottedPath>, flat: boolean): string | undefined {
  for (const path of flat ? paths.flat : paths.all) {
    const text = textOf(valueAtPrepared(object, path));
    if (text) return text;
  }
  return undefined;
}

/** A log record from one parsed line, or the reason it is not one. */
export function logRecordOf(object: JsonObject, fallbackLabels: Labels): LogRecord | string {
  const t = timeOf(object);
  if (Number.isNaN(t)) return `no readable time field (${TIME_FIELDS.join(", ")})`;
  const message = messageOf(object);
  if (message === undefined) return `no message field (${MESSAGE_FIELDS.join(", ")})`;
  const flat = isFlat(object);
  const labels = labelsOf(object, flat);
  // The namespace qualifies an entity but names none: a line with only a namespace still needs a source.
  const named = Object.keys(labels).some((k) => k !== "namespace");
  const record: LogRecord = { t, message, labels: named ? labels : { ...labels, ...fallbackLabels } };
  const level = levelOf(firstValue(object, PREPARED_LEVEL_FIELDS, flat));
  if (level) record.level = level;
  const traceId = firstText(object, PREPARED_TRACE_ID_FIELDS, flat);
  const spanId = firstText(object, PREPARED_SPAN_ID_FIELDS, flat);
  if (traceId && spanId) {
    record.traceId = traceId;
    record.spanId = spanId;
  }
  return record;
}

function parseObject(line: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function sniff(head: string): number {
  const lines = head
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "")
    .slice(0, SNIFF_LINES);
  // The last line of the head may be cut off by the head's size limit.
  const complete = lines.length > 1 && !/\n\s*$/.test(head) ? lines.slice(0, -1) : lines;
  const objects = complete.map(parseObject).filter((o): o is JsonObject => o !== undefined);
  // A malformed line among them is the reader's to skip and list, not a reason to call the file unknown.
  if (objects.length * 2 < complete.length || objects.length === 0) return 0;
  const first = objects[0];
  if (OTHER_FORMAT_KEYS.some((k) => k in first)) return 0;
  return typeof logRecordOf(first, {}) === "string" ? 0 : 0.9;
}

/** One line: its record, why it is not one, or undefined for a blank line. Pure, so lines parse in any thread. */
export function parseLogLine(line: string, fallbackLabels: Labels): LineResult {
  if (line.trim() === "") return undefined;
  const object = parseObject(line);
  return object ? logRecordOf(object, fallbackLabels) : "not a JSON object (malformed or cut off)";
}

export const jsonLinesReader: Reader = {
  format: "json-lines logs",
  sniff,
  async read(input, sink) {
    const fallbackLabels = { service: sourceNameOf(input.file) };
    const failures = new LineFailures(input.file, sink, "a JSON object per line with a time and a message field");
    const take = (result: ParsedLine, lineNumber: number) => {
      if (typeof result === "string") failures.failed(`line ${lineNumber}`, result);
      else {
        sink.addLog(result);
        failures.read();
      }
    };
    await forEachParsedLine(input, { parser: "json-lines", fallbackLabels }, parseLogLine, take);
    failures.finish();
  },
};
