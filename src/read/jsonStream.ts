/**
 * A streaming JSON reader, for documents too large to hold as text (a Prometheus query_range answer
 * over 512 MiB, a million spans in one OTLP file). The caller's visitor says which objects and arrays
 * are walked member by member; every other value is cut out of the byte stream and parsed whole by
 * JSON.parse (native, so fast), and a batched array's items (a series' samples, a scope's spans) are
 * parsed many at a time. Memory is bounded by the largest value parsed whole, not by the document;
 * errors name the line and column in the file.
 */

import { readPairArray, readPairs } from "./jsonPairs.js";
import { PairColumns } from "./samples.js";

export type JsonPath = (string | number)[];
/**
 * How an object or array is read: member by member, its items in batches (arrays only; `pairs`: items
 * expected to be `[number, "number"]`, given as columns when they all are), or as one value.
 */
export type JsonWalk = "members" | "batches" | "pairs" | "whole";

export interface JsonVisitor {
  /** The object or array at `path` begins. The path is the reader's own: read it, do not keep it. */
  open(path: JsonPath, kind: "object" | "array"): JsonWalk;
  /** A value read whole (a scalar, or an object or array not walked). */
  value(path: JsonPath, value: unknown): void;
  /** Consecutive items of a batched array; `path` ends with the index of the first. */
  batch?(path: JsonPath, items: unknown[]): void;
  /**
   * Consecutive items of a `pairs` array, when every one of them is a plain pair (else they come to
   * `batch`); `path` ends with the index of the first. The columns are reused: read them, do not keep them.
   */
  pairs?(path: JsonPath, columns: PairColumns): void;
  /** A walked object or a batched array ended. */
  close?(path: JsonPath): void;
  /** Another top-level document begins (`index` from 0), at `line`. */
  document?(index: number, line: number): void;
}

export interface JsonStreamOptions {
  /**
   * Several documents one after another, one per line (the OpenTelemetry Collector's file exporter):
   * once the first document was one line, a line that fails is given to `badLine` and reading
   * resumes on the next line. Without it, anything after the first document is an error.
   */
  documents?: { badLine(line: number, error: JsonSyntaxError): void };
}

/** A syntax error, placed in the file; `atEnd` when the input ended inside the document (a cut-off file). */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    readonly atEnd: boolean,
  ) {
    super(message);
    this.name = "JsonSyntaxError";
  }

  get where(): string {
    return `line ${this.line}, column ${this.column}`;
  }
}

/**
 * The largest value parsed whole. JSON.parse takes strings under 512 MiB; well below that keeps a
 * hostile value (a gzip of an opening brace and gigabytes of spaces) from holding gigabytes.
 */
export const MAX_WHOLE_VALUE_BYTES = 128 * 1024 * 1024;
/** Text parsed per JSON.parse call of a batched array: large enough that calls are few, small enough to stay in the young heap. */
const BATCH_BYTES = 1024 * 1024;

const EMPTY = Buffer.alloc(0);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const NEWLINE = 0x0a;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === NEWLINE || c === 0x0d || c === 0x09;
}

/** Where a walked frame is: what it expects next. */
enum Expect {
  /** After `{`: a key or `}`. */
  KeyOrEnd,
  Key,
  Colon,
  Value,
  /** After `[`: a value or `]`. */
  ValueOrEnd,
  CommaOrEnd,
}

interface Frame {
  object: boolean;
  expect: Expect;
}

/** What is being cut out: a string, a number or literal, an object or array, or the items of a batched array. */
enum Cut {
  None,
  Text,
  Scalar,
  Container,
  Batch,
  Key,
}

/** A place in the current chunk, turned into a line and column only when an error needs it. */
interface Mark {
  chunk: Buffer;
  at: number;
  /** Lines wholly before the chunk, and the file offset after the last newline before it. */
  linesBefore: number;
  lineStart: number;
  chunkOffset: number;
}

function countNewlines(chunk: Buffer, end: number): { count: number; last: number } {
  let count = 0;
  let last = -1;
  for (let p = chunk.indexOf(NEWLINE); p !== -1 && p < end; p = chunk.indexOf(NEWLINE, p + 1)) {
    count++;
    last = p;
  }
  return { count, last };
}

/** Line and column (1-based; the column in bytes) of a mark. */
function place(mark: Mark): { line: number; column: number } {
  const { count, last } = countNewlines(mark.chunk, mark.at);
  const lineStart = last >= 0 ? mark.chunkOffset + last + 1 : mark.lineStart;
  return { line: mark.linesBefore + count + 1, column: mark.chunkOffset + mark.at - lineStart + 1 };
}

/** The character offset JSON.parse rejected: from its message, or by bisecting when the message gives none. */
function parseErrorOffset(text: string, message: string): number {
  const position = /position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  if (/end of JSON input/i.test(message)) return text.length;
  const failsOtherThanAtEnd = (prefix: string): boolean => {
    try {
      JSON.parse(prefix);
      return false;
    } catch (error) {
      const m = (error as Error).message;
      const at = /position (\d+)/.exec(m);
      return at ? Number(at[1]) < prefix.length : !/end of JSON input/i.test(m);
    }
  };
  // A fault stays a fault in every longer prefix, so the shortest failing prefix ends at it.
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (failsOtherThanAtEnd(text.slice(0, mid + 1))) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** JSON.parse's own message without the quoted excerpt V8 adds (it may hold anything from the input). */
function parseErrorMessage(message: string): string {
  return message.replace(/, ".*" is not valid JSON$/s, "").replace(/ in JSON at position \d+.*$/s, "");
}

export class JsonStream {
  private readonly stack: Frame[] = [];
  private readonly path: JsonPath = [];
  /** Whether a top-level value was read completely, and whether one is being read. */
  private documents = 0;
  private inDocument = false;
  private firstDocumentLine = 0;
  private firstDocumentOneLine = false;
  private lineMode = false;
  private skippingLine = false;

  private cut = Cut.None;
  private pieces: Buffer[] = [];
  private cutBytes = 0;
  private cutStart = 0;
  private cutMark?: Mark;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private batchIndex = 0;
  private batchPairs = false;
  private readonly pairColumns = new PairColumns();

  private chunkOffset = 0;
  private linesBefore = 0;
  private lineStart = 0;
  private chunk: Buffer = EMPTY;
  /** Where in the current chunk the last error was found: a bad line is skipped from there. */
  private failedAt = 0;
  private bomChecked = false;

  constructor(
    private readonly visitor: JsonVisitor,
    private readonly options: JsonStreamOptions = {},
  ) {}

  /** Top-level documents read so far. */
  get documentCount(): number {
    return this.documents;
  }

  write(chunk: Buffer): void {
    let i = 0;
    if (!this.bomChecked && chunk.length > 0) {
      this.bomChecked = true;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    }
    this.chunk = chunk;
    while (i < chunk.length) {
      try {
        i = this.step(chunk, i);
      } catch (error) {
        if (!(error instanceof JsonSyntaxError) || !this.lineMode || !this.options.documents) throw error;
        this.options.documents.badLine(error.line, error);
        this.resetToLine();
        i = this.skipLine(chunk, this.failedAt);
      }
    }
    if (this.cut !== Cut.None) this.keepPiece(chunk);
    const { count, last } = countNewlines(chunk, chunk.length);
    this.linesBefore += count;
    if (last >= 0) this.lineStart = this.chunkOffset + last + 1;
    this.chunkOffset += chunk.length;
    this.chunk = EMPTY;
  }

  /** The input ended: an error when it ended inside a document. */
  end(): void {
    if (!this.inDocument || this.skippingLine) return;
    try {
      if (this.cut === Cut.Scalar && this.stack.length === 0) {
        this.finishScalarAtEnd();
        return;
      }
      // A value cut off by the end may hold an earlier fault (a bracket that does not match): name that.
      if (this.cut !== Cut.None && this.cut !== Cut.Key) this.parseCut(EMPTY, 0, this.cut === Cut.Batch);
      throw this.error(this.markAt(0), "the document ends early", true);
    } catch (error) {
      if (!(error instanceof JsonSyntaxError) || !this.lineMode || !this.options.documents) throw error;
      this.options.documents.badLine(error.line, error);
    }
  }

  private markAt(at: number): Mark {
    return {
      chunk: this.chunk,
      at,
      linesBefore: this.linesBefore,
      lineStart: this.lineStart,
      chunkOffset: this.chunkOffset,
    };
  }

  private error(mark: Mark, message: string, atEnd = false): JsonSyntaxError {
    const { line, column } = place(mark);
    return new JsonSyntaxError(message, line, column, atEnd);
  }

  private unexpected(i: number, what: string): JsonSyntaxError {
    this.failedAt = i;
    const c = this.chunk[i];
    const shown = c >= 0x20 && c < 0x7f ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16).padStart(2, "0")}`;
    return this.error(this.markAt(i), `unexpected ${shown}, expected ${what}`);
  }

  /** In a file of one document per line, a line break inside a document means the line was cut off. */
  private lineEnded(i: number): JsonSyntaxError {
    this.failedAt = i;
    return this.error(this.markAt(i), "the line ends inside the document", true);
  }

  private resetToLine(): void {
    this.stack.length = 0;
    this.path.length = 0;
    this.cut = Cut.None;
    this.pieces = [];
    this.inDocument = false;
    this.skippingLine = true;
  }

  private skipLine(chunk: Buffer, from: number): number {
    const newline = chunk.indexOf(NEWLINE, from);
    if (newline === -1) return chunk.length;
    this.skippingLine = false;
    return newline + 1;
  }

  /** Reads from `i` until something completes or the chunk ends; returns where it stopped. */
  private step(chunk: Buffer, i: number): number {
    if (this.skippingLine) return this.skipLine(chunk, i);
    if (this.cut !== Cut.None) return this.continueCut(chunk, i);
    const n = chunk.length;
    while (i < n && isWhitespace(chunk[i])) {
      if (chunk[i] === NEWLINE && this.lineMode && this.inDocument) throw this.lineEnded(i);
      i++;
    }
    if (i === n) return n;
    const c = chunk[i];
    const frame = this.stack[this.stack.length - 1];
    if (!frame) return this.topLevel(chunk, i);
    switch (frame.expect) {
      case Expect.KeyOrEnd:
      case Expect.Key:
        if (c === QUOTE) return this.startCut(chunk, i, Cut.Key);
        if (c === CLOSE_BRACE && frame.expect === Expect.KeyOrEnd) return this.closeFrame(i);
        throw this.unexpected(i, frame.expect === Expect.Key ? "a key" : 'a key or "}"');
      case Expect.Colon:
        if (c !== COLON) throw this.unexpected(i, '":"');
        frame.expect = Expect.Value;
        return i + 1;
      case Expect.Value:
      case Expect.ValueOrEnd:
        if (c === CLOSE_BRACKET && frame.expect === Expect.ValueOrEnd) return this.closeFrame(i);
        return this.startValue(chunk, i);
      case Expect.CommaOrEnd:
        if (c === COMMA) {
          if (frame.object) frame.expect = Expect.Key;
          else {
            frame.expect = Expect.Value;
            this.path[this.path.length - 1] = (this.path[this.path.length - 1] as number) + 1;
          }
          return i + 1;
        }
        if (c === (frame.object ? CLOSE_BRACE : CLOSE_BRACKET)) return this.closeFrame(i);
        throw this.unexpected(i, frame.object ? '"," or "}"' : '"," or "]"');
    }
  }

  private topLevel(chunk: Buffer, i: number): number {
    if (this.documents > 0) {
      if (!this.options.documents) throw this.unexpected(i, "the end of the document");
      const line = place(this.markAt(i)).line;
      this.lineMode = this.firstDocumentOneLine && line > this.firstDocumentLine;
      this.visitor.document?.(this.documents, line);
    } else {
      this.firstDocumentLine = place(this.markAt(i)).line;
      this.visitor.document?.(0, this.firstDocumentLine);
    }
    this.inDocument = true;
    return this.startValue(chunk, i);
  }

  private startValue(chunk: Buffer, i: number): number {
    const c = chunk[i];
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const object = c === OPEN_BRACE;
      const walk = this.visitor.open(this.path, object ? "object" : "array");
      if (walk === "members") {
        this.stack.push({ object, expect: object ? Expect.KeyOrEnd : Expect.ValueOrEnd });
        this.path.push(object ? "" : 0);
        return i + 1;
      }
      // An object cannot be batched: it is read whole.
      if ((walk === "batches" || walk === "pairs") && !object) {
        this.path.push(0);
        if (walk === "pairs") {
          const end = this.wholePairArray(chunk, i + 1);
          if (end >= 0) return end;
        }
        this.batchIndex = 0;
        this.batchPairs = walk === "pairs";
        return this.startCut(chunk, i + 1, Cut.Batch);
      }
      return this.startCut(chunk, i, Cut.Container);
    }
    if (c === QUOTE) return this.startCut(chunk, i, Cut.Text);
    if (c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e)
      return this.startCut(chunk, i, Cut.Scalar);
    throw this.unexpected(i, "a value");
  }

  private startCut(chunk: Buffer, i: number, cut: Cut): number {
    this.cut = cut;
    this.cutStart = i;
    this.cutMark = this.markAt(i);
    this.pieces = [];
    this.cutBytes = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    // A string's or key's opening quote is part of the cut; scanning starts inside it.
    if (cut === Cut.Text || cut === Cut.Key) {
      this.inString = true;
      return this.continueCut(chunk, i + 1);
    }
    return this.continueCut(chunk, i);
  }

  private keepPiece(chunk: Buffer): void {
    const piece = chunk.subarray(this.cutStart);
    this.cutBytes += piece.length;
    if (this.cutBytes > MAX_WHOLE_VALUE_BYTES && this.cutMark)
      throw this.error(
        this.cutMark,
        `a value over ${MAX_WHOLE_VALUE_BYTES / 1024 / 1024} MiB at ${pathText(this.path) || "top level"}, more than is read at once`,
      );
    this.pieces.push(piece);
    this.cutStart = 0;
  }

  /** The cut text from its start to `end` in the current chunk. */
  private cutText(chunk: Buffer, end: number): string {
    if (this.pieces.length === 0) return chunk.toString("utf8", this.cutStart, end);
    const parts = [...this.pieces, chunk.subarray(0, end)];
    return Buffer.concat(parts).toString("utf8");
  }

  /** Scans the cut from `i`; when it ends, hands its value on and returns the next position. */
  private continueCut(chunk: Buffer, i: number): number {
    const n = chunk.length;
    const cut = this.cut;
    if (cut === Cut.Scalar) {
      while (i < n && !isDelimiter(chunk[i])) i++;
      if (i === n) return n;
      return this.finishCut(chunk, i, i);
    }
    let depth = this.depth;
    let inString = this.inString;
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    for (; i < n; i++) {
      const c = chunk[i];
      if (inString) {
        if (c === BACKSLASH) {
          if (i + 1 < n) i++;
          else this.escaped = true;
        } else if (c === NEWLINE) {
          throw this.unexpected(i, "a closing quote (a string cannot hold a line break)");
        } else if (c === QUOTE) {
          inString = false;
          if (cut === Cut.Text || cut === Cut.Key) return this.finishCut(chunk, i + 1, i + 1);
        }
        continue;
      }
      if (c === QUOTE) inString = true;
      else if (c === NEWLINE && this.lineMode) throw this.lineEnded(i);
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (cut === Cut.Container && depth === 0) return this.finishCut(chunk, i + 1, i + 1);
        if (cut === Cut.Batch && depth < 0) {
          this.depth = 0;
          this.inString = false;
          return this.finishBatch(chunk, i, true);
        }
      } else if (c === COMMA && cut === Cut.Batch && depth === 0 && this.cutBytes + i - this.cutStart >= BATCH_BYTES) {
        this.depth = 0;
        this.inString = false;
        return this.finishBatch(chunk, i, false);
      }
    }
    this.depth = depth;
    this.inString = inString;
    return n;
  }

  private parseCut(chunk: Buffer, end: number, wrap: boolean): unknown {
    this.failedAt = end;
    const inner = this.cutText(chunk, end);
    const text = wrap ? `[${inner}]` : inner;
    try {
      return JSON.parse(text);
    } catch (error) {
      const message = (error as Error).message;
      // A number or literal is named where it starts ("tru" fails at its end for JSON.parse).
      const stated = this.cut === Cut.Scalar ? 0 : parseErrorOffset(text, message) - (wrap ? 1 : 0);
      const offset = Math.max(0, Math.min(stated, inner.length));
      const before = inner.slice(0, offset);
      const newlines = before.split("\n").length - 1;
      const start = place(this.cutMark as Mark);
      const line = start.line + newlines;
      const column = newlines === 0 ? start.column + offset : offset - before.lastIndexOf("\n");
      const atEnd = this.cut !== Cut.Scalar && offset >= inner.trimEnd().length;
      throw new JsonSyntaxError(parseErrorMessage(message), line, column, atEnd);
    }
  }

  private finishCut(chunk: Buffer, end: number, next: number): number {
    const cut = this.cut;
    const value = this.parseCut(chunk, end, false);
    this.cut = Cut.None;
    this.pieces = [];
    const frame = this.stack[this.stack.length - 1];
    if (cut === Cut.Key) {
      (frame as Frame).expect = Expect.Colon;
      this.path[this.path.length - 1] = value as string;
      return next;
    }
    this.visitor.value(this.path, value);
    this.valueDone(next);
    return next;
  }

  /** The batch's items into the pair columns; false when they are not all plain pairs. */
  private readPairs(chunk: Buffer, end: number): boolean {
    if (this.pieces.length === 0) return readPairs(chunk, this.cutStart, end, this.pairColumns);
    const region = Buffer.concat([...this.pieces, chunk.subarray(0, end)]);
    return readPairs(region, 0, region.length, this.pairColumns);
  }

  /**
   * The common case of a `pairs` array read in one pass: all plain pairs, closing within this chunk.
   * Returns the position after it, or -1 when it is not that case (it is then scanned and read as batches).
   */
  private wholePairArray(chunk: Buffer, start: number): number {
    // In a file of one document per line a line break inside the array is an error: the scan finds it.
    if (!this.visitor.pairs || this.lineMode) return -1;
    const end = readPairArray(chunk, start, this.pairColumns);
    if (end < 0) return -1;
    this.visitor.pairs(this.path, this.pairColumns);
    this.path.pop();
    this.visitor.close?.(this.path);
    this.valueDone(end + 1);
    return end + 1;
  }

  /** A root scalar ended with the input (`42` alone, with no newline after it). */
  private finishScalarAtEnd(): void {
    // The last chunk is already among the pieces.
    this.visitor.value(this.path, this.parseCut(EMPTY, 0, false));
    this.cut = Cut.None;
    this.valueDone(0);
  }

  /** Items up to `end` (a comma or the closing bracket) are parsed; `last` when the array ends there. */
  private finishBatch(chunk: Buffer, end: number, last: boolean): number {
    this.path[this.path.length - 1] = this.batchIndex;
    if (this.batchPairs && this.visitor.pairs && this.readPairs(chunk, end)) {
      this.visitor.pairs(this.path, this.pairColumns);
      this.batchIndex += this.pairColumns.count;
    } else {
      const items = this.parseCut(chunk, end, true) as unknown[];
      if (items.length > 0) this.visitor.batch?.(this.path, items);
      this.batchIndex += items.length;
    }
    this.pieces = [];
    this.cutBytes = 0;
    if (!last) {
      this.cutStart = end + 1;
      this.cutMark = this.markAt(end + 1);
      return end + 1;
    }
    this.cut = Cut.None;
    this.path.pop();
    this.visitor.close?.(this.path);
    this.valueDone(end + 1);
    return end + 1;
  }

  private closeFrame(i: number): number {
    this.stack.pop();
    this.path.pop();
    this.visitor.close?.(this.path);
    this.valueDone(i + 1);
    return i + 1;
  }

  /** A value ended before `at`: its frame expects a comma or its end; at the top level, a document ended. */
  private valueDone(at: number): void {
    const frame = this.stack[this.stack.length - 1];
    if (frame) {
      frame.expect = Expect.CommaOrEnd;
      return;
    }
    // One document per line only when the first one was: then a bad line can be skipped alone.
    if (this.documents === 0) this.firstDocumentOneLine = place(this.markAt(at)).line === this.firstDocumentLine;
    this.documents++;
    this.inDocument = false;
  }
}

/** A path as a field path for messages: `data.result[3].values`; `from` leaves out leading steps. */
export function pathText(path: JsonPath, from = 0): string {
  let text = "";
  for (let i = from; i < path.length; i++) {
    const step = path[i];
    text += typeof step === "number" ? `[${step}]` : text === "" ? step : `.${step}`;
  }
  return text;
}

/** What ends a number or literal. */
function isDelimiter(c: number): boolean {
  return c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isWhitespace(c);
}

/** Streams `chunks` through a JsonStream with `visitor`; returns the number of top-level documents read. */
export async function streamJson(
  chunks: AsyncIterable<Buffer>,
  visitor: JsonVisitor,
  options: JsonStreamOptions = {},
): Promise<number> {
  const stream = new JsonStream(visitor, options);
  for await (const chunk of chunks) stream.write(chunk);
  stream.end();
  return stream.documentCount;
}
