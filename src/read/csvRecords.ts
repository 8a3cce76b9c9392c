/**
 * Streaming CSV records from a ReaderInput, with the line each record ends on, for every CSV reader.
 * Our own RFC 4180 parser rather than a library's: metric files are read whole on every analysis and
 * this is their hot path (a general-purpose parser spent a third of the read time in bookkeeping).
 */
import type { LineFailures } from "./lineFailures.js";
import { ReadError, type ReaderInput } from "./types.js";

export interface CsvRecord {
  /** 1-based line number the record ends on (a quoted field may span lines). */
  line: number;
  fields: string[];
}

const QUOTE = 34; // "
const COMMA = 44; // ,
const BOM = "\uFEFF";

/** A malformed record: the line it ends on (0 while unknown) and what is wrong. */
class BadRecord {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {}
}

/**
 * Splits one record that starts on `first`; `more` supplies the following lines while a quoted field
 * is open. Fields are trimmed; a quote inside an unquoted field is kept as text (lenient, as real exports
 * are); text after a closing quote other than spaces and the delimiter is an error.
 */
function splitRecord(first: string, more: () => string | undefined): string[] | BadRecord | "unclosed" {
  const fields: string[] = [];
  let line = first;
  let i = 0;
  for (;;) {
    while (i < line.length && (line[i] === " " || line[i] === "\t")) i++;
    if (line.charCodeAt(i) !== QUOTE) {
      const end = line.indexOf(",", i);
      const stop = end < 0 ? line.length : end;
      fields.push(line.slice(i, stop).trim());
      if (end < 0) return fields;
      i = end + 1;
      continue;
    }
    let value = "";
    i++;
    for (;;) {
      const close = line.indexOf('"', i);
      if (close < 0) {
        value += `${line.slice(i)}\n`;
        const next = more();
        if (next === undefined) return "unclosed";
        line = next;
        i = 0;
        continue;
      }
      value += line.slice(i, close);
      if (line.charCodeAt(close + 1) === QUOTE) {
        value += '"';
        i = close + 2;
        continue;
      }
      i = close + 1;
      break;
    }
    fields.push(value);
    while (i < line.length && (line[i] === " " || line[i] === "\t")) i++;
    if (i >= line.length) return fields;
    if (line.charCodeAt(i) !== COMMA) {
      return new BadRecord(0, `unexpected text after a closing quote at column ${i + 1}`);
    }
    i++;
  }
}

/**
 * Every non-empty record of the CSV input, header included, trimmed. Rows of any width are passed on:
 * the reader decides what a short or long row means. A CSV syntax error (an unclosed quote) is a ReadError,
 * unless `onBadRecord` is given: then the broken record is reported there and reading goes on, which is
 * safe for row-per-item formats (one spliced log line must not cost the other thousands).
 */
export async function* csvRecords(
  input: ReaderInput,
  onBadRecord?: (where: string, reason: string) => void,
): AsyncGenerator<CsvRecord> {
  const iterator = input.lines()[Symbol.asyncIterator]();
  let lineNumber = 0;
  const nextLine = async (): Promise<string | undefined> => {
    const result = await iterator.next();
    if (result.done) return undefined;
    lineNumber++;
    return lineNumber === 1 && result.value.startsWith(BOM) ? result.value.slice(1) : result.value;
  };
  for (let first = await nextLine(); first !== undefined; first = await nextLine()) {
    if (first.trim() === "") continue;
    const start = lineNumber;
    // A quoted field may hold line breaks: take further lines until it closes (rare, so re-split whole).
    const lines = [first];
    const split = (): ReturnType<typeof splitRecord> => {
      let next = 1;
      return splitRecord(lines[0], () => lines[next++]);
    };
    let record = split();
    while (record === "unclosed") {
      const more = await nextLine();
      if (more === undefined) break;
      lines.push(more);
      record = split();
    }
    const bad =
      record === "unclosed"
        ? new BadRecord(lineNumber, `a quoted field opened on line ${start} is never closed`)
        : record instanceof BadRecord
          ? new BadRecord(lineNumber, record.reason)
          : undefined;
    if (bad) {
      if (!onBadRecord) throw new ReadError(input.file, `line ${bad.line}`, `well-formed CSV (${bad.reason})`);
      onBadRecord(`line ${bad.line}`, `malformed CSV record skipped (${bad.reason})`);
      continue;
    }
    yield { line: lineNumber, fields: record as string[] };
  }
}

/** A data row of a CSV with a header, and what the header named. */
export interface CsvRow<C> {
  line: number;
  fields: string[];
  header: string[];
  columns: C;
}

/**
 * The data rows of a row-per-item CSV (logs, spans): the first record is the header, from which
 * `columnsOf` picks the columns the reader needs (a header without them is a ReadError saying what was
 * expected); a row whose width differs from the header's is reported to `failures` and skipped.
 */
export async function* csvRows<C>(
  input: ReaderInput,
  failures: LineFailures,
  onBadRecord: (where: string, reason: string) => void,
  header: {
    columnsOf: (names: string[]) => C | undefined;
    /** What a usable header is, for the error; `whenEmpty` is the error for a file with no header at all. */
    expected: string;
    whenEmpty: string;
    /** Further checks of a header that has the columns (throws a ReadError). */
    check?: (names: string[], columns: C) => void;
  },
): AsyncGenerator<CsvRow<C>> {
  let names: string[] | undefined;
  let columns: C | undefined;
  for await (const { line, fields } of csvRecords(input, onBadRecord)) {
    if (!names) {
      names = fields;
      columns = header.columnsOf(names);
      if (!columns) throw new ReadError(input.file, "line 1", header.expected);
      header.check?.(names, columns);
      continue;
    }
    if (columns === undefined) continue;
    if (fields.length !== names.length) {
      failures.failed(`line ${line}`, `expected ${names.length} fields, found ${fields.length} (cut off or malformed)`);
      continue;
    }
    yield { line, fields, header: names, columns };
  }
  if (!names) throw new ReadError(input.file, "line 1", header.whenEmpty);
}
