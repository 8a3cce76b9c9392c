/**
 * Dataset adapters of the accuracy benchmark. An adapter only selects which files belong to a case
 * and which protocols apply; it never transforms data, so the engine reads exactly what a user
 * would hand it. Naming datasets is allowed here (bench/ sits on top of the pipeline), never in src/.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Incident time given; given 60 s late; not given. */
export type Protocol = "given" | "late" | "none";
export const PROTOCOLS: readonly Protocol[] = ["given", "late", "none"];

/** How late the "late" protocol's time is: an alert that fires a minute after the fault began. */
export const LATE_BY_S = 60;

export const PROTOCOL_TITLES: Record<Protocol, string> = {
  given: "time given",
  late: "60 s late",
  none: "no time",
};

/** One entry of a dataset's labels.json (datasets/README.md). */
export interface Label {
  case: string;
  root_cause_service: string;
  fault: string;
  /** Unix seconds, UTC. */
  inject_time: number;
}

/** The sources' fault names mapped to our catalogue kinds. */
export const FAULT_KINDS: Record<string, string> = {
  cpu: "cpu.saturation",
  cpu_contention: "cpu.saturation",
  mem: "memory.leak",
  network_delay: "network.latency",
  return: "code.error",
  exception: "code.error",
};

export interface Adapter {
  protocols: readonly Protocol[];
  /** Why a protocol is not run on this dataset, printed with its results. */
  notes: string[];
  /** Absolute paths of the files of one case; throws when one is missing. */
  files(datasetDir: string, label: Label): string[];
}

const sockShop: Adapter = {
  protocols: ["given", "late", "none"],
  notes: [],
  files: (dir, label) => existing([join(dir, label.case, "normal.csv.gz"), join(dir, label.case, "anomalous.csv.gz")]),
};

const trainTicket: Adapter = {
  protocols: ["given", "late"],
  notes: [
    "no-time protocol not run: each date's metric files span hours and 17 to 28 injected faults, so without a time there is no single incident to find (ill-posed).",
  ],
  files: (dir, label) => {
    const [date, minute] = label.case.split("/");
    const faultMinute = addMinutes(minute, FAULT_MINUTE_OFFSET);
    const metricDir = join(dir, date, "metric");
    const metrics = readdirSync(metricDir)
      .sort()
      .map((name) => join(metricDir, name));
    return existing([
      join(dir, date, "log", `${minute}_log.csv.gz`),
      join(dir, date, "trace", `${minute}_trace.csv.gz`),
      join(dir, date, "log", `${faultMinute}_log.csv.gz`),
      join(dir, date, "trace", `${faultMinute}_trace.csv.gz`),
      ...metrics,
    ]);
  },
};

/** The fault-minute files are the injection minute + 2: the minute Nezha's own evaluation reads. */
const FAULT_MINUTE_OFFSET = 2;

export const ADAPTERS: Record<string, Adapter> = {
  "sock-shop": sockShop,
  "train-ticket": trainTicket,
};

/** `HH_MM` plus some minutes, rolling over the hour (and the day, although no case needs it). */
export function addMinutes(hhmm: string, minutes: number): string {
  const match = /^(\d{2})_(\d{2})$/.exec(hhmm);
  if (!match) throw new Error(`case minute "${hhmm}" is not HH_MM`);
  const total = (Number(match[1]) * 60 + Number(match[2]) + minutes) % (24 * 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(total / 60))}_${pad(total % 60)}`;
}

function existing(paths: string[]): string[] {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) throw new Error(`missing case file(s): ${missing.join(", ")}`);
  return paths;
}

/** The `at` a protocol passes to the engine; undefined for "no time". */
export function atFor(protocol: Protocol, label: Label): number | undefined {
  if (protocol === "given") return label.inject_time;
  if (protocol === "late") return label.inject_time + LATE_BY_S;
  return undefined;
}

/** `../shared/datasets` beside the repository root, or `$BENEATH_DATASETS`. */
export function datasetsRoot(): string {
  const fromEnv = process.env.BENEATH_DATASETS;
  if (fromEnv) return resolve(fromEnv);
  // This file runs from dist/bench/, two levels below the repository root.
  const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
  return resolve(repoRoot, "../shared/datasets");
}

/** Dataset folders under the root that hold a labels.json, sorted by name. */
export function datasetNames(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, "labels.json")))
    .map((entry) => entry.name)
    .sort();
}

export function readLabels(datasetDir: string): Label[] {
  const file = join(datasetDir, "labels.json");
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (!Array.isArray(parsed) || !parsed.every(isLabel)) {
    throw new Error(`${file}: expected an array of {case, root_cause_service, fault, inject_time}`);
  }
  return parsed;
}

function isLabel(value: unknown): value is Label {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.case === "string" &&
    typeof v.root_cause_service === "string" &&
    typeof v.fault === "string" &&
    typeof v.inject_time === "number"
  );
}
