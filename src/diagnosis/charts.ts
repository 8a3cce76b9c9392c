/**
 * The data of the report's charts: for each link of a cause's chain, the series its strongest evidence came
 * from (or the log template's line rate), with the baseline's normal range, the limit where one is known,
 * and the moments that matter (onset, alert). Read from the Case; the JSON document stays free of points.
 */
import type { Case, LogTemplate, Series } from "../case/model.js";
import { unitOfSeries } from "../case/units.js";
import { clip, describeGroup } from "./describe.js";
import { type EvidenceGroup, groupEvidence } from "./group.js";
import { roleOf, shortEntity } from "./story.js";
import type { Cause, DiagnosisEvidence } from "./types.js";

/** Points per line: a chart a few hundred pixels wide shows no more; min and max per slot keep the peaks. */
const MAX_POINTS = 400;
/** Lines per chart: the same metric on more pods than this is one crowd; the strongest say it. */
const MAX_LINES = 5;
/**
 * The baseline's normal range drawn as a band: the middle half of its values. A wider range would take in
 * the start of a slow build-up that began before anyone noticed.
 */
const BAND_QUANTILES = [0.25, 0.75] as const;
/** A legend entry longer than this crowds the chart; the start of a pod or host name tells it apart. */
const MAX_LEGEND_CHARS = 40;
/** Fewer baseline points than this make no range worth drawing. */
const MIN_BAND_POINTS = 5;

export interface ChartLine {
  label: string;
  t: number[];
  /** `null` marks a gap in the data (a process that was down, a scrape that stopped): drawn as a break. */
  v: (number | null)[];
}

export interface Chart {
  title: string;
  /** What the chart shows, in words: the evidence phrase. */
  caption: string;
  role: string;
  entity: string;
  unit?: string;
  lines: ChartLine[];
  band?: { low: number; high: number };
  limit?: number;
  /** Unix seconds. */
  onset?: number;
  alert?: number;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** A step this many times the typical one is a gap in the data, not a slow scrape. */
const GAP_STEPS = 5;

/** The points with a `null` after each gap, so the chart breaks the line there instead of bridging it. */
export function withGaps(points: { t: number[]; v: number[] }): { t: number[]; v: (number | null)[] } {
  const steps = points.t.slice(1).map((t, i) => t - points.t[i]);
  if (steps.length === 0) return points;
  const typical = [...steps].sort((a, b) => a - b)[Math.floor(steps.length / 2)];
  const t: number[] = [points.t[0]];
  const v: (number | null)[] = [points.v[0]];
  steps.forEach((step, i) => {
    if (typical > 0 && step > GAP_STEPS * typical) {
      t.push(points.t[i] + typical);
      v.push(null);
    }
    t.push(points.t[i + 1]);
    v.push(points.v[i + 1]);
  });
  return { t, v };
}

/** Min and max per slot, in time order, so a spike survives thinning. */
export function thin(t: ArrayLike<number>, v: ArrayLike<number>, max = MAX_POINTS): { t: number[]; v: number[] } {
  if (t.length <= max) return { t: Array.from(t), v: Array.from(v) };
  const slots = Math.floor(max / 2);
  const out = { t: [] as number[], v: [] as number[] };
  for (let s = 0; s < slots; s++) {
    const from = Math.floor((s * t.length) / slots);
    const to = Math.floor(((s + 1) * t.length) / slots);
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      if (v[i] < v[lo]) lo = i;
      if (v[i] > v[hi]) hi = i;
    }
    for (const i of lo <= hi ? [lo, hi] : [hi, lo]) {
      if (out.t.at(-1) === t[i]) continue;
      out.t.push(t[i]);
      out.v.push(v[i]);
    }
  }
  return out;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
}

/** The middle of the values before `until`: what normal looked like. */
function bandOf(t: ArrayLike<number>, v: ArrayLike<number>, until: number): Chart["band"] {
  const before: number[] = [];
  for (let i = 0; i < t.length && t[i] < until; i++) if (Number.isFinite(v[i])) before.push(v[i]);
  if (before.length < MIN_BAND_POINTS) return undefined;
  before.sort((a, b) => a - b);
  return { low: quantile(before, BAND_QUANTILES[0]), high: quantile(before, BAND_QUANTILES[1]) };
}

/** The Case series an item came from: on its own entity first, else on any (a limit measured on the database). */
function findSeries(c: Case, e: DiagnosisEvidence): Series | undefined {
  const s = e.series;
  if (!s) return undefined;
  const matching = c.series.filter((x) => x.metric === s.metric && sameLabels(x.labels, s.labels));
  return matching.find((x) => x.entity === e.entity) ?? matching[0];
}

function findTemplate(c: Case, e: DiagnosisEvidence): LogTemplate | undefined {
  return c.logs.templates.find((x) => x.entity === e.entity && x.template === e.template);
}

/** A template's lines per second in every bucket of the logs' span, zeros included. */
function templateRate(c: Case, template: LogTemplate): { t: number[]; v: number[] } {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const x of c.logs.templates)
    for (const bucket of x.counts.keys()) {
      first = Math.min(first, bucket);
      last = Math.max(last, bucket);
    }
  const step = c.logs.bucketSeconds;
  const t: number[] = [];
  const v: number[] = [];
  for (let b = first; b <= last; b += step) {
    t.push(b);
    v.push((template.counts.get(b) ?? 0) / step);
  }
  return { t, v };
}

/** Where a pod-level line comes from, for its legend. */
function lineLabel(e: DiagnosisEvidence): string {
  const labels = e.series?.labels ?? {};
  return clip(labels.pod ?? labels.instance ?? labels.le ?? shortEntity(e.entity), MAX_LEGEND_CHARS);
}

function seriesChart(
  c: Case,
  group: EvidenceGroup,
  normalUntil: number,
): Omit<Chart, "role" | "entity" | "caption"> | undefined {
  const found = group.items
    .map((e) => ({ e, s: findSeries(c, e) }))
    .filter((x): x is { e: DiagnosisEvidence; s: Series } => x.s !== undefined)
    .slice(0, MAX_LINES);
  if (found.length === 0) return undefined;
  const lead = found[0];
  return {
    title: group.lead.series?.metric ?? group.lead.signal,
    unit: group.lead.unit ?? unitOfSeries(lead.s.metric, lead.s.unit),
    lines: found.map(({ e, s }) => ({ label: lineLabel(e), ...withGaps(thin(s.t, s.v)) })),
    band: bandOf(lead.s.t, lead.s.v, normalUntil),
  };
}

function logChart(
  c: Case,
  group: EvidenceGroup,
  normalUntil: number,
): Omit<Chart, "role" | "entity" | "caption"> | undefined {
  const template = findTemplate(c, group.lead);
  if (!template) return undefined;
  const rate = templateRate(c, template);
  return {
    title: `${template.level} log lines: ${template.template}`,
    unit: "lines per second",
    lines: [{ label: shortEntity(template.entity), ...thin(rate.t, rate.v) }],
    band: bandOf(rate.t, rate.v, normalUntil),
  };
}

/** The earliest start among a group's items, unix seconds. */
function onsetOf(group: EvidenceGroup, fallback: string): number {
  const starts = group.items.map((e) => Date.parse(e.start ?? fallback)).filter(Number.isFinite);
  return starts.length > 0 ? Math.min(...starts) / 1e3 : Date.parse(fallback) / 1e3;
}

/**
 * One chart per chain link, of the link's own entity where anything about it can be drawn; a series already
 * drawn for an earlier link is not drawn again.
 * `baselineEnd` (unix s), when the engine states its baseline, bounds the normal range; else each onset does.
 */
export function chainCharts(cause: Cause, c: Case, alertAt: number, baselineEnd?: number): Chart[] {
  const charts: Chart[] = [];
  const drawn = new Set<string>();
  cause.chain.forEach((link, i) => {
    const cited = new Set(link.evidence);
    const own = (e: DiagnosisEvidence) => e.entity === link.entity;
    // What the link cites about its own entity, then anything else measured on it, then what it cites elsewhere.
    const candidates = [
      ...groupEvidence(cause.evidence.filter((e) => cited.has(e.id) && own(e))),
      ...groupEvidence(cause.evidence.filter((e) => !cited.has(e.id) && own(e))),
      ...groupEvidence(cause.evidence.filter((e) => cited.has(e.id) && !own(e))),
    ];
    for (const group of candidates) {
      const key = group.lead.template ?? JSON.stringify(group.lead.series ?? group.lead.id);
      if (drawn.has(key)) continue;
      const onset = onsetOf(group, cause.start);
      const normalUntil = baselineEnd ?? onset;
      const picture = group.lead.template ? logChart(c, group, normalUntil) : seriesChart(c, group, normalUntil);
      if (!picture) continue;
      drawn.add(key);
      const isResource = cause.resource_usage?.entity === link.entity;
      const limit = group.lead.limit ?? (isResource ? cause.resource_usage?.limit : undefined);
      charts.push({
        ...picture,
        caption: describeGroup(group),
        role: roleOf(link, i, cause.chain.length),
        entity: link.entity,
        ...(limit !== undefined ? { limit } : {}),
        ...(Number.isFinite(onset) ? { onset } : {}),
        alert: alertAt,
      });
      return;
    }
  });
  return charts;
}
