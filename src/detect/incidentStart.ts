/**
 * Incident-window detection when no alert time is given: the split of the recording at which the most
 * series depart from what came before (a multivariate change point, scored robustly).
 */
import type { Case } from "../case/model.js";
import { classifyMetric } from "./metricFamily.js";
import { fitBaseline, median } from "./robust.js";
import { strengthOf } from "./strength.js";

/** Candidate split points tried along the recording: enough to land within ~1% of its length. */
const CANDIDATES = 100;
/** Each side of a split needs this share of the samples, so a split is never judged on a handful. */
const MIN_SIDE_SHARE = 0.1;

/** All distinct sample times, ascending. */
function sampleTimes(c: Case): number[] {
  const times = new Set<number>();
  for (const series of c.series) for (const t of series.t) times.add(t);
  return [...times].sort((a, b) => a - b);
}

/**
 * Unix s of the detected incident start, or undefined when the data holds no clear change. Each series
 * votes with the strength of its level shift across the split (bad direction only), host-level series at
 * half weight; the split with the largest total wins.
 */
export function detectIncidentStart(c: Case): number | undefined {
  const times = sampleTimes(c);
  if (times.length < 2 * CANDIDATES * MIN_SIDE_SHARE) return undefined;
  const lo = Math.floor(times.length * MIN_SIDE_SHARE);
  const hi = Math.ceil(times.length * (1 - MIN_SIDE_SHARE));
  const candidates: number[] = [];
  for (let k = 0; k <= CANDIDATES; k++) candidates.push(times[lo + Math.floor(((hi - lo) * k) / CANDIDATES)]);
  let best: number | undefined;
  let bestScore = 0;
  for (const tau of new Set(candidates)) {
    let score = 0;
    for (const series of c.series) {
      const split = series.t.findIndex((t) => t >= tau);
      if (split < 1 || split >= series.t.length) continue;
      const before = series.v.subarray(0, split);
      const after = series.v.subarray(split);
      let magnitude = 0;
      for (const v of series.v) if (Number.isFinite(v)) magnitude = Math.max(magnitude, Math.abs(v));
      const fit = fitBaseline(before, magnitude);
      if (!(fit.scale > 0)) continue;
      const cls = classifyMetric(series.metric);
      const d = (median(after) - fit.median) / fit.scale;
      const directed = cls.bad === "up" ? d : cls.bad === "down" ? -d : Math.abs(d);
      score += (cls.hostScoped ? 0.5 : 1) * strengthOf(directed);
    }
    if (score > bestScore) {
      bestScore = score;
      best = tau;
    }
  }
  return best;
}
