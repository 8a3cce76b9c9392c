/**
 * The span of time a Case covers, robust to isolated garbage timestamps: one log line stamped 1970 or
 * 9999 among 60,000 must not stretch the recording over centuries (and so move the incident window).
 */
import type { Case } from "../case/model.js";
import { toIso } from "../case/time.js";
import { NoDataError } from "../read/types.js";
import { lowerBound } from "./window.js";

/**
 * Records that may be left out of the span as isolated: a share this small, far from the rest, is a
 * clock or parsing accident (a zero timestamp, a default date), not a part of the recording.
 */
const OUTLIER_SHARE = 0.01;

export interface DataSpan {
  /** First and last time of the recording (unix s); ±Infinity when the Case holds nothing timed. */
  start: number;
  end: number;
  /** Records left out of [start, end] as isolated outliers. */
  outliers: number;
}

/** Times of one source in ascending order, with how many records stand at each (1 unless counted). */
interface TimedSource {
  t: ArrayLike<number>;
  weight?: ArrayLike<number>;
}

/**
 * Index range [from, to) of `t` (ascending) without its isolated ends: at either end, up to
 * OUTLIER_SHARE of the weight may go, and a cut is made only where the gap to the next time is longer
 * than everything that remains (a far-off point, not an edge of the recording).
 */
export function isolatedTrim(t: ArrayLike<number>, weight?: ArrayLike<number>): [number, number] {
  const w = (i: number) => (weight ? weight[i] : 1);
  let total = 0;
  for (let i = 0; i < t.length; i++) total += w(i);
  const budget = OUTLIER_SHARE * total;
  let from = 0;
  let to = t.length;
  let droppedLow = 0;
  let droppedHigh = 0;
  // A far 9999 hides a far 1970 (the rest still spans centuries), so trimming repeats until nothing moves.
  for (let changed = true; changed; ) {
    changed = false;
    let dropped = droppedLow;
    for (let i = from + 1; i < to && dropped + w(i - 1) <= budget; i++) {
      dropped += w(i - 1);
      if (t[i] - t[i - 1] > t[to - 1] - t[i]) [from, droppedLow, changed] = [i, dropped, true];
    }
    dropped = droppedHigh;
    for (let i = to - 1; i > from && dropped + w(i) <= budget; i--) {
      dropped += w(i);
      if (t[i] - t[i - 1] > t[i - 1] - t[from]) [to, droppedHigh, changed] = [i, dropped, true];
    }
  }
  return [from, to];
}

function timedSources(c: Case): TimedSource[] {
  const sources: TimedSource[] = c.series.filter((s) => s.t.length > 0).map((s) => ({ t: s.t }));
  for (const template of c.logs.templates) {
    const buckets = [...template.counts.entries()].sort((a, b) => a[0] - b[0]);
    sources.push({ t: buckets.map(([b]) => b), weight: buckets.map(([, n]) => n) });
  }
  if (c.spans.length > 0) sources.push({ t: c.spans.start.slice().sort() });
  if (c.events.length > 0) sources.push({ t: c.events.map((e) => e.t).sort((a, b) => a - b) });
  return sources;
}

/** Records of a source that lie outside [start, end]. */
function outside(source: TimedSource, start: number, end: number): number {
  let n = 0;
  for (let i = 0; i < source.t.length; i++) {
    const t = source.t[i];
    if (t < start || t > end) n += source.weight ? source.weight[i] : 1;
  }
  return n;
}

/**
 * The recording's span: each source (a series, a log template, the spans, the events) first loses its
 * own isolated ends, then the sources' ends, weighted by the records behind them, are trimmed the same
 * way, so a whole template made of one stray line is left out too.
 */
export function dataSpan(c: Case): DataSpan {
  const ends: { t: number; w: number }[] = [];
  const sources = timedSources(c);
  for (const source of sources) {
    const [from, to] = isolatedTrim(source.t, source.weight);
    let kept = 0;
    for (let i = from; i < to; i++) kept += source.weight ? source.weight[i] : 1;
    ends.push({ t: source.t[from], w: kept / 2 }, { t: source.t[to - 1], w: kept / 2 });
  }
  if (ends.length === 0) return { start: Number.POSITIVE_INFINITY, end: Number.NEGATIVE_INFINITY, outliers: 0 };
  ends.sort((a, b) => a.t - b.t);
  const [from, to] = isolatedTrim(
    ends.map((e) => e.t),
    ends.map((e) => e.w),
  );
  const start = ends[from].t;
  const end = ends[to - 1].t;
  return { start, end, outliers: sources.reduce((n, source) => n + outside(source, start, end), 0) };
}

/** "No data" (exit 2): the files were read but hold nothing with a time, so there is nothing to analyse. */
export function assertHasData(span: DataSpan, formats: { format: string }[]): void {
  if (span.start <= span.end) return;
  const counts = new Map<string, number>();
  for (const { format } of formats) counts.set(format, (counts.get(format) ?? 0) + 1);
  const read = [...counts].map(([format, n]) => `${n} ${format}`).join(", ");
  throw new NoDataError(
    `no data: the input (${read || "a Case"}) holds no samples, log lines, spans or events with a time`,
  );
}

/** Whether anything timed (a sample, a log line, a span, an event) lies in [from, to]. */
function holdsDataBetween(c: Case, from: number, to: number): boolean {
  const within = (t: number) => t >= from && t <= to;
  return (
    c.series.some((s) => {
      const i = lowerBound(s.t, from);
      return i < s.t.length && s.t[i] <= to;
    }) ||
    c.logs.templates.some((template) => [...template.counts.keys()].some(within)) ||
    c.spans.start.some(within) ||
    c.events.some((event) => within(event.t))
  );
}

/**
 * "Nothing in the window" (exit 2): the examined window [at, at + incidentSeconds] holds none of the
 * data, because --at lies outside it or in a gap of the recording.
 */
export function assertWindowHasData(c: Case, span: DataSpan, at: number, incidentSeconds: number): void {
  const end = at + incidentSeconds;
  if (at < span.end && end >= span.start && holdsDataBetween(c, at, end)) return;
  throw new NoDataError(
    `nothing to analyse after --at ${toIso(at)} (the window runs to ${toIso(end)}): the data spans ${toIso(span.start)} → ${toIso(span.end)}${at >= span.start && at < span.end ? ", with a gap there" : ""}`,
  );
}
