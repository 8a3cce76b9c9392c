/**
 * Incident-window detection when no alert time is given: the split of the recording at which the most
 * series depart from what came before (a multivariate change point, scored robustly), refined to the
 * sample where the leading series actually start to depart.
 */
import type { Case, Series } from "../case/model.js";
import { toIso } from "../case/time.js";
import type { DataSpan } from "./dataSpan.js";
import { type BadDirection, classifyMetric, HOST_SCOPED_WEIGHT } from "./metricFamily.js";
import { type Baseline, fitBaseline, maxAbsFinite, median } from "./robust.js";
import { MIN_SURPRISE, strengthOf } from "./strength.js";
import { directedDeviation } from "./surprise.js";
import { lowerBound } from "./window.js";

/** Candidate split points tried along the recording: enough to land within ~1% of its length. */
const CANDIDATES = 100;
/** Each side of a split needs this share of the samples, so a split is never judged on a handful. */
const MIN_SIDE_SHARE = 0.1;
/** Series whose own onsets refine the split: the few that moved most carry the timing. */
const LEADING_SERIES = 5;
/** An onset must persist: the median surprise of this many samples from it must stay beyond MIN_SURPRISE. */
const PERSISTENCE_SAMPLES = 5;

/** All distinct sample times within the recording's span (isolated stray stamps left out), ascending. */
function sampleTimes(c: Case, span: DataSpan): number[] {
  const times = new Set<number>();
  for (const series of c.series) for (const t of series.t) if (t >= span.start && t <= span.end) times.add(t);
  return [...times].sort((a, b) => a - b);
}

/** What every split needs of a series, computed once rather than per candidate. */
interface Prepared {
  series: Series;
  bad: BadDirection;
  weight: number;
  magnitude: number;
}

function prepare(series: Series): Prepared {
  const cls = classifyMetric(series.metric);
  return { series, bad: cls.bad, weight: cls.hostScoped ? HOST_SCOPED_WEIGHT : 1, magnitude: maxAbsFinite(series.v) };
}

interface SplitScore {
  score: number;
  contributions: { prepared: Prepared; fit: Baseline; strength: number }[];
}

function scoreSplit(prepared: Prepared[], tau: number): SplitScore {
  const result: SplitScore = { score: 0, contributions: [] };
  for (const p of prepared) {
    const split = lowerBound(p.series.t, tau);
    if (split < 1 || split >= p.series.t.length) continue;
    const fit = fitBaseline(p.series.v.subarray(0, split), p.magnitude);
    if (!(fit.scale > 0)) continue;
    const after = p.series.v.subarray(split);
    // Weighted by the share of the later samples that departed: a split placed before the true change
    // still has a departed median, but some of its "after" samples are normal ones.
    let departed = 0;
    for (const v of after) if (directedDeviation(p.bad, fit, v) >= MIN_SURPRISE) departed++;
    const strength = p.weight * strengthOf(directedDeviation(p.bad, fit, median(after))) * (departed / after.length);
    result.score += strength;
    result.contributions.push({ prepared: p, fit, strength });
  }
  return result;
}

/**
 * Where a series' departure that spans the split `tau` begins: from the first sample at or after `tau`
 * that is beyond the fence and stays beyond (the median of the next few is too), walk back while the
 * samples before it are beyond as well. A noisy blip earlier in the baseline is not an onset; a run of
 * departed samples reaching back past the split is.
 */
function onsetOf({ series, bad }: Prepared, fit: Baseline, tau: number): number | undefined {
  const beyond = (i: number) => directedDeviation(bad, fit, series.v[i]) >= MIN_SURPRISE;
  const persists = (i: number) =>
    directedDeviation(bad, fit, median(series.v.subarray(i, i + PERSISTENCE_SAMPLES))) >= MIN_SURPRISE;
  let i = lowerBound(series.t, tau);
  while (i < series.t.length && !(beyond(i) && persists(i))) i++;
  if (i >= series.t.length) return undefined;
  while (i > 0 && beyond(i - 1)) i--;
  return series.t[i];
}

/**
 * Unix s of the detected incident start, or undefined when the data holds no clear change. Only split
 * points within `span` are tried (by default the whole recording).
 */
export function detectIncidentStart(
  c: Case,
  span: DataSpan = { start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY, outliers: 0 },
): number | undefined {
  const times = sampleTimes(c, span);
  if (times.length < 2 * CANDIDATES * MIN_SIDE_SHARE) return undefined;
  const lo = Math.floor(times.length * MIN_SIDE_SHARE);
  const hi = Math.ceil(times.length * (1 - MIN_SIDE_SHARE));
  const candidates = [
    ...new Set(Array.from({ length: CANDIDATES + 1 }, (_, k) => times[lo + Math.floor(((hi - lo) * k) / CANDIDATES)])),
  ];
  const prepared = c.series.map(prepare);
  let bestIndex = -1;
  let best: SplitScore = { score: 0, contributions: [] };
  candidates.forEach((tau, index) => {
    const scored = scoreSplit(prepared, tau);
    if (scored.score > best.score) {
      best = scored;
      bestIndex = index;
    }
  });
  if (bestIndex < 0) return undefined;
  // The best split lies near the change: refine it from each leading series' own departure.
  const tau = candidates[bestIndex];
  const onsets = best.contributions
    .sort((a, b) => b.strength - a.strength)
    .slice(0, LEADING_SERIES)
    .map(({ prepared: p, fit }) => onsetOf(p, fit, tau))
    .filter((t): t is number => t !== undefined);
  return onsets.length ? median(onsets) : candidates[bestIndex];
}

/**
 * The alert time when none is given: the detected incident start, else the middle of the recording;
 * with one line saying which span was searched and what was found, for the person to check.
 */
export function chooseIncidentStart(c: Case, span: DataSpan): { at: number; note: string } {
  const detected = detectIncidentStart(c, span);
  const at = detected ?? (span.start + span.end) / 2;
  const searched = `searched ${toIso(span.start)} → ${toIso(span.end)}`;
  const strays = span.outliers > 0 ? ` (${span.outliers} records stamped far outside it were left out)` : "";
  const found =
    detected === undefined
      ? `no clear change, so the middle of the data, ${toIso(at)}, is taken as the incident start; give --at to choose`
      : `the incident starts at ${toIso(at)}`;
  return { at, note: `no --at given: ${searched}${strays}; ${found}` };
}
