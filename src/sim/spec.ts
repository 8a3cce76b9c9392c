/**
 * Typed access to one component of a scenario document. Values are read at each call, so a timeline
 * change to the document is seen on the next tick; a value of the wrong type names its path.
 */

import { parseDuration } from "../case/time.js";
import { isJsonObject, type Json, type JsonObject, ScenarioError, valueAtPath } from "./scenario.js";

/** Byte quantities as Kubernetes writes them: `512Mi`, `2Gi`, `100M`, or a plain number. */
const QUANTITY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/;
const QUANTITY_FACTOR: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

export function parseQuantity(text: string): number {
  const match = QUANTITY.exec(text.trim());
  if (!match) return Number.NaN;
  return Number(match[1]) * (match[2] ? QUANTITY_FACTOR[match[2]] : 1);
}

export class Spec {
  constructor(
    private readonly doc: JsonObject,
    readonly path: string,
  ) {}

  private raw(key: string): Json | undefined {
    const node = valueAtPath(this.doc, this.path);
    return isJsonObject(node) ? valueAtPath(node, key) : undefined;
  }

  private fail(key: string, expected: string): never {
    throw new ScenarioError(`${this.path}.${key}: expected ${expected}`);
  }

  has(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  num(key: string, fallback?: number): number {
    const value = this.raw(key);
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value)) this.fail(key, "a number");
    return value;
  }

  str(key: string, fallback?: string): string {
    const value = this.raw(key);
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== "string") this.fail(key, "text");
    return value;
  }

  bool(key: string, fallback?: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== "boolean") this.fail(key, "true or false");
    return value;
  }

  /** A duration in seconds: `30s`, `10m`, or a number of seconds; `null`/`never` is Infinity. */
  seconds(key: string, fallback?: number): number {
    const value = this.raw(key);
    if (value === undefined && fallback !== undefined) return fallback;
    if (value === null || value === "never") return Number.POSITIVE_INFINITY;
    const s = typeof value === "number" ? value : typeof value === "string" ? parseDuration(value) : Number.NaN;
    if (!(s >= 0)) this.fail(key, "a duration such as 30s, 10m, or never");
    return s;
  }

  /** A byte quantity: `512Mi`, `2Gi`, or a number of bytes. */
  bytes(key: string, fallback?: number): number {
    const value = this.raw(key);
    if (value === undefined && fallback !== undefined) return fallback;
    const b = typeof value === "number" ? value : typeof value === "string" ? parseQuantity(value) : Number.NaN;
    if (!(b >= 0)) this.fail(key, "a byte quantity such as 512Mi or 2Gi");
    return b;
  }

  /** The keys of a mapping (e.g. the callees of a service); empty when absent. */
  keys(key: string): string[] {
    const value = this.raw(key);
    if (value === undefined) return [];
    if (!isJsonObject(value)) this.fail(key, "a mapping");
    return Object.keys(value);
  }

  /** A list of text values; a single text counts as a list of one. */
  strings(key: string, fallback?: string[]): string[] {
    const value = this.raw(key);
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value === "string") return [value];
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) this.fail(key, "a list of text");
    return value as string[];
  }

  /** A list of mappings, each as its own Spec. */
  list(key: string): Spec[] {
    const value = this.raw(key);
    if (value === undefined) return [];
    if (!Array.isArray(value)) this.fail(key, "a list");
    return value.map((_, i) => new Spec(this.doc, `${this.path}.${key}.${i}`));
  }

  child(key: string): Spec {
    return new Spec(this.doc, `${this.path}.${key}`);
  }
}
