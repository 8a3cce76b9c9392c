/** Streaming CSV records from a ReaderInput, with the line each record ends on, for every CSV reader. */
import { Readable } from "node:stream";
import { CsvError, type Info, parse } from "csv-parse";
import { ReadError, type ReaderInput } from "./types.js";

export interface CsvRecord {
  /** 1-based line number the record ends on (a quoted field may span lines). */
  line: number;
  fields: string[];
}

async function* withLineBreaks(lines: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const line of lines) yield `${line}\n`;
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
  const parser = parse({
    skip_records_with_error: onBadRecord !== undefined,
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    relax_quotes: true,
    info: true,
  });
  parser.on("skip", (error: CsvError) =>
    onBadRecord?.(`line ${error.lines ?? parser.info.lines}`, `malformed CSV record skipped (${error.message})`),
  );
  const source = Readable.from(withLineBreaks(input.lines()));
  source.on("error", (error) => parser.destroy(error));
  source.pipe(parser);
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      yield { line: info.lines, fields: record };
    }
  } catch (error) {
    if (error instanceof ReadError) throw error;
    if (error instanceof CsvError) {
      const line = typeof error.lines === "number" ? error.lines : parser.info.lines;
      throw new ReadError(input.file, `line ${line}`, `well-formed CSV (${error.message})`);
    }
    throw new ReadError(input.file, `line ${parser.info.lines}`, `readable CSV (${String(error)})`);
  } finally {
    source.destroy();
  }
}
