/** The analysis window: which samples are baseline and which are the incident. */
import type { Series } from "../case/model.js";
import { Scratch, selectWithin } from "./robust.js";
import type { Window } from "./types.js";

/**
 * How much observed time before `at` forms the baseline: an hour holds enough of a daily rhythm's local
 * level and enough samples at coarse (1 min) resolution, while staying recent.
 */
export const BASELINE_OBSERVED_SECONDS = 3600;
/**
 * How long after `at` the incident is examined by default: causes show in the first minutes after an
 * alert; later minutes mix in recovery and unrelated changes.
 */
export const DEFAULT_INCIDENT_SECONDS = 300;

export function makeWindow(at: number, incidentSeconds: number, dataEnd: number): Window {
  return { baselineStart: Number.NEGATIVE_INFINITY, at, end: Math.min(dataEnd, at + incidentSeconds) };
}

/** Index of the first sample at or after `time` (binary search over ascending times). */
export function lowerBound(t: ArrayLike<number>, time: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid] < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const stepScratch = new Scratch();

/** The median spacing of a series' samples: its resolution. */
export function typicalStep(t: ArrayLike<number>): number {
  if (t.length < 2) return 0;
  const n = t.length - 1;
  const steps = stepScratch.slots(n);
  for (let i = 1; i < t.length; i++) steps[i - 1] = t[i] - t[i - 1];
  return selectWithin(steps, 0, n - 1, n >> 1);
}

/** A series' resolution, worked out once: every detector and every alert lag asks for it. */
const steps = new WeakMap<Float64Array, number>();
function stepOf(series: Series): number {
  let step = steps.get(series.t);
  if (step === undefined) {
    step = typicalStep(series.t);
    steps.set(series.t, step);
  }
  return step;
}

/** Gaps wider than this many steps are breaks in the recording, not observed time. */
const GAP_STEPS = 3;

/** Fewer baseline samples than this cannot give a median and a scale worth judging against. */
export const MIN_BASELINE_SAMPLES = 5;

/**
 * Index range [from, to) of the baseline: walking back from `at`, samples until BASELINE_OBSERVED_SECONDS
 * of observed time are covered. Gaps in the recording (a reference window taken hours earlier) are skipped
 * over rather than counted, so a baseline recorded separately still serves. When the recording starts at
 * the incident (too little before `at`), the observed hour after the incident window serves instead: a
 * reference taken after recovery is still a picture of normal.
 */
/** The end of normal: as named by the user; else the incident's onset when it came before the alert, else the alert. */
export function baselineEndOf(window: Window): number {
  if (window.baselineGiven && window.baselineEnd !== undefined) return window.baselineEnd;
  return Math.min(window.at, window.baselineEnd ?? window.at);
}

/** Whether a moment (a log bucket, a span's start) belongs to the baseline. */
export function inBaseline(time: number, window: Window): boolean {
  return time >= window.baselineStart && time < baselineEndOf(window);
}

/**
 * A named baseline holds too few of this series' samples (a one-minute reference window of per-minute
 * metrics): the series falls back to the hour before the alert, as without one.
 */
function givenBaselineRange(series: Series, window: Window): [number, number] | undefined {
  const from = lowerBound(series.t, window.baselineStart);
  const to = lowerBound(series.t, baselineEndOf(window));
  return to - from >= MIN_BASELINE_SAMPLES ? [from, to] : undefined;
}

export function baselineRange(series: Series, window: Window): [number, number] {
  if (window.baselineGiven) {
    const given = givenBaselineRange(series, window);
    if (given) return given;
    return baselineRange(series, {
      ...window,
      baselineGiven: false,
      baselineStart: Number.NEGATIVE_INFINITY,
      baselineEnd: undefined,
    });
  }
  const step = stepOf(series) || 1;
  const to = lowerBound(series.t, baselineEndOf(window));
  let observed = 0;
  let from = to;
  while (from > 0 && observed < BASELINE_OBSERVED_SECONDS) {
    from--;
    if (from > 0) observed += Math.min(series.t[from] - series.t[from - 1], GAP_STEPS * step);
  }
  if (to - from >= MIN_BASELINE_SAMPLES) return [from, to];
  const after = lowerBound(series.t, window.end + 1e-9);
  let end = after;
  observed = 0;
  while (end < series.t.length && observed < BASELINE_OBSERVED_SECONDS) {
    end++;
    if (end < series.t.length) observed += Math.min(series.t[end] - series.t[end - 1], GAP_STEPS * step);
  }
  return end - after > to - from ? [after, end] : [from, to];
}

export function incidentRange(series: Series, window: Window): [number, number] {
  return [lowerBound(series.t, window.at), lowerBound(series.t, window.end + 1e-9)];
}
