/**
 * The reference baseline: BARO's RobustScorer root-cause step (Pham et al., "BARO: Robust Root
 * Cause Analysis for Microservices via Multivariate Bayesian Online Change Point Detection",
 * FSE 2024), given the anomaly time. Each metric series is scaled by the median and IQR of its
 * normal period; its score is the largest scaled deviation in the anomalous period; a service
 * scores its best series. It runs on the same Case our engine reads, in the same process.
 *
 * Two variants differ only where a series' IQR is zero and in the sign of a deviation:
 * - BARO_REFERENCE follows the authors' code (`robust_scorer` in phamquiluan/baro): scikit-learn's
 *   RobustScaler replaces a zero IQR by 1 in the series' own unit, memory columns are converted to
 *   MB first, and the score is the largest signed rise.
 * - BARO_EPSILON is the benchmark issue's description: |x - median| / IQR with a tiny epsilon for a
 *   zero IQR, which makes any move off a flat baseline score huge: the scorer's known weakness.
 */
import type { Case, Series } from "../src/case/model.js";
import { serviceOf } from "./metrics.js";

/**
 * The reference keeps the last 300 samples before the anomaly time as the normal period
 * (`read_data`, "cut the data into 10 mins" at its 1 s step).
 */
export const NORMAL_SAMPLES = 300;

/**
 * The reference's anomalous period is 300 samples at 1 s, i.e. 5 minutes. It is kept as a span of
 * time, not of samples, so that on minute-step data it does not run into the incidents that follow.
 */
export const ANOMALOUS_SPAN_S = 300;

export interface BaroVariant {
  /** The scale used when the normal period's IQR is zero. */
  zeroIqrScale: number;
  /** Score only rises (the reference's signed max) rather than moves either way. */
  risesOnly: boolean;
  /** Divide memory series by 1e6 first, as the reference's `convert_mem_mb` does. */
  memoryInMb: boolean;
}

/** The reference's memory columns: names ending in `_mem` (here the series' metric name `mem`). */
const MEMORY_METRIC = /(^|_)mem$/;
const BYTES_PER_MB = 1e6;

export const BARO_REFERENCE: BaroVariant = { zeroIqrScale: 1, risesOnly: true, memoryInMb: true };

/** A zero IQR becomes this tiny scale: small enough that any change on a flat baseline dominates. */
export const ZERO_IQR_EPSILON = 1e-9;
export const BARO_EPSILON: BaroVariant = { zeroIqrScale: ZERO_IQR_EPSILON, risesOnly: false, memoryInMb: false };

export interface ServiceScore {
  service: string;
  score: number;
  /** The series that gave the service its score. */
  metric: string;
}

/** Services ranked best first by their highest-scoring series; series it cannot score are left out. */
export function baroRank(c: Case, at: number, variant: BaroVariant = BARO_REFERENCE): ServiceScore[] {
  const best = new Map<string, ServiceScore>();
  for (const series of c.series) {
    const score = robustScore(series, at, variant);
    if (score === undefined) continue;
    const service = serviceOf(series.entity);
    const current = best.get(service);
    if (current === undefined || score > current.score) best.set(service, { service, score, metric: series.metric });
  }
  return [...best.values()].sort((a, b) => b.score - a.score || a.service.localeCompare(b.service));
}

/**
 * The largest scaled deviation over the anomalous period, with median and IQR fitted on the normal
 * period. Undefined when a period is empty or constant: the reference drops constant columns from
 * each period before scoring.
 */
export function robustScore(series: Series, at: number, variant: BaroVariant = BARO_REFERENCE): number | undefined {
  const { normal, anomalous } = splitAt(series, at);
  if (isConstant(normal) || isConstant(anomalous)) return undefined;
  const unit = variant.memoryInMb && MEMORY_METRIC.test(series.metric) ? BYTES_PER_MB : 1;
  const sorted = normal.map((v) => v / unit).sort((a, b) => a - b);
  const centre = quantile(sorted, 0.5);
  const iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
  const scale = iqr > 0 ? iqr : variant.zeroIqrScale;
  let score = Number.NEGATIVE_INFINITY;
  for (const raw of anomalous) {
    const deviation = raw / unit - centre;
    score = Math.max(score, (variant.risesOnly ? deviation : Math.abs(deviation)) / scale);
  }
  return score;
}

/** Finite samples of the normal period (before `at`) and the anomalous period (from `at`). */
function splitAt(series: Series, at: number): { normal: number[]; anomalous: number[] } {
  const normal: number[] = [];
  const anomalous: number[] = [];
  for (let i = 0; i < series.t.length; i++) {
    const t = series.t[i];
    const v = series.v[i];
    if (!Number.isFinite(v)) continue;
    if (t < at) normal.push(v);
    else if (t < at + ANOMALOUS_SPAN_S) anomalous.push(v);
  }
  return { normal: normal.slice(-NORMAL_SAMPLES), anomalous };
}

/** Empty counts as constant: there is nothing to scale by or to score. */
function isConstant(values: readonly number[]): boolean {
  return values.every((v) => v === values[0]);
}

/** Quantile with linear interpolation between closest ranks (numpy's default), of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}
