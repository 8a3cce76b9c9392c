/** Field rules shared by the log and trace readers: level names, source names from files, resource attributes. */
import { basename } from "node:path";
import { normaliseLevel } from "../case/logLevel.js";
import type { LogLevel } from "../case/model.js";
import type { Labels } from "./types.js";

/**
 * A level as a source states it (a word, or a pino/bunyan number 10..60); undefined when it is neither,
 * so the sink detects it from the message.
 */
export function levelOf(value: unknown): LogLevel | undefined {
  const numeric = typeof value === "number" || (typeof value === "string" && /^\d+$/.test(value.trim()));
  if (!numeric && typeof value !== "string") return undefined;
  const level = numeric ? normaliseLevel(Number(value), "pino") : normaliseLevel(value as string);
  return level === "unknown" ? undefined : level;
}

/** Date (and optional time) stamps that log rotation appends: `-2023-01-29`, `.20230129`, `_2023-01-29-08`. */
const ROTATION_DATE = /[-_.]\d{4}-?\d{2}-?\d{2}(?:[-_T]?\d{2}(?:-?\d{2}){0,2})?$/;

/**
 * The source a log file stands for when nothing in it names one: the base name without extensions
 * (`.log`, `.gz`, rotation numbers `.1`) and without a rotation date. A bare `-2` is kept: it is as
 * often a StatefulSet ordinal (`broker-2`) as a rotation number.
 */
export function sourceNameOf(file: string): string {
  const base = basename(file);
  const dot = base.indexOf(".", 1);
  const withoutExtensions = dot < 0 ? base : base.slice(0, dot);
  const name = withoutExtensions.replace(ROTATION_DATE, "");
  return name === "" ? base : name;
}

/** OpenTelemetry resource attributes (and Jaeger process tags) that name the emitter, as the labels entity resolution reads. */
const RESOURCE_LABELS: Record<string, string> = {
  "service.name": "service",
  "k8s.pod.name": "pod",
  "k8s.namespace.name": "namespace",
  "k8s.node.name": "node",
  "k8s.container.name": "container",
  "k8s.deployment.name": "deployment",
  "k8s.statefulset.name": "statefulset",
  "k8s.daemonset.name": "daemonset",
  "k8s.job.name": "job",
  "host.name": "host",
  hostname: "host",
};

/** The labels named by `(key, value)` attribute pairs; values that are not text or numbers are ignored. */
export function resourceLabels(pairs: Iterable<[string, unknown]>): Labels {
  const labels: Labels = {};
  for (const [key, value] of pairs) {
    const label = RESOURCE_LABELS[key];
    if (label && (typeof value === "string" || typeof value === "number") && String(value) !== "") {
      labels[label] = String(value);
    }
  }
  return labels;
}
