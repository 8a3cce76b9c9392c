/** Small Cases written in a few lines, for engine tests: series as functions of minutes, events by minute. */
import { CaseBuilder } from "../../src/case/builder.js";
import type { Case } from "../../src/case/model.js";
import type { Labels } from "../../src/read/types.js";

/** 2026-01-16T02:00:00Z: minute 0 of every test case. */
export const T0 = 1768528800;
export const minute = (m: number) => T0 + m * 60;

export interface SeriesSpec {
  metric: string;
  labels: Labels;
  /** Value at minute m (sampled every 15 s over the case's length). */
  at: (m: number) => number;
  unit?: string;
}

export interface EventSpec {
  minute: number;
  reason: string;
  message: string;
  labels: Labels;
  type?: string;
}

export interface LogSpec {
  labels: Labels;
  message: string;
  level?: "debug" | "info" | "warn" | "error";
  /** Lines per minute at minute m. */
  perMinute: (m: number) => number;
}

export function buildCase(spec: {
  minutes: number;
  series?: SeriesSpec[];
  events?: EventSpec[];
  logs?: LogSpec[];
}): Case {
  const builder = new CaseBuilder();
  const sink = builder.sinkFor("test-case");
  const steps = spec.minutes * 4;
  for (const s of spec.series ?? []) {
    const t: number[] = [];
    const v: number[] = [];
    for (let i = 0; i <= steps; i++) {
      const m = i / 4;
      const value = s.at(m);
      if (Number.isNaN(value)) continue;
      t.push(minute(m));
      v.push(value);
    }
    sink.addSamples(s.labels, s.metric, t, v, s.unit);
  }
  for (const e of spec.events ?? []) {
    sink.addEvent({
      t: minute(e.minute),
      type: e.type ?? "Normal",
      reason: e.reason,
      message: e.message,
      count: 1,
      labels: e.labels,
    });
  }
  for (const l of spec.logs ?? []) {
    for (let m = 0; m < spec.minutes; m++) {
      const n = Math.round(l.perMinute(m));
      for (let k = 0; k < n; k++)
        sink.addLog({ t: minute(m) + (k * 60) / Math.max(n, 1), message: l.message, level: l.level, labels: l.labels });
    }
  }
  return builder.build();
}

export const constant = (v: number) => () => v;

/** A counter that counts `perSecond(m)` each second (sampled every 15 s). */
export function counter(perSecond: (m: number) => number): (m: number) => number {
  return (m) => {
    let total = 0;
    for (let x = 0; x < m; x += 0.25) total += perSecond(x) * 15;
    return total;
  };
}

/** A ramp from `from` to `to` between minutes a and b. */
export function ramp(from: number, to: number, a: number, b: number): (m: number) => number {
  return (m) => (m <= a ? from : m >= b ? to : from + ((to - from) * (m - a)) / (b - a));
}
