/** Whole-document JSON inputs (OTLP, Jaeger, kubectl): parsed with the line of any syntax error named. */
import { LineFailures } from "./lineFailures.js";
import { type CaseSink, ReadError, type ReaderInput } from "./types.js";

export interface JsonDocument {
  value: unknown;
  /** Where the document sits, as a prefix for field paths: "" for a whole file, "line 3: " for one line of many. */
  where: string;
}

/** Whether `prefix` could still grow into valid JSON: it parses, or fails only for running out of input. */
function isIncompletePrefix(prefix: string): boolean {
  const parsed = tryParse(prefix);
  if ("value" in parsed) return true;
  const position = /position (\d+)/.exec(parsed.error.message);
  return /end of JSON input/.test(parsed.error.message) || (position !== null && Number(position[1]) >= prefix.length);
}

/**
 * The offset of a JSON syntax error: from the position V8 states, or (when its message states none,
 * as for "Unexpected token") by bisecting for the longest prefix that is still valid JSON so far.
 */
function errorOffset(text: string, error: Error): number {
  const position = /position (\d+)/.exec(error.message);
  if (position) return Number(position[1]);
  let valid = 0;
  let invalid = text.length;
  while (invalid - valid > 1) {
    const middle = Math.floor((valid + invalid) / 2);
    if (isIncompletePrefix(text.slice(0, middle))) valid = middle;
    else invalid = middle;
  }
  return valid;
}

/** `line L, column C` (1-based) of a JSON.parse error. */
function errorPlace(text: string, error: Error): string {
  const offset = errorOffset(text, error);
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line}, column ${column}`;
}

function tryParse(text: string): { value: unknown } | { error: Error } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { error: error as Error };
  }
}

/**
 * The file as one JSON document, or as one document per line (the OpenTelemetry Collector's file
 * exporter writes one per line; there a bad line is skipped when the rest is readable).
 */
export async function readJsonDocuments(input: ReaderInput, sink: CaseSink, expected: string): Promise<JsonDocument[]> {
  const text = await input.text();
  if (text.trim() === "") throw new ReadError(input.file, "line 1", `${expected}; the file is empty`);
  const whole = tryParse(text);
  if ("value" in whole) return [{ value: whole.value, where: "" }];
  const lines = text.split(/\r?\n/);
  const firstLine = lines.findIndex((l) => l.trim() !== "");
  const perLine = lines.length - firstLine > 1 && "value" in tryParse(lines[firstLine]);
  if (!perLine) throw new ReadError(input.file, errorPlace(text, whole.error), `${expected} (${whole.error.message})`);
  const failures = new LineFailures(input.file, sink, `${expected}, one per line`);
  const documents: JsonDocument[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    const parsed = tryParse(line);
    if ("value" in parsed) {
      documents.push({ value: parsed.value, where: `line ${index + 1}: ` });
      failures.read();
    } else failures.failed(`line ${index + 1}`, `not valid JSON (${parsed.error.message})`);
  }
  failures.finish();
  return documents;
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
