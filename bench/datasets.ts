/**
 * Dataset adapters of the accuracy benchmark. An adapter only selects which files belong to a case
 * and which protocols apply; it never transforms data, so the engine reads exactly what a user
 * would hand it. Naming datasets is allowed here (bench/ sits on top of the pipeline), never in src/.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * How a case is handed to the engine. The time protocols differ only in `--at`: given, given 60 s
 * late, not given. The data protocols (train-ticket) differ in which files are the normal to compare
 * with, all with the time given: the case's own pre-fault minute (per-case), the date's fault-free
 * reference minute named as the baseline (reference), or every recorded minute of the hour before
 * the injection (hour-before).
 */
export type Protocol = "given" | "late" | "none" | "per-case" | "reference" | "hour-before";
export const PROTOCOLS: readonly Protocol[] = ["given", "late", "none", "per-case", "reference", "hour-before"];

/** How late the "late" protocol's time is: an alert that fires a minute after the fault began. */
export const LATE_BY_S = 60;

export const PROTOCOL_TITLES: Record<Protocol, string> = {
  given: "time given",
  late: "60 s late",
  none: "no time",
  "per-case": "per-case",
  reference: "reference",
  "hour-before": "hour-before",
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

/** What the engine is given for one case under one protocol, as a user would pass it. */
export interface Plan {
  /** The telemetry to analyse (the positional paths of `beneath analyze`). */
  files: string[];
  /** `--at`, unix s; absent under "no time". */
  at?: number;
  /** `--baseline-from`: a known-good recording to take the normal from. */
  baselineFrom?: string[];
}

/** The log and trace files of three minutes of one case, to measure what its own files can show. */
export interface CaseMinutes {
  /** The date's fault-free reference minute. */
  normal: string[];
  /** The case's pre-fault minute (the per-case protocol's normal). */
  pre: string[];
  /** The fault minute. */
  fault: string[];
}

export interface Adapter {
  protocols: readonly Protocol[];
  /** Why a protocol is not run on this dataset, printed with its results. */
  notes: string[];
  /** The files and options of one case under one of `protocols`; throws when a file is missing. */
  plan(datasetDir: string, label: Label, protocol: Protocol): Plan;
  /** Where the case's minute files allow it: the three minutes its per-case ceiling is measured on. */
  minutes?(datasetDir: string, label: Label): CaseMinutes;
}

const sockShop: Adapter = {
  protocols: ["given", "late", "none"],
  notes: [],
  plan: (dir, label, protocol) => {
    const files = existing([join(dir, label.case, "normal.csv.gz"), join(dir, label.case, "anomalous.csv.gz")]);
    const at = atFor(protocol, label);
    return at === undefined ? { files } : { files, at };
  },
};

/** The fault-minute files are the injection minute + 2: the minute Nezha's own evaluation reads. */
const FAULT_MINUTE_OFFSET = 2;

/** The hour-before protocol's look-back: the hour of logs and traces an SRE has before an alert. */
const HOUR_BEFORE_MINUTES = 60;

/** The per-minute modalities the engine reads; the traceid lists only repeat the trace files' ids. */
const MINUTE_MODALITIES = ["log", "trace"] as const;

/** `<dir>/<modality>/<HH_MM>_<modality>.csv.gz` for each modality the engine reads. */
function minuteFiles(dir: string, minute: string): string[] {
  return MINUTE_MODALITIES.map((modality) => join(dir, modality, `${minute}_${modality}.csv.gz`));
}

/** The one fault-free minute a date's `normal/` folder holds (its construction-phase minute). */
function normalMinute(dir: string, date: string): string {
  const folder = join(dir, "normal", date);
  const minutes = minutesIn(folder);
  if (minutes.length !== 1) {
    throw new Error(`${folder}/log: expected exactly one HH_MM_log.csv.gz, found ${minutes.length}`);
  }
  return minutes[0];
}

/** The `HH_MM` of every minute recorded under a case folder (its `log/HH_MM_log.csv.gz`), sorted. */
function minutesIn(folder: string): string[] {
  const logDir = join(folder, "log");
  if (!existsSync(logDir)) return [];
  return readdirSync(logDir)
    .flatMap((name) => /^(\d{2}_\d{2})_log\.csv\.gz$/.exec(name)?.[1] ?? [])
    .sort();
}

/** Minutes since midnight of an `HH_MM`. */
function minuteOfDay(hhmm: string): number {
  const match = /^(\d{2})_(\d{2})$/.exec(hhmm);
  if (!match) throw new Error(`case minute "${hhmm}" is not HH_MM`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/**
 * The hour-before protocol's minutes: every minute recorded in the date's folder or its `normal/`
 * folder in the hour up to and including the injection minute, oldest first, each with its folder.
 */
function hourBefore(dir: string, date: string, injection: string): { folder: string; minute: string }[] {
  const inHour = (minute: string) => {
    const before = minuteOfDay(injection) - minuteOfDay(minute);
    return before >= 0 && before < HOUR_BEFORE_MINUTES;
  };
  const dated = join(dir, date);
  const normal = join(dir, "normal", date);
  const found = [dated, normal].flatMap((folder) => minutesIn(folder).map((minute) => ({ folder, minute })));
  return found.filter((m) => inHour(m.minute)).sort((a, b) => a.minute.localeCompare(b.minute));
}

const trainTicket: Adapter = {
  protocols: ["per-case", "reference", "hour-before"],
  notes: [
    "all three with the time given; no-time protocol not run: each date's metric files span hours and 17 to 28 injected faults, so without a time there is no single incident to find (ill-posed).",
    `per-case: the case's pre-fault and fault minutes; reference: the date's normal/ minute as --baseline-from and the fault minute; hour-before: every recorded minute of the ${HOUR_BEFORE_MINUTES} minutes up to the injection (the date's and normal/) and the fault minute. Metrics: every pod's file of the date in all three.`,
  ],
  plan: (dir, label, protocol) => {
    const [date, minute] = label.case.split("/");
    const dated = join(dir, date);
    const fault = minuteFiles(dated, addMinutes(minute, FAULT_MINUTE_OFFSET));
    const metricDir = join(dated, "metric");
    const metrics = readdirSync(metricDir)
      .sort()
      .map((name) => join(metricDir, name));
    const at = label.inject_time;
    if (protocol === "per-case") return { files: existing([...minuteFiles(dated, minute), ...fault, ...metrics]), at };
    if (protocol === "reference") {
      const baselineFrom = existing(minuteFiles(join(dir, "normal", date), normalMinute(dir, date)));
      return { files: existing([...fault, ...metrics]), at, baselineFrom };
    }
    if (protocol === "hour-before") {
      const before = hourBefore(dir, date, minute).flatMap((m) => minuteFiles(m.folder, m.minute));
      return { files: existing([...before, ...fault, ...metrics]), at };
    }
    throw new Error(`protocol ${protocol} does not apply to train-ticket`);
  },
  minutes: (dir, label) => {
    const [date, minute] = label.case.split("/");
    return {
      normal: existing(minuteFiles(join(dir, "normal", date), normalMinute(dir, date))),
      pre: existing(minuteFiles(join(dir, date), minute)),
      fault: existing(minuteFiles(join(dir, date), addMinutes(minute, FAULT_MINUTE_OFFSET))),
    };
  },
};

export const ADAPTERS: Record<string, Adapter> = {
  "sock-shop": sockShop,
  "train-ticket": trainTicket,
};

/** `HH_MM` plus some minutes, rolling over the hour (and the day, although no case needs it). */
export function addMinutes(hhmm: string, minutes: number): string {
  const total = (((minuteOfDay(hhmm) + minutes) % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(total / 60))}_${pad(total % 60)}`;
}

const MINUTES_PER_DAY = 24 * 60;

function existing(paths: string[]): string[] {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) throw new Error(`missing case file(s): ${missing.join(", ")}`);
  return paths;
}

/** The `at` a time protocol passes to the engine; undefined for "no time"; the data protocols give the time. */
export function atFor(protocol: Protocol, label: Label): number | undefined {
  if (protocol === "late") return label.inject_time + LATE_BY_S;
  if (protocol === "none") return undefined;
  return label.inject_time;
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
