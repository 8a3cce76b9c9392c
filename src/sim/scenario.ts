/**
 * Scenario files: YAML documents under `scenarios/`, data and not code. A scenario may extend a
 * topology file (deep-merged, the scenario winning), and `--set path=value` overrides any value.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { parseDuration, parseTimestamp } from "../case/time.js";
import { ScenarioError } from "./scenarioError.js";

export { ScenarioError };

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A change at a time: values set at `at`, reached linearly over `ramp` when numeric. */
export interface TimelineEntry {
  at: number;
  ramp: number;
  set: Record<string, Json>;
  why: string;
}

export type TruthClass = "incident" | "look-alike" | "healthy";

export interface Truth {
  class: TruthClass;
  entity?: string;
  kind?: string;
  resource?: string;
  /** Offset of the fault start from the scenario start, seconds. */
  start?: number;
}

export interface Scenario {
  name: string;
  description: string;
  /** The write-up in `shared/seeds/` this scenario reproduces, when it reproduces one. */
  seedIncident?: string;
  file: string;
  /** Unix seconds. */
  start: number;
  duration: number;
  step: number;
  /** Offset of the alert from the start, seconds. */
  alert: number;
  /** The merged document; models read their components from it and the timeline changes it. */
  doc: JsonObject;
  timeline: TimelineEntry[];
  truth: Truth;
  /** Parameter ranges the scenario benchmark draws from: path -> [low, high]. */
  draws: Record<string, [number, number]>;
  /** Series worth charting when a person checks the scenario: metric names. */
  plot: string[];
}

export function isJsonObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The folder of scenario files shipped with beneath (from src/sim or dist/src/sim). */
export function scenariosDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      readdirSync(join(dir, "scenarios"));
      return join(dir, "scenarios");
    } catch {
      dir = dirname(dir);
    }
  }
  throw new ScenarioError("cannot find the scenarios folder next to the beneath package");
}

/** Scenario names: the `.yaml` files of the scenarios folder (topologies live in a subfolder). */
export function scenarioNames(dir = scenariosDir()): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => basename(f, ".yaml"))
    .sort();
}

function readYaml(file: string): JsonObject {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new ScenarioError(`${file}: cannot read the file`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ScenarioError(`${file}: not valid YAML: ${message}`);
  }
  if (!isJsonObject(doc as Json)) throw new ScenarioError(`${file}: expected a YAML mapping at the top`);
  return doc as JsonObject;
}

/** `base` with `over` merged in: mappings merge key by key, anything else is replaced. */
export function deepMerge(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    out[key] = isJsonObject(prior) && isJsonObject(value) ? deepMerge(prior, value) : structuredClone(value);
  }
  return out;
}

/** A document with its `extends` chain resolved (paths relative to the file that names them). */
function loadMerged(file: string, seen: Set<string> = new Set()): JsonObject {
  const path = resolve(file);
  if (seen.has(path)) throw new ScenarioError(`${file}: extends itself`);
  seen.add(path);
  const doc = readYaml(path);
  const parent = doc.extends;
  if (parent === undefined) return doc;
  if (typeof parent !== "string") throw new ScenarioError(`${file}: extends: expected a file path`);
  const { extends: _, ...own } = doc;
  return deepMerge(loadMerged(join(dirname(path), parent), seen), own);
}

/** The value at a dotted path (list items by index), or undefined. */
export function valueAtPath(doc: JsonObject, path: string): Json | undefined {
  let node: Json | undefined = doc;
  for (const part of path.split(".")) {
    if (Array.isArray(node)) node = node[Number(part)];
    else if (isJsonObject(node)) node = node[part];
    else return undefined;
  }
  return node;
}

/** Sets the value at a dotted path whose parent mapping exists; names the missing part otherwise. */
export function setAtPath(doc: JsonObject, path: string, value: Json, where: string): void {
  const parts = path.split(".");
  let node: JsonObject = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const next: Json | undefined = node[parts[i]];
    if (!isJsonObject(next)) {
      throw new ScenarioError(`${where}: ${parts.slice(0, i + 1).join(".")} is not a mapping in this scenario`);
    }
    node = next;
  }
  node[parts[parts.length - 1]] = value;
}

/**
 * Sets the value a timeline entry writes (`path@at`): a fault's size lives on the timeline, so a draw of
 * it must change the change, not the starting document (which would run the fault from the first sample).
 */
function setInTimeline(doc: JsonObject, path: string, atText: string, value: Json, where: string): void {
  const at = parseDuration(atText);
  const entries = Array.isArray(doc.timeline) ? doc.timeline : [];
  const entry = entries.find(
    (e): e is JsonObject =>
      isJsonObject(e) &&
      isJsonObject(e.set) &&
      path in e.set &&
      durationField(e.at, `${where}: timeline entry's at`) === at,
  );
  if (!entry || !isJsonObject(entry.set)) {
    throw new ScenarioError(`${where}: the timeline sets no ${path} at ${atText}`);
  }
  entry.set[path] = value;
}

/** `key=value` from `--set`: the value is read as YAML, so numbers, booleans and lists keep their type. */
export function parseOverride(text: string): [string, Json] {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new ScenarioError(`--set ${text}: expected path=value, e.g. components.shipping.replicas=6`);
  const path = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  let value: Json;
  try {
    value = parseYaml(raw) as Json;
  } catch {
    value = raw;
  }
  return [path, value ?? raw];
}

function requireString(doc: JsonObject, key: string, file: string): string {
  const value = doc[key];
  if (typeof value !== "string" || value.trim() === "") throw new ScenarioError(`${file}: ${key}: expected text`);
  return value;
}

function durationField(value: Json | undefined, where: string): number {
  const seconds = typeof value === "number" ? value : typeof value === "string" ? parseDuration(value) : Number.NaN;
  if (!(seconds >= 0)) throw new ScenarioError(`${where}: expected a duration such as 90s, 15m or 1h`);
  return seconds;
}

function readTimeline(doc: JsonObject, file: string): TimelineEntry[] {
  const raw = doc.timeline ?? [];
  if (!Array.isArray(raw)) throw new ScenarioError(`${file}: timeline: expected a list`);
  return raw
    .map((entry, i): TimelineEntry => {
      const where = `${file}: timeline[${i}]`;
      if (!isJsonObject(entry)) throw new ScenarioError(`${where}: expected a mapping`);
      if (!isJsonObject(entry.set)) throw new ScenarioError(`${where}.set: expected a mapping of path: value`);
      return {
        at: durationField(entry.at, `${where}.at`),
        ramp: entry.ramp === undefined ? 0 : durationField(entry.ramp, `${where}.ramp`),
        set: entry.set,
        why: typeof entry.why === "string" ? entry.why : "",
      };
    })
    .sort((a, b) => a.at - b.at);
}

const TRUTH_CLASSES: TruthClass[] = ["incident", "look-alike", "healthy"];

function readTruth(doc: JsonObject, file: string): Truth {
  const raw = doc.truth;
  if (!isJsonObject(raw)) throw new ScenarioError(`${file}: truth: expected a mapping`);
  const cls = raw.class;
  if (!TRUTH_CLASSES.includes(cls as TruthClass)) {
    throw new ScenarioError(`${file}: truth.class: expected one of ${TRUTH_CLASSES.join(", ")}`);
  }
  const truth: Truth = { class: cls as TruthClass };
  if (cls === "incident") {
    truth.entity = requireString(raw, "entity", `${file}: truth`);
    truth.kind = requireString(raw, "kind", `${file}: truth`);
    truth.start = durationField(raw.start, `${file}: truth.start`);
  }
  if (typeof raw.resource === "string") truth.resource = raw.resource;
  return truth;
}

function readDraws(doc: JsonObject, file: string): Record<string, [number, number]> {
  const raw = doc.draws ?? {};
  if (!isJsonObject(raw)) throw new ScenarioError(`${file}: draws: expected a mapping of path: [low, high]`);
  const draws: Record<string, [number, number]> = {};
  for (const [path, range] of Object.entries(raw)) {
    if (!Array.isArray(range) || range.length !== 2 || !range.every((x) => typeof x === "number")) {
      throw new ScenarioError(`${file}: draws.${path}: expected [low, high]`);
    }
    draws[path] = [range[0] as number, range[1] as number];
  }
  return draws;
}

/** Reads a scenario by name (from the shipped folder) or by path, applying `--set` overrides. */
export function loadScenario(nameOrPath: string, overrides: string[] = []): Scenario {
  const file = nameOrPath.endsWith(".yaml") ? nameOrPath : join(scenariosDir(), `${nameOrPath}.yaml`);
  if (!nameOrPath.endsWith(".yaml") && !scenarioNames().includes(nameOrPath)) {
    throw new ScenarioError(`no scenario named ${nameOrPath}; \`beneath scenarios\` lists them`);
  }
  const doc = loadMerged(file);
  for (const text of overrides) {
    const [target, value] = parseOverride(text);
    const at = target.indexOf("@");
    if (at < 0) setAtPath(doc, target, value, `--set ${text}`);
    else setInTimeline(doc, target.slice(0, at), target.slice(at + 1), value, `--set ${text}`);
  }
  const start = parseTimestamp(requireString(doc, "start", file));
  if (Number.isNaN(start)) throw new ScenarioError(`${file}: start: expected an ISO 8601 time`);
  const step = durationField(doc.step, `${file}: step`);
  if (!(step > 0)) throw new ScenarioError(`${file}: step: expected a positive duration`);
  return {
    name: requireString(doc, "name", file),
    description: requireString(doc, "description", file),
    seedIncident: typeof doc.seedIncident === "string" ? doc.seedIncident : undefined,
    file,
    start,
    duration: durationField(doc.duration, `${file}: duration`),
    step,
    alert: durationField(doc.alert, `${file}: alert`),
    doc,
    timeline: readTimeline(doc, file),
    truth: readTruth(doc, file),
    draws: readDraws(doc, file),
    plot: Array.isArray(doc.plot) ? doc.plot.filter((p): p is string => typeof p === "string") : [],
  };
}
