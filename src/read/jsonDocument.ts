/**
 * JSON document inputs (Prometheus answers, OTLP, Jaeger, kubectl), streamed through a visitor so
 * that no reader holds the file's text: syntax errors become ReadErrors naming the line and column,
 * and a file of one document per line (the OpenTelemetry Collector's file exporter) has its bad lines
 * skipped when the rest is readable.
 */
import { JsonStream, JsonSyntaxError, type JsonVisitor } from "./jsonStream.js";
import { LineFailures } from "./lineFailures.js";
import { type CaseSink, ReadError, type ReaderInput } from "./types.js";

/** A visitor that is also told where each document sits, as a prefix for field paths. */
export interface DocumentVisitor extends JsonVisitor {
  /** A document begins; `where` is "" for the first, "line 3: " for a later one in a file of one per line. */
  begin(where: string): void;
  /** The document ended completely (a bad line's document does not). */
  end(): void;
}

/**
 * Streams the input's documents through `visitor`. `expected` says what the file should be, for
 * messages: an empty file, a syntax error or a file cut off are ReadErrors; in a file of one document
 * per line a bad line is skipped and listed unless most lines are bad.
 */
export async function streamDocuments(
  input: ReaderInput,
  sink: CaseSink,
  visitor: DocumentVisitor,
  expected: string,
): Promise<void> {
  let failures: LineFailures | undefined;
  const perLine = () => {
    failures ??= new LineFailures(input.file, sink, `${expected}, one per line`);
    return failures;
  };
  let documents = 0;
  const ended = () => {
    visitor.end();
    if (documents++ > 0) perLine().read();
  };
  const stream = new JsonStream(
    {
      open: (path, kind) => visitor.open(path, kind),
      value(path, value) {
        visitor.value(path, value);
        if (path.length === 0) ended();
      },
      batch: (path, items) => visitor.batch?.(path, items),
      pairs: visitor.pairs && ((path, columns) => visitor.pairs?.(path, columns)),
      close(path) {
        visitor.close?.(path);
        if (path.length === 0) ended();
      },
      document(index, line) {
        if (index === 1) perLine().read();
        visitor.begin(index === 0 ? "" : `line ${line}: `);
      },
    },
    { documents: { badLine: (line, error) => perLine().failed(`line ${line}`, `not valid JSON (${error.message})`) } },
  );
  try {
    for await (const chunk of input.bytes()) stream.write(chunk);
    stream.end();
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const truncated = error.atEnd ? "; the document ends early, is the file truncated?" : "";
    throw new ReadError(input.file, error.where, `${expected} (${error.message})${truncated}`);
  }
  if (stream.documentCount === 0 && !failures)
    throw new ReadError(input.file, "line 1", `${expected}; the file is empty`);
  failures?.finish();
}

/** A plain JSON object (not an array or null), for walking documents without casts everywhere. */
export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The array at `value`, or an empty one when it is absent or not an array. */
export function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value as text when it is a string or number, else undefined. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}
