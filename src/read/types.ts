/**
 * The reader contract (DESIGN.md, step 1). A reader turns one input (already un-gzipped) into Case
 * pieces through a CaseSink; it never interprets (no scoring, no thresholds).
 */
import type { CaseEvent, KubeObject, LogLevel, Relation } from "../case/model.js";
import type { PreparedLine } from "../case/templateMiner.js";

/** How a pipe, FIFO or standard input is named in messages and in the Diagnosis. */
export const STDIN_NAME = "-";

/** Labels as read: Prometheus labels, CSV entity columns, resource attributes. Entity resolution uses them. */
export type Labels = Record<string, string>;

export interface LogRecord {
  /** Unix seconds. */
  t: number;
  message: string;
  /** When the source states it; otherwise the sink detects it from the message. */
  level?: LogLevel;
  labels: Labels;
  /** The trace and span the line was written in, when the source says: ties the line to its request. */
  traceId?: string;
  spanId?: string;
  /** The message already masked and tokenised for the template miner (by a reader's worker thread). */
  prepared?: PreparedLine;
}

/**
 * One span. The Case keeps its texts (ids, operation) as they are: each must hold only its own
 * characters, not be a piece of a longer string such as the line it was read from (see ownCopy).
 */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parent?: string;
  /** service/pod labels of the emitter, resolved to an entity by the sink. */
  labels: Labels;
  operation: string;
  /** Unix seconds. */
  start: number;
  /** Seconds. */
  duration: number;
  error: boolean;
}

export interface EventRecord extends Omit<CaseEvent, "entity"> {
  /** The involved object, as labels (`pod`, `node`, `namespace`, `deployment` ...). */
  labels: Labels;
}

/** A labels object, once given to the sink, is not changed: the sink may remember what it resolved to. */
export interface CaseSink {
  /**
   * Samples of one series; entity resolved from labels. `t` in unix seconds (any order). A reader may
   * reuse `t` and `v` for its next series: the sink copies what it keeps.
   */
  addSamples(labels: Labels, metric: string, t: ArrayLike<number>, v: ArrayLike<number>, unit?: string): void;
  addLog(record: LogRecord): void;
  addSpan(record: SpanRecord): void;
  addEvent(record: EventRecord): void;
  /** A Kubernetes object; `labels` names it for entity resolution. */
  addObject(labels: Labels, object: Omit<KubeObject, "entity">): void;
  /** A relation between two things named by labels. */
  addRelation(from: Labels, to: Labels, type: Relation["type"], weight?: number): void;
  /** Part of the input could not be read but the rest is safe to analyse. */
  skip(where: string, reason: string): void;
}

/** What a reader is given: the decompressed content, streamed by line or whole. */
export interface ReaderInput {
  /** Path as the user gave it (for messages). */
  file: string;
  /** The first bytes (up to 64 KiB), decoded, for sniffing. */
  head: string;
  /** Every line, streamed; no trailing newline characters. */
  lines(): AsyncIterable<string>;
  /**
   * A file that is not compressed: its path and size, so that readers whose lines parse independently
   * may read its chunks in parallel, and its bytes as they are read, for progress.
   */
  plainFile?: { path: string; size: number; limits: ReadLimits; onBytes?: (bytes: number) => void };
  /** The content as bytes, streamed (for JSON documents, read by src/read/jsonStream.ts without holding the text). */
  bytes(): AsyncIterable<Buffer>;
}

export interface Reader {
  /** Short format name, shown in the Diagnosis `input.sources`. */
  format: string;
  /**
   * How sure this reader is, from the first bytes alone, that it reads this content: 0 (no) .. 1 (certain).
   * detect.ts picks the highest; ties break by registration order.
   */
  sniff(head: string): number;
  read(input: ReaderInput, sink: CaseSink): Promise<void>;
}

/** Unreadable input: one clear message naming the file, where, and what was expected. Exit code 2. */
export class ReadError extends Error {
  constructor(
    readonly file: string,
    readonly where: string,
    readonly expected: string,
  ) {
    super(`${file}: ${where}: ${expected}`);
    this.name = "ReadError";
  }
}

/**
 * The input holds nothing to analyse, or nothing where it was asked to look: an empty folder, files
 * of no known format, valid documents without data, an alert time outside the data. Exit code 2; the
 * message says what was found.
 */
export class NoDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoDataError";
  }
}

/** Caps on one file, so that a hostile or runaway input ends with a message instead of filling memory or time. */
export interface ReadLimits {
  /** Content bytes after un-gzipping (a gzip bomb is small on disk). */
  maxFileBytes: number;
  /** Seconds spent reading one file. */
  maxFileSeconds: number;
  /** Bytes of one line of a file read by lines (logs, CSV); a JSON document is read by value, not by line. */
  maxLineBytes: number;
}

/**
 * 8 GiB of content is a day of a busy service's logs, more than any incident needs, and far less than
 * a gzip bomb expands to; 10 minutes reads several gigabytes on a slow disk. A log line of a few MB is
 * already a dump: 64 MiB is far beyond any real line, and far below the 512 MiB a string can hold.
 */
export const DEFAULT_READ_LIMITS: ReadLimits = {
  maxFileBytes: 8 * 2 ** 30,
  maxFileSeconds: 600,
  maxLineBytes: 64 * 2 ** 20,
};
