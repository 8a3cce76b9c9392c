/**
 * One piece of evidence (or a group of them) as a short phrase from its numbers: "http_server_requests_seconds_max
 * 1.1 s → 48 s (43.6× baseline) on 2 pods". Items without numbers fall back to their detail, made plain.
 */
import type { EvidenceGroup } from "./group.js";
import type { DiagnosisEvidence } from "./types.js";
import { againstBaseline, formatNumber, formatPair, formatQuantity, MAX_SELECTOR_CHARS, plainText } from "./units.js";

/** No selector or template in prose is longer than this (the same bound as for selectors in engine prose). */
export const MAX_NAME_CHARS = MAX_SELECTOR_CHARS;
/** Templates are quoted shorter: the start says which line it is. */
const MAX_TEMPLATE_CHARS = 70;
/** Labels that say where a series was measured; grouping already says how many places. */
const PLACE_LABELS = new Set(["pod", "instance", "namespace", "container", "node", "job", "le", "kubernetes_pod_name"]);

/** Units of things counted in the incident against what the baseline leads to expect. */
const COUNTED_UNITS = new Set(["lines", "spans"]);

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `metric{what="it measures"}` without the labels that only say where, never longer than MAX_NAME_CHARS. */
export function seriesName(series: { metric: string; labels: Record<string, string> }): string {
  const what = Object.entries(series.labels)
    .filter(([k, v]) => v !== "" && !PLACE_LABELS.has(k))
    .map(([k, v]) => `${k}="${v}"`)
    .join(",");
  const full = what ? `${series.metric}{${what}}` : series.metric;
  return full.length <= MAX_NAME_CHARS ? full : clip(series.metric, MAX_NAME_CHARS);
}

/** What the evidence is about, named shortly. */
export function subjectOf(e: DiagnosisEvidence): string {
  if (e.series) return seriesName(e.series);
  if (e.template) return `"${clip(e.template, MAX_TEMPLATE_CHARS)}"`;
  return clip(plainText(e.signal), MAX_NAME_CHARS);
}

/** The numbers of one item: "1.1 s → 48 s (43.6× baseline)", "4,785 lines vs 182 expected". */
export function numbersOf(e: DiagnosisEvidence): string | undefined {
  if (e.value === undefined) return undefined;
  if (e.unit && COUNTED_UNITS.has(e.unit))
    return `${formatNumber(e.value)} ${e.unit}${e.baseline === undefined ? "" : ` vs ${formatNumber(e.baseline)} expected`}`;
  const [now, limit] = formatPair(e.value, e.limit ?? e.value, e.unit);
  const value = e.limit === undefined ? formatQuantity(e.value, e.unit) : `${now} of ${limit} (the limit)`;
  if (e.baseline === undefined) return value;
  const [before] = formatPair(e.baseline, e.value, e.unit);
  const against = againstBaseline(e.value, e.baseline);
  return `${before} → ${value}${against ? ` (${against})` : ""}`;
}

/** One phrase for one item. */
export function describeEvidence(e: DiagnosisEvidence): string {
  const numbers = numbersOf(e);
  if (numbers === undefined) return clip(plainText(e.detail), MAX_NAME_CHARS * 2);
  const subject = subjectOf(e);
  // "error spans: 11 vs 0.3 expected", not "error spans 11 spans vs 0.3 expected".
  if (e.unit && COUNTED_UNITS.has(e.unit) && subject.endsWith(e.unit))
    return `${subject}: ${numbers.replace(` ${e.unit}`, "")}`;
  return `${subject} ${numbers}`;
}

/** One phrase for a group: its strongest item, and over how many places it showed. */
export function describeGroup(g: EvidenceGroup): string {
  return `${describeEvidence(g.lead)}${g.spread ? ` on ${g.spread}` : ""}`;
}
