/**
 * Reading named series the way the catalogue's checks ask for them: by metric name and labels, at a
 * time, or at their worst within a stretch of time. Shared by the limit, attribution, lifecycle and
 * flood detectors, which judge resources against limits rather than against a statistical baseline.
 */
import type { Case, Series } from "../case/model.js";
import { Scratch, selectWithin } from "./robust.js";
import type { Window } from "./types.js";
import { lowerBound } from "./window.js";

/**
 * How long before the alert a resource may already have been exhausted. Alerts fire on the symptoms
 * users feel, which trail an exhausted resource by minutes to half an hour (a pool keeps working on the
 * connections it holds; a queue fills before anyone pages): the limit checks look this far back.
 */
export const LIMIT_LOOKBACK_SECONDS = 1800;
/**
 * The stretch at the start of the recording that stands for normal when judging who is new or who grew:
 * five minutes hold several scrapes at common intervals (15-60 s).
 */
export const REFERENCE_SECONDS = 300;
/** A sample older than this no longer says what the value is now (Prometheus' own staleness horizon). */
const STALE_SECONDS = 300;

/** The stretches the resource detectors compare: normal at the start, the incident from the lookback on. */
export interface ResourceSpan {
  referenceStart: number;
  referenceEnd: number;
  /** Where exhaustion may begin: the lookback before the alert, but never inside the reference. */
  from: number;
  /** The alert: what happened before it is what caused the symptoms it reports. */
  at: number;
  to: number;
}

export function dataStart(c: Case): number {
  let start = Number.POSITIVE_INFINITY;
  for (const s of c.series) if (s.t.length > 0 && s.t[0] < start) start = s.t[0];
  for (const e of c.events) if (e.t < start) start = e.t;
  return start;
}

export function resourceSpan(c: Case, window: Window): ResourceSpan {
  const start = Math.min(dataStart(c), window.at);
  // A baseline the user named before the alert is the reference; one after it (a recording of normal
  // made later) cannot say who was new or grew before the alert, so the recording's start stays.
  if (window.baselineGiven && window.baselineEnd !== undefined && window.baselineEnd <= window.at) {
    const referenceEnd = window.baselineEnd;
    return {
      referenceStart: Math.max(start, window.baselineStart),
      referenceEnd,
      from: Math.max(window.at - LIMIT_LOOKBACK_SECONDS, referenceEnd),
      at: window.at,
      to: window.end,
    };
  }
  const referenceEnd = Math.max(start + REFERENCE_SECONDS, Math.min(window.at - LIMIT_LOOKBACK_SECONDS, window.at));
  return {
    referenceStart: start,
    referenceEnd: Math.min(referenceEnd, window.at),
    from: Math.min(Math.max(window.at - LIMIT_LOOKBACK_SECONDS, referenceEnd), window.at),
    at: window.at,
    to: window.end,
  };
}

/** Every series of a metric, optionally only those whose labels match. */
export function seriesNamed(c: Case, metric: string, labels: Record<string, string> = {}): Series[] {
  return c.series.filter((s) => s.metric === metric && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The value in force at `time`: the last sample at or before it, unless it is stale. */
export function valueAt(s: Series, time: number): number | undefined {
  const i = lowerBound(s.t, time + 1e-9) - 1;
  if (i < 0 || time - s.t[i] > STALE_SECONDS) return undefined;
  return s.v[i];
}

/** The largest value in [from, to], with the time it was first reached. */
export function peakIn(s: Series, from: number, to: number): { value: number; t: number } | undefined {
  let best: { value: number; t: number } | undefined;
  for (let i = lowerBound(s.t, from); i < s.t.length && s.t[i] <= to; i++) {
    if (Number.isFinite(s.v[i]) && (!best || s.v[i] > best.value)) best = { value: s.v[i], t: s.t[i] };
  }
  return best;
}

/** The median of the samples in [from, to); undefined when there are none. */
export function medianIn(s: Series, from: number, to: number): number | undefined {
  const n = medianScratch.copyFinite(s.v, lowerBound(s.t, from), lowerBound(s.t, to));
  return n > 0 ? selectWithin(medianScratch.slots(n), 0, n - 1, n >> 1) : undefined;
}

const medianScratch = new Scratch();

/** The sum over several series of their medians in [from, to): a workload's level across its pods. */
export function sumOfMedians(list: Series[], from: number, to: number): number {
  return list.reduce((sum, s) => sum + (medianIn(s, from, to) ?? 0), 0);
}

/** The first sample time in [from, to] at which `holds` is true. */
export function firstTime(s: Series, from: number, to: number, holds: (v: number) => boolean): number | undefined {
  for (let i = lowerBound(s.t, from); i < s.t.length && s.t[i] <= to; i++) if (holds(s.v[i])) return s.t[i];
  return undefined;
}

/** The area under a rate in [from, to]: how many events a per-second series counted there. */
export function countIn(s: Series, from: number, to: number): number {
  let total = 0;
  for (let i = Math.max(1, lowerBound(s.t, from)); i < s.t.length && s.t[i] <= to; i++) {
    const v = s.v[i];
    if (Number.isFinite(v) && v > 0) total += v * (s.t[i] - s.t[i - 1]);
  }
  return total;
}

/** How much a counter grew in [from, to]: the area under its rate, or its positive steps when read raw. */
export function increaseIn(s: Series, from: number, to: number): number {
  if (s.unit === "per second") return countIn(s, from, to);
  let total = 0;
  for (let i = Math.max(1, lowerBound(s.t, from)); i < s.t.length && s.t[i] <= to; i++) {
    const step = s.v[i] - s.v[i - 1];
    // A drop is a counter reset (a restart): the new value is what it counted since.
    if (Number.isFinite(step)) total += step >= 0 ? step : Math.max(0, s.v[i]);
  }
  return total;
}

/** All sample times of several series, merged and ascending. */
export function unionTimes(list: Series[], from: number, to: number): number[] {
  const times = new Set<number>();
  for (const s of list) for (let i = lowerBound(s.t, from); i < s.t.length && s.t[i] <= to; i++) times.add(s.t[i]);
  return [...times].sort((a, b) => a - b);
}

/** The sum over several series of the values in force at `time` (absent or stale ones count 0). */
export function sumAt(list: Series[], time: number): number {
  let total = 0;
  for (const s of list) total += valueAt(s, time) ?? 0;
  return total;
}

/** Groups items by a key. */
export function groupBy<T>(items: Iterable<T>, key: (item: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const list = groups.get(k) ?? [];
    list.push(item);
    groups.set(k, list);
  }
  return groups;
}
