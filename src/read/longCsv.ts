/**
 * Long (per-entity) metric CSV: a time column, one or more entity columns (`PodName`, `ServiceName`,
 * `service`, ...) and one numeric column per metric, one row per entity and instant. The metric is the
 * column header as written; its unit comes from a parenthesised suffix (`CpuUsageRate(%)`).
 */
import { parseTimestamp } from "../case/time.js";
import { entityLabelOf, isTimeColumn } from "./columns.js";
import { csvHead } from "./csvHeader.js";
import { csvRecords } from "./csvRecords.js";
import { chooseTimeColumn, isNumericCell, isTraceOrLogColumn, MetricRows } from "./metricCsv.js";
import { parseSampleValue, SeriesBuffer } from "./samples.js";
import { type CaseSink, type Labels, ReadError, type Reader, type ReaderInput } from "./types.js";

/** Sniff confidence for time + entity + numeric columns: below a format with a marker of its own. */
const LONG_CSV_CONFIDENCE = 0.8;

/** Units written as a parenthesised suffix, in the spelling the Case uses. */
const UNIT_SUFFIXES: Record<string, string> = { "%": "%", Ki: "KiB", Mi: "MiB", Gi: "GiB", s: "s", ms: "ms" };

/** The unit a column header states: `(%)` → `%`, `(Mi)` → `MiB`, `(m)` on a CPU column → millicores. */
export function unitOfColumn(name: string): string | undefined {
  const suffix = /\(([^()]+)\)\s*$/.exec(name)?.[1].trim();
  if (!suffix) return undefined;
  if (suffix === "m") return /cpu/i.test(name) ? "millicores" : undefined;
  return UNIT_SUFFIXES[suffix] ?? suffix;
}

interface Columns {
  time: number[];
  entity: { index: number; label: string }[];
  metric: number[];
}

function classify(header: string[]): Columns {
  const columns: Columns = { time: [], entity: [], metric: [] };
  header.forEach((name, index) => {
    const label = entityLabelOf(name);
    if (isTimeColumn(name)) columns.time.push(index);
    else if (label) columns.entity.push({ index, label });
    else columns.metric.push(index);
  });
  return columns;
}

function sniff(head: string): number {
  const { header, firstRow } = csvHead(head);
  if (header.some(isTraceOrLogColumn)) return 0;
  const columns = classify(header);
  if (columns.time.length === 0 || columns.entity.length === 0 || columns.metric.length === 0) return 0;
  if (firstRow && !columns.metric.some((i) => (firstRow[i] ?? "") !== "" && isNumericCell(firstRow[i]))) return 0;
  return LONG_CSV_CONFIDENCE;
}

/** One entity's samples, one buffer per metric column. */
interface EntitySeries {
  labels: Labels;
  samples: Map<number, SeriesBuffer>;
}

async function read(input: ReaderInput, sink: CaseSink): Promise<void> {
  let header: string[] | undefined;
  let columns: Columns = { time: [], entity: [], metric: [] };
  let timeIndex: number | undefined;
  /** Metric columns that held text: not metrics, ignored. */
  const textColumns = new Set<number>();
  const entities = new Map<string, EntitySeries>();
  const rows = new MetricRows(input.file, sink);

  for await (const { line, fields } of csvRecords(input)) {
    if (!header) {
      header = fields;
      columns = classify(header);
      if (columns.time.length === 0) {
        throw new ReadError(input.file, `line ${line}`, "a header with a time column (time, timestamp, ts, ...)");
      }
      if (columns.entity.length === 0) {
        throw new ReadError(input.file, `line ${line}`, "a header with an entity column (service, pod, PodName, ...)");
      }
      continue;
    }
    if (fields.length !== header.length) {
      rows.skip(line, `expected ${header.length} fields as in the header, found ${fields.length}`);
      continue;
    }
    timeIndex ??= chooseTimeColumn(columns.time, fields);
    const t = parseTimestamp(fields[timeIndex]);
    if (Number.isNaN(t)) {
      rows.skip(line, `expected a timestamp in column "${header[timeIndex]}", found "${fields[timeIndex]}"`);
      continue;
    }
    const labels: Labels = {};
    for (const { index, label } of columns.entity) if (fields[index] !== "") labels[label] = fields[index];
    if (Object.keys(labels).length === 0) {
      rows.skip(line, `expected an entity name in column "${header[columns.entity[0].index]}"`);
      continue;
    }
    const key = JSON.stringify(labels);
    let series = entities.get(key);
    if (!series) {
      series = { labels, samples: new Map() };
      entities.set(key, series);
    }
    rows.counted();
    for (const index of columns.metric) {
      if (textColumns.has(index)) continue;
      const v = parseSampleValue(fields[index]);
      if (v === undefined) {
        textColumns.add(index);
        continue;
      }
      let buffer = series.samples.get(index);
      if (!buffer) {
        buffer = new SeriesBuffer();
        series.samples.set(index, buffer);
      }
      buffer.add(t, v);
    }
  }

  if (!header) throw new ReadError(input.file, "line 1", "a CSV header with a time column and an entity column");
  rows.requireAny();
  for (const { labels, samples } of entities.values()) {
    for (const [index, buffer] of samples) {
      if (textColumns.has(index) || buffer.size === 0) continue;
      sink.addSamples(labels, header[index], buffer.t, buffer.v, unitOfColumn(header[index]));
    }
  }
}

export const longCsvReader: Reader = { format: "metric-csv-long", sniff, read };
