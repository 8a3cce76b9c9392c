/**
 * Records nested in arrays of objects (OTLP's resourceSpans[].scopeSpans[].spans[], a kubectl List's
 * items[], Jaeger's data[]), streamed: the arrays on the way down are walked, the records come a
 * batch at a time with the objects around them, and only one batch is held at once.
 */
import { type DocumentVisitor, type JsonObject, streamDocuments } from "./jsonDocument.js";
import { type JsonPath, type JsonWalk, pathText } from "./jsonStream.js";
import type { CaseSink, ReaderInput } from "./types.js";

/** The key that stands for a document that is itself the outermost array (a bare array of Jaeger traces). */
export const ROOT_ARRAY = "";

export interface NestedRecords {
  /**
   * Per level, the keys of the array that holds the next level's objects; the last level's arrays
   * hold the records. `ROOT_ARRAY` among the first level's keys lets the document be that array.
   */
  levels: string[][];
  /**
   * Records, a batch at a time; `parents[0]` is the document, `parents[L]` the level-L object that
   * holds them, each with its members read so far (the arrays walked stand as empty arrays).
   */
  records(records: unknown[], first: number, parents: JsonObject[], path: string): void;
  /** The level-L object at `path` ended, with every member but the arrays walked. */
  closed?(level: number, object: JsonObject, path: string): void;
  /** The document ended: the top-level value (an object with its other members, or what stood there). */
  done(document: unknown, where: string): void;
}

class NestedVisitor implements DocumentVisitor {
  private where = "";
  private rootArray = false;
  private parents: JsonObject[] = [];

  constructor(private readonly spec: NestedRecords) {}

  begin(where: string): void {
    this.where = where;
    this.rootArray = false;
    this.parents = [];
  }

  end(): void {
    if (this.rootArray) this.spec.done({ [ROOT_ARRAY]: [] }, this.where);
  }

  /** The path as if the document were an object: a bare outermost array stands under the ROOT_ARRAY key. */
  private steps(path: JsonPath): JsonPath {
    return this.rootArray ? [ROOT_ARRAY, ...path] : path;
  }

  /** Whether every key on the path is one of its level's array keys. */
  private onTheWay(steps: JsonPath, length: number): boolean {
    for (let j = 0; j < length; j += 2) if (!this.spec.levels[j / 2]?.includes(steps[j] as string)) return false;
    return true;
  }

  private text(steps: JsonPath): string {
    return this.where + pathText(steps, this.rootArray ? 1 : 0);
  }

  open(path: JsonPath, kind: "object" | "array"): JsonWalk {
    if (path.length === 0 && kind === "array" && this.spec.levels[0].includes(ROOT_ARRAY)) {
      this.rootArray = true;
      this.parents = [{ [ROOT_ARRAY]: [] }];
      return this.spec.levels.length > 1 ? "members" : "batches";
    }
    const steps = this.steps(path);
    const n = steps.length;
    if (n % 2 === 0 && kind === "object" && this.onTheWay(steps, n)) {
      this.parents[n / 2] = {};
      return "members";
    }
    if (n % 2 === 1 && kind === "array" && this.onTheWay(steps, n)) {
      const level = (n - 1) / 2;
      this.parents[level][steps[n - 1]] = [];
      return level + 1 < this.spec.levels.length ? "members" : "batches";
    }
    return "whole";
  }

  value(path: JsonPath, value: unknown): void {
    const steps = this.steps(path);
    const n = steps.length;
    if (n === 0) this.spec.done(value, this.where);
    else if (n % 2 === 1 && this.onTheWay(steps, n - 1)) this.parents[(n - 1) / 2][steps[n - 1]] = value;
  }

  batch(path: JsonPath, records: unknown[]): void {
    const steps = this.steps(path);
    this.spec.records(records, steps[steps.length - 1] as number, this.parents, this.text(steps.slice(0, -1)));
  }

  close(path: JsonPath): void {
    const steps = this.steps(path);
    const n = steps.length;
    if (n % 2 !== 0 || !this.onTheWay(steps, n) || (this.rootArray && n === 0)) return;
    const level = n / 2;
    if (level > 0) this.spec.closed?.(level, this.parents[level], this.text(steps));
    else this.spec.done(this.parents[0], this.where);
  }
}

/** Streams the input's records as `spec` says; `expected` names the format in messages. */
export function streamNestedRecords(
  input: ReaderInput,
  sink: CaseSink,
  spec: NestedRecords,
  expected: string,
): Promise<void> {
  return streamDocuments(input, sink, new NestedVisitor(spec), expected);
}
