/**
 * Parsed log lines packed as columns to cross between threads. Copying a list of record objects to
 * another thread costs the receiver about as much as parsing the lines did; typed arrays and lists of
 * strings copy in a fraction of that, and label sets repeat, so each crosses once per batch. Messages
 * also cross masked and tokenised for the template miner, which is most of its work per line; lines
 * that mask alike (the same statement with other numbers) share one tokenised form, made and sent once
 * per batch and rebuilt once on the other side.
 */
import type { LogLevel } from "../case/model.js";
import { maskLine, type PreparedLine, tokenise } from "../case/templateMiner.js";
import type { LineResult, ParsedLine } from "./parallelLines.js";
import type { Labels, LogRecord } from "./types.js";

/** What each line was. */
const BLANK = 0;
const RECORD = 1;
const FAILED = 2;

/** Level codes: 0 is "none stated"; the rest index this list. */
const LEVELS: (LogLevel | undefined)[] = [undefined, "trace", "debug", "info", "warn", "error", "fatal", "unknown"];
const LEVEL_CODES = new Map(LEVELS.map((level, code) => [level, code]));

export interface LogBatch {
  kind: Uint8Array;
  t: Float64Array;
  level: Uint8Array;
  /** Index into labelSets, per record. */
  labels: Uint32Array;
  labelSets: Labels[];
  /** Per line that is not blank: a record's message, or why the line is not a record. */
  message: string[];
  /** Per line: index into traceId and spanId, or NOT_TRACED (a record names both or neither). Most lines name none. */
  traced: Int32Array;
  traceId: string[];
  spanId: string[];
  /** Per record: index into the distinct tokenised forms, or NOT_PREPARED (tokenised again where it is mined). */
  prepared: Int32Array;
  /** Per distinct tokenised form: its tokens joined by TOKEN_JOIN, and per token "1" when whitespace preceded it, else "0". */
  tokens: string[];
  spacing: string[];
}

/** Joins tokens for the crossing; a line whose masked text holds it crosses without tokens. */
const TOKEN_JOIN = "\u0001";
const NOT_PREPARED = -1;
const NOT_TRACED = -1;

/** Tokenises each distinct masked line of a batch once. */
class PreparedForms {
  private readonly index = new Map<string, number>();

  constructor(private readonly batch: LogBatch) {}

  /** The index of the message's tokenised form, or NOT_PREPARED. */
  add(message: string): number {
    const { masked, truncated } = maskLine(message);
    // Masking puts no TOKEN_JOIN in; only the message can hold one.
    if (masked.includes(TOKEN_JOIN)) return NOT_PREPARED;
    // A line cut at the miner's limit ends in a wildcard: it is another form than the same text uncut.
    const key = truncated ? `${TOKEN_JOIN}${masked}` : masked;
    let at = this.index.get(key);
    if (at === undefined) {
      const { tokens, spaced } = tokenise(masked, truncated);
      at = this.batch.tokens.length;
      this.batch.tokens.push(tokens.join(TOKEN_JOIN));
      let spacing = "";
      for (const space of spaced) spacing += space ? "1" : "0";
      this.batch.spacing.push(spacing);
      this.index.set(key, at);
    }
    return at;
  }
}

function unpackPrepared(batch: LogBatch, at: number): PreparedLine {
  const spacing = batch.spacing[at];
  const tokens = spacing === "" ? [] : batch.tokens[at].split(TOKEN_JOIN);
  const spaced: boolean[] = new Array(spacing.length);
  for (let i = 0; i < spacing.length; i++) spaced[i] = spacing.charCodeAt(i) === 0x31;
  return { tokens, spaced, maskQuoted: false };
}

/** A number from a label set's values, without building a string: sets that differ mostly differ in it. */
function labelsHash(labels: Labels): number {
  let hash = 0;
  for (const name in labels) {
    const value = labels[name];
    hash =
      (Math.imul(hash, 31) + value.length * 961 + value.charCodeAt(0) * 31 + value.charCodeAt(value.length - 1)) | 0;
  }
  return hash;
}

/**
 * A batch's label sets, each sent once. Lines share few sets; a set is found by comparing entries, in
 * order, with the sets of the same hash, which costs less per line than building a key string.
 */
class LabelSets {
  private readonly byHash = new Map<number, number[]>();
  private readonly names: string[][] = [];

  constructor(private readonly sets: Labels[]) {}

  indexOf(labels: Labels): number {
    const hash = labelsHash(labels);
    let candidates = this.byHash.get(hash);
    if (candidates === undefined) {
      candidates = [];
      this.byHash.set(hash, candidates);
    }
    for (const index of candidates) if (this.isSet(index, labels)) return index;
    const index = this.sets.length;
    this.sets.push(labels);
    this.names.push(Object.keys(labels));
    candidates.push(index);
    return index;
  }

  /** Whether the set at `index` has the same entries in the same order. */
  private isSet(index: number, labels: Labels): boolean {
    const set = this.sets[index];
    const names = this.names[index];
    let at = 0;
    for (const name in labels) {
      if (names[at] !== name || set[name] !== labels[name]) return false;
      at++;
    }
    return at === names.length;
  }
}

export function packLines(results: LineResult[]): LogBatch {
  const n = results.length;
  const batch: LogBatch = {
    kind: new Uint8Array(n),
    t: new Float64Array(n),
    level: new Uint8Array(n),
    labels: new Uint32Array(n),
    labelSets: [],
    message: [],
    traced: new Int32Array(n).fill(NOT_TRACED),
    traceId: [],
    spanId: [],
    prepared: new Int32Array(n).fill(NOT_PREPARED),
    tokens: [],
    spacing: [],
  };
  const labelSets = new LabelSets(batch.labelSets);
  const forms = new PreparedForms(batch);
  for (let i = 0; i < n; i++) {
    const result = results[i];
    if (result === undefined) continue;
    if (typeof result === "string") {
      batch.kind[i] = FAILED;
      batch.message.push(result);
      continue;
    }
    batch.kind[i] = RECORD;
    batch.t[i] = result.t;
    batch.level[i] = LEVEL_CODES.get(result.level) ?? 0;
    batch.labels[i] = labelSets.indexOf(result.labels);
    batch.message.push(result.message);
    if (result.traceId !== undefined && result.spanId !== undefined) {
      batch.traced[i] = batch.traceId.length;
      batch.traceId.push(result.traceId);
      batch.spanId.push(result.spanId);
    }
    batch.prepared[i] = forms.add(result.message);
  }
  return batch;
}

/** Gives each line of the batch, rebuilt, to `take` in order, numbered from `firstLine`. */
export function unpackLines(
  batch: LogBatch,
  firstLine: number,
  take: (result: ParsedLine, lineNumber: number) => void,
): void {
  const forms: PreparedLine[] = [];
  for (let at = 0; at < batch.tokens.length; at++) forms.push(unpackPrepared(batch, at));
  let text = 0;
  for (let i = 0; i < batch.kind.length; i++) {
    const kind = batch.kind[i];
    if (kind === BLANK) continue;
    const at = text++;
    if (kind === FAILED) {
      take(batch.message[at], firstLine + i);
      continue;
    }
    const record: LogRecord = { t: batch.t[i], message: batch.message[at], labels: batch.labelSets[batch.labels[i]] };
    const level = LEVELS[batch.level[i]];
    if (level) record.level = level;
    const form = batch.prepared[i];
    if (form !== NOT_PREPARED) record.prepared = forms[form];
    const traced = batch.traced[i];
    if (traced !== NOT_TRACED) {
      record.traceId = batch.traceId[traced];
      record.spanId = batch.spanId[traced];
    }
    take(record, firstLine + i);
  }
}
