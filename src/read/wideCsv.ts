/**
 * Wide metric CSV: one time column and one column per `<entity>_<metric>` (`carts-db_cpu`,
 * `carts_lat_50`), one row per instant. The entity becomes the `service` label.
 */
import { parseTimestamp } from "../case/time.js";
import { entityLabelOf, isTimeColumn } from "./columns.js";
import { csvHead } from "./csvHeader.js";
import { csvRecords } from "./csvRecords.js";
import { chooseTimeColumn, isNumericCell, isTraceOrLogColumn, MetricRows } from "./metricCsv.js";
import { parseSampleValue, SeriesBuffer } from "./samples.js";
import { type CaseSink, ReadError, type Reader, type ReaderInput } from "./types.js";

/** Sniff confidence when every non-time column is `<entity>_<metric>`, and when only most are. */
const ALL_COLUMNS_SPLIT = 0.8;
const MOST_COLUMNS_SPLIT = 0.5;

/** `<entity>_<metric>` split at the first underscore; undefined when either side would be empty. */
export function splitEntityMetric(column: string): { entity: string; metric: string } | undefined {
  const at = column.indexOf("_");
  if (at <= 0 || at === column.length - 1) return undefined;
  return { entity: column.slice(0, at), metric: column.slice(at + 1) };
}

interface MetricColumn {
  index: number;
  name: string;
  entity: string;
  metric: string;
  samples: SeriesBuffer;
  nonNumeric: number;
  firstNonNumeric?: { line: number; text: string };
}

function sniff(head: string): number {
  const { header, firstRow } = csvHead(head);
  if (!header.some(isTimeColumn)) return 0;
  if (header.some((name) => entityLabelOf(name) !== undefined || isTraceOrLogColumn(name))) return 0;
  const others = header.map((name, index) => ({ name, index })).filter(({ name }) => !isTimeColumn(name));
  const split = others.filter(({ name }) => splitEntityMetric(name) !== undefined);
  if (split.length === 0 || split.length * 2 < others.length) return 0;
  if (firstRow && !split.every(({ index }) => isNumericCell(firstRow[index] ?? ""))) return 0;
  return split.length === others.length ? ALL_COLUMNS_SPLIT : MOST_COLUMNS_SPLIT;
}

/** The metric columns of the header; columns that are neither time nor `<entity>_<metric>` are reported as skipped. */
function metricColumns(header: string[], sink: CaseSink): MetricColumn[] {
  const columns: MetricColumn[] = [];
  header.forEach((name, index) => {
    if (isTimeColumn(name)) return;
    const split = splitEntityMetric(name);
    if (!split) {
      sink.skip(`column "${name}"`, "expected a column named <entity>_<metric>; it names no entity");
      return;
    }
    columns.push({ index, name, ...split, samples: new SeriesBuffer(), nonNumeric: 0 });
  });
  return columns;
}

async function read(input: ReaderInput, sink: CaseSink): Promise<void> {
  let header: string[] | undefined;
  let columns: MetricColumn[] = [];
  let timeColumns: number[] = [];
  let timeIndex: number | undefined;
  const rows = new MetricRows(input.file, sink);

  for await (const { line, fields } of csvRecords(input)) {
    if (!header) {
      header = fields;
      timeColumns = header.flatMap((name, i) => (isTimeColumn(name) ? [i] : []));
      if (timeColumns.length === 0) {
        throw new ReadError(input.file, `line ${line}`, "a header with a time column (time, timestamp, ts, ...)");
      }
      columns = metricColumns(header, sink);
      if (columns.length === 0) {
        throw new ReadError(input.file, `line ${line}`, "at least one <entity>_<metric> column in the header");
      }
      continue;
    }
    if (fields.length !== header.length) {
      rows.skip(line, `expected ${header.length} fields as in the header, found ${fields.length}`);
      continue;
    }
    timeIndex ??= chooseTimeColumn(timeColumns, fields);
    const timeText = fields[timeIndex];
    const t = parseTimestamp(timeText);
    if (Number.isNaN(t)) {
      rows.skip(line, `expected a timestamp in column "${header[timeIndex]}", found "${timeText}"`);
      continue;
    }
    rows.counted();
    for (const column of columns) {
      const text = fields[column.index];
      const v = parseSampleValue(text);
      if (v === undefined) {
        column.nonNumeric++;
        column.firstNonNumeric ??= { line, text };
        continue;
      }
      column.samples.add(t, v);
    }
  }

  if (!header)
    throw new ReadError(input.file, "line 1", "a CSV header with a time column and <entity>_<metric> columns");
  rows.requireAny();
  for (const column of columns) {
    if (column.firstNonNumeric) {
      const { line, text } = column.firstNonNumeric;
      sink.skip(
        `column "${column.name}"`,
        `${column.nonNumeric} non-numeric value(s) read as missing (first on line ${line}: "${text}")`,
      );
    }
    if (column.samples.size > 0)
      sink.addSamples({ service: column.entity }, column.metric, column.samples.t, column.samples.v);
  }
}

export const wideCsvReader: Reader = { format: "metric-csv-wide", sniff, read };
