/**
 * Evidence grouped the way a person reads it: the same metric on three pods is one observation "on 3
 * pods", and a histogram's buckets, sum and count are one histogram, not one line per `le`.
 */
import type { DiagnosisEvidence } from "./types.js";

/** The series of one histogram or summary share this stem. */
const HISTOGRAM_SERIES = /_(bucket|sum|count)$/;
/** Labels that name where a series was measured rather than what it measures. */
const PLACE_LABELS = ["pod", "instance", "container", "node", "kubernetes_pod_name"];

export interface EvidenceGroup {
  /** The strongest item: its numbers speak for the group. */
  lead: DiagnosisEvidence;
  items: DiagnosisEvidence[];
  /** What the items spread over, when more than one: "3 pods", "12 series". */
  spread?: string;
}

/** The metric family a series belongs to: a histogram's `_bucket`, `_sum` and `_count` are one. */
export function metricFamily(metric: string): string {
  return metric.replace(HISTOGRAM_SERIES, "");
}

function groupKey(e: DiagnosisEvidence): string {
  const what = e.series ? metricFamily(e.series.metric) : (e.template ?? e.signal);
  return [e.entity, e.type, what].join("\u0000");
}

function distinct(items: DiagnosisEvidence[], label: string): number {
  return new Set(items.map((e) => e.series?.labels[label]).filter((v) => v !== undefined)).size;
}

function spreadOf(items: DiagnosisEvidence[]): string | undefined {
  if (items.length < 2) return undefined;
  const buckets = distinct(items, "le");
  if (buckets > 1) return `${buckets} buckets`;
  for (const label of PLACE_LABELS) {
    const n = distinct(items, label);
    if (n > 1) return `${n} ${label === "kubernetes_pod_name" ? "pod" : label}s`;
  }
  return `${items.length} series`;
}

/** Groups in order of their strongest item, strongest first; items within a group likewise. */
export function groupEvidence(evidence: DiagnosisEvidence[]): EvidenceGroup[] {
  const byKey = new Map<string, DiagnosisEvidence[]>();
  for (const e of evidence) {
    const key = groupKey(e);
    const list = byKey.get(key) ?? [];
    list.push(e);
    byKey.set(key, list);
  }
  const groups = [...byKey.values()].map((items) => {
    const sorted = [...items].sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
    const group: EvidenceGroup = { lead: sorted[0], items: sorted };
    const spread = spreadOf(sorted);
    if (spread) group.spread = spread;
    return group;
  });
  return groups.sort((a, b) => (b.lead.score ?? 0) - (a.lead.score ?? 0));
}
