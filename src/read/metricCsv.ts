/** Header rules shared by the metric CSV readers (wide, long), so that their sniffs do not collide with span or log CSVs. */

import { parseTimestamp } from "../case/time.js";
import { normaliseName } from "./columns.js";
import { parseSampleValue } from "./samples.js";
import { type CaseSink, ReadError } from "./types.js";

/** Column names that mark a span CSV (trace/span ids) or a log CSV (a message column). */
const TRACE_ID_PARTS = ["traceid", "spanid", "parentid"];
const LOG_COLUMNS = new Set(["message", "msg", "log", "logline", "body", "content"]);

export function isTraceOrLogColumn(name: string): boolean {
  const n = normaliseName(name);
  return LOG_COLUMNS.has(n) || TRACE_ID_PARTS.some((part) => n.includes(part));
}

/** A number, NaN, Inf or empty: something a metric column holds. */
export function isNumericCell(text: string): boolean {
  return parseSampleValue(text) !== undefined;
}

/**
 * Which of the time columns to read: the first whose value in the first data row is an epoch number
 * (exact and zone-free, e.g. `TimeStamp` unix seconds beside a Go time string `Time`), else the first
 * that parses as a time at all, else the first. `timeColumns` is not empty.
 */
export function chooseTimeColumn(timeColumns: number[], firstRow: string[]): number {
  const numeric = timeColumns.find((i) => /^[-+]?\d+(\.\d+)?$/.test(firstRow[i] ?? ""));
  if (numeric !== undefined) return numeric;
  return timeColumns.find((i) => !Number.isNaN(parseTimestamp(firstRow[i] ?? ""))) ?? timeColumns[0];
}

/**
 * Data rows of a metric CSV: a bad row is skipped and listed, and the file is an error only when no row
 * at all was readable (then the first bad row says why).
 */
export class MetricRows {
  private read = 0;
  private firstBad?: { where: string; reason: string };

  constructor(
    private readonly file: string,
    private readonly sink: CaseSink,
  ) {}

  skip(line: number, reason: string): void {
    this.firstBad ??= { where: `line ${line}`, reason };
    this.sink.skip(`line ${line}`, reason);
  }

  counted(): void {
    this.read++;
  }

  /** At the end of the file: a ReadError when no data row was readable. */
  requireAny(): void {
    if (this.read > 0) return;
    if (this.firstBad) throw new ReadError(this.file, this.firstBad.where, this.firstBad.reason);
    throw new ReadError(this.file, "line 2", "data rows after the header");
  }
}
