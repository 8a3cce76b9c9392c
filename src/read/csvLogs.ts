/** CSV logs: a message column (a message that is itself a JSON log object is unwrapped), a time column, entity columns. */
import { parseTimestamp } from "../case/time.js";
import { entityLabelOf, isTimeColumn, normaliseName } from "./columns.js";
import { firstLine, parseCsvHeader } from "./csvHeader.js";
import { csvRows } from "./csvRecords.js";
import { isObject } from "./jsonDocument.js";
import { LineFailures } from "./lineFailures.js";
import { levelOf, sourceNameOf } from "./logFields.js";
import { chooseTimeColumn } from "./metricCsv.js";
import type { Labels, LogRecord, Reader } from "./types.js";

const MESSAGE_COLUMNS = new Set(["log", "message", "msg"]);
const LEVEL_COLUMNS = new Set(["level", "severity", "lvl", "levelname", "loglevel"]);
/** Fields of a wrapped JSON log line (Docker json-file, structured loggers) that hold the message and the level. */
const WRAPPED_MESSAGE_FIELDS = ["log", "message", "msg"];
const WRAPPED_LEVEL_FIELDS = ["level", "severity", "lvl", "levelname"];

interface Columns {
  message: number;
  time: number[];
  level?: number;
  /** Column index -> label name. */
  entities: Map<number, string>;
  traceId?: number;
  spanId?: number;
}

function columnsOf(header: string[]): Columns | undefined {
  const names = header.map(normaliseName);
  const message = names.findIndex((n) => MESSAGE_COLUMNS.has(n));
  const time = header.flatMap((name, i) => (isTimeColumn(name) ? [i] : []));
  if (message < 0 || time.length === 0) return undefined;
  const columns: Columns = { message, time, entities: new Map() };
  const level = names.findIndex((n) => LEVEL_COLUMNS.has(n));
  if (level >= 0) columns.level = level;
  const traceId = names.indexOf("traceid");
  const spanId = names.indexOf("spanid");
  if (traceId >= 0 && spanId >= 0) {
    columns.traceId = traceId;
    columns.spanId = spanId;
  }
  for (const [i, name] of header.entries()) {
    const label = entityLabelOf(name) ?? (normaliseName(name) === "namespace" ? "namespace" : undefined);
    if (label) columns.entities.set(i, label);
  }
  return columns;
}

/** A message cell holding a JSON log object gives its message (trimmed) and stated level; any other cell is the message. */
function unwrap(cell: string): { message: string; level?: unknown } {
  if (!cell.startsWith("{")) return { message: cell };
  let value: unknown;
  try {
    value = JSON.parse(cell);
  } catch {
    return { message: cell };
  }
  if (!isObject(value)) return { message: cell };
  const field = WRAPPED_MESSAGE_FIELDS.find((f) => typeof value[f] === "string");
  if (field === undefined) return { message: cell };
  const level = WRAPPED_LEVEL_FIELDS.map((f) => value[f]).find((v) => v !== undefined);
  return { message: String(value[field]).trim(), level };
}

function sniff(head: string): number {
  return columnsOf(parseCsvHeader(firstLine(head))) ? 0.9 : 0;
}

export const csvLogsReader: Reader = {
  format: "csv logs",
  sniff,
  async read(input, sink) {
    const failures = new LineFailures(input.file, sink, "CSV log rows with a time and a message");
    const fallbackLabels = { service: sourceNameOf(input.file) };
    let timeColumn: number | undefined;
    const rows = csvRows(input, failures, (where, reason) => sink.skip(where, reason), {
      columnsOf,
      expected: "a CSV header with a time column and a message column (log, message, msg)",
      whenEmpty: "a CSV header with a time column and a message column; the file is empty",
    });
    for await (const { line, fields, header, columns } of rows) {
      // Chosen on the first row: a numeric epoch column beats a formatted one (exact, zone-free).
      timeColumn ??= chooseTimeColumn(columns.time, fields) ?? columns.time[0];
      const t = parseTimestamp(fields[timeColumn]);
      if (Number.isNaN(t)) {
        failures.failed(`line ${line}`, `unreadable time "${fields[timeColumn]}" in column ${header[timeColumn]}`);
        continue;
      }
      const labels: Labels = {};
      for (const [i, label] of columns.entities) if (fields[i] !== "") labels[label] = fields[i];
      const named = Object.keys(labels).some((k) => k !== "namespace");
      const { message, level: wrappedLevel } = unwrap(fields[columns.message]);
      const record: LogRecord = { t, message, labels: named ? labels : { ...labels, ...fallbackLabels } };
      const level = levelOf(columns.level === undefined ? wrappedLevel : fields[columns.level]);
      if (level) record.level = level;
      if (columns.traceId !== undefined && columns.spanId !== undefined && fields[columns.spanId]) {
        record.traceId = fields[columns.traceId];
        record.spanId = fields[columns.spanId];
      }
      sink.addLog(record);
      failures.read();
    }
    failures.finish();
  },
};
