/** Log evidence: templates that are new, surging or vanishing for an entity, weighted by level. */
import type { Case, LogTemplate } from "../case/model.js";
import { LEVEL_WEIGHT } from "./levelWeight.js";
import { countChangeSignificance, MIN_SIGNIFICANCE, normalUpperTail, significanceStrength } from "./significance.js";
import { mixShift } from "./surprise.js";
import type { Evidence, Window } from "./types.js";
import { inBaseline } from "./window.js";

/** A template that vanishes is weaker evidence than one that appears: flows also vary with traffic. */
const VANISH_WEIGHT = 0.5;
/** A changed mix is evidence of a changed code path even when INFO lines carry it. */
const MIX_WEIGHT_FLOOR = 0.8;
/** Evidence items kept per entity: the strongest few say what changed; the rest repeat it. */
const MAX_PER_ENTITY = 3;

/** Buckets (unix s) that hold any log line, split at `at`: the time logs were actually observed. */
function observedSeconds(c: Case, window: Window): { baseline: number; incident: number } {
  const buckets = new Set<number>();
  for (const template of c.logs.templates) for (const bucket of template.counts.keys()) buckets.add(bucket);
  let baseline = 0;
  let incident = 0;
  for (const bucket of buckets) {
    if (inBaseline(bucket, window)) baseline++;
    else if (bucket >= window.at && bucket <= window.end) incident++;
  }
  return { baseline: baseline * c.logs.bucketSeconds, incident: incident * c.logs.bucketSeconds };
}

interface CountedTemplate {
  template: LogTemplate;
  baseline: number;
  incident: number;
  /** First incident bucket with a line. */
  first: number;
}

/** Counts of the template's untraced lines before and in the incident (traced ones are judged with their spans). */
function splitCounts(template: LogTemplate, window: Window): CountedTemplate {
  let baseline = 0;
  let incident = 0;
  let first = Number.POSITIVE_INFINITY;
  for (const [bucket, all] of template.counts) {
    const count = all - (template.traced.get(bucket) ?? 0);
    if (count === 0) continue;
    if (inBaseline(bucket, window)) baseline += count;
    else if (bucket >= window.at && bucket <= window.end) {
      incident += count;
      first = Math.min(first, bucket);
    }
  }
  return { template, baseline, incident, first };
}

export function detectLogChanges(c: Case, window: Window, nextId: () => string): Evidence[] {
  const observed = observedSeconds(c, window);
  if (observed.baseline === 0 || observed.incident === 0) return [];
  const ratio = observed.incident / observed.baseline;
  const counted = c.logs.templates.map((template) => splitCounts(template, window));
  const byEntity = new Map<string, Omit<Evidence, "id">[]>();
  for (const counts of counted) {
    const template = counts.template;
    const expected = counts.baseline * ratio;
    const significance = countChangeSignificance(counts.incident, counts.baseline, ratio);
    const surged = significance > 0;
    if (Math.abs(significance) < MIN_SIGNIFICANCE) continue;
    const sample = template.samples[0] ?? template.template;
    const what = !surged ? "vanished" : counts.baseline === 0 ? "new" : "surging";
    const item: Omit<Evidence, "id"> = {
      entity: template.entity,
      signal: template.template,
      type: "log",
      family: "log",
      start: surged ? counts.first : window.at,
      strength:
        (surged ? 1 : VANISH_WEIGHT) * LEVEL_WEIGHT[template.level] * significanceStrength(Math.abs(significance)),
      facts: { level: template.level },
      detail: `${what} ${template.level} log template: ${counts.incident} lines in the incident vs ${expected.toFixed(1)} expected from the baseline`,
      excerpt: surged ? `${sample} (×${counts.incident})` : sample,
      value: counts.incident,
      baseline: expected,
      unit: "lines",
      template: template.template,
    };
    const list = byEntity.get(template.entity) ?? [];
    list.push(item);
    byEntity.set(template.entity, list);
  }
  const evidence: Evidence[] = [];
  for (const item of mixChanges(counted, window)) evidence.push({ ...item, id: nextId() });
  for (const list of byEntity.values()) {
    list.sort((a, b) => b.strength - a.strength);
    for (const item of list.slice(0, MAX_PER_ENTITY)) evidence.push({ ...item, id: nextId() });
  }
  return evidence;
}

/** Per entity: did the mix of its log templates change, whatever the volume? Weighted by the level that changed most. */
function mixChanges(counted: CountedTemplate[], window: Window): Omit<Evidence, "id">[] {
  const perEntity = new Map<string, CountedTemplate[]>();
  for (const counts of counted) {
    if (counts.baseline + counts.incident === 0) continue;
    const list = perEntity.get(counts.template.entity) ?? [];
    list.push(counts);
    perEntity.set(counts.template.entity, list);
  }
  const items: Omit<Evidence, "id">[] = [];
  for (const [entity, list] of perEntity) {
    const surprise = mixShift(
      list.map((x) => x.baseline),
      list.map((x) => x.incident),
    );
    const significance = normalUpperTail(surprise);
    if (significance < MIN_SIGNIFICANCE) continue;
    const totalB = list.reduce((a, x) => a + x.baseline, 0);
    const totalI = list.reduce((a, x) => a + x.incident, 0);
    const moved = [...list].sort(
      (a, b) =>
        Math.abs(b.incident / totalI - b.baseline / totalB) - Math.abs(a.incident / totalI - a.baseline / totalB),
    )[0];
    const share = (n: number, total: number) => `${((100 * n) / total).toFixed(0)}%`;
    items.push({
      entity,
      signal: "log template mix",
      type: "log",
      family: "log",
      start: window.at,
      strength: Math.max(LEVEL_WEIGHT[moved.template.level], MIX_WEIGHT_FLOOR) * significanceStrength(significance),
      facts: { level: moved.template.level },
      detail: `the mix of its log lines changed (${surprise.toFixed(1)}σ); most: ${moved.template.level} "${moved.template.template.slice(0, 120)}" from ${share(moved.baseline, totalB)} to ${share(moved.incident, totalI)} of lines`,
      excerpt: moved.template.samples[0] ?? moved.template.template,
      value: moved.incident / totalI,
      baseline: moved.baseline / totalB,
      unit: "ratio",
      template: moved.template.template,
    });
  }
  return items;
}
