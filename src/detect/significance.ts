/**
 * Statistical significance on one scale for every detector: −log10 of a p-value under "nothing changed".
 * Series, log counts and span timings each get the test that fits them, so that a flat baseline's
 * inflated σ and a handful of one-minute samples cannot outshout a well-supported count change.
 */

/** Lanczos approximation of ln Γ(x), x > 0 (g = 7, 9 terms): accurate to ~1e-15, enough for tail sums. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** log10 of Σ exp(terms), computed stably. */
function log10SumExp(lnTerms: number[]): number {
  const max = Math.max(...lnTerms);
  if (!Number.isFinite(max)) return Number.NEGATIVE_INFINITY;
  const sum = lnTerms.reduce((s, t) => s + Math.exp(t - max), 0);
  return (max + Math.log(sum)) / Math.LN10;
}

/** −log10 P(X ≥ k) for X ~ Binomial(m, p). */
export function binomialUpperTail(k: number, m: number, p: number): number {
  if (k <= 0) return 0;
  if (p <= 0) return Number.POSITIVE_INFINITY;
  const terms: number[] = [];
  for (let j = k; j <= m; j++) {
    terms.push(lnGamma(m + 1) - lnGamma(j + 1) - lnGamma(m - j + 1) + j * Math.log(p) + (m - j) * Math.log1p(-p));
  }
  return -log10SumExp(terms);
}

/** Terms summed beyond the mode of a Poisson tail: after this many they no longer change the sum. */
const POISSON_TAIL_TERMS = 200;

/** −log10 P(X ≥ n) for X ~ Poisson(λ). */
export function poissonUpperTail(n: number, lambda: number): number {
  if (n <= 0) return 0;
  const terms: number[] = [];
  for (let j = n; j < n + POISSON_TAIL_TERMS; j++) terms.push(-lambda + j * Math.log(lambda) - lnGamma(j + 1));
  return Math.max(0, -log10SumExp(terms));
}

/** −log10 P(X ≤ n) for X ~ Poisson(λ). */
export function poissonLowerTail(n: number, lambda: number): number {
  const terms: number[] = [];
  for (let j = 0; j <= n; j++) terms.push(-lambda + j * Math.log(lambda) - lnGamma(j + 1));
  return Math.max(0, -log10SumExp(terms));
}

/** −log10 of the upper tail of a standard normal at z (Mills-ratio bound; exact enough for z > 1). */
export function normalUpperTail(z: number): number {
  if (z <= 0) return 0;
  const ln = -0.5 * z * z - Math.log(z * Math.sqrt(2 * Math.PI)) + Math.log1p(-1 / (z * z + 2));
  return Math.max(0, -ln / Math.LN10);
}

/**
 * Significance of incident samples beyond a fence, free of distribution assumptions: the chance that one
 * sample lies beyond it when nothing changed is estimated from the baseline itself, (b + 1) / (n + 2) for
 * b of n baseline samples beyond (a spiky baseline earns its spikes no significance; a clean one is
 * judged strictly); k of m incident samples beyond is a binomial tail.
 *
 * `margin` says how far past everything in the baseline a sample lies, as a multiple of the baseline's own
 * extreme (0 when within it). Under a heavy-tailed null (a Pareto tail of index 1, the most forgiving
 * usual assumption) a sample r times past the extreme is 1 + r times rarer again, so the typical margin of
 * the exceeding samples lowers the per-sample chance: a delay from 3 ms to 2 s counts for more than a
 * blip just past the fence, even with few samples.
 *
 * The samples are the first `baselineCount` and `incidentCount` values of the arrays, all finite, in
 * any order (the callers' working copies, so that none is made here).
 */
export function exceedanceSignificance(
  baseline: ArrayLike<number>,
  incident: ArrayLike<number>,
  beyond: (value: number) => boolean,
  margin: (value: number) => number = () => 0,
  baselineCount = baseline.length,
  incidentCount = incident.length,
): number {
  if (baselineCount === 0 || incidentCount === 0) return 0;
  let baselineBeyond = 0;
  for (let j = 0; j < baselineCount; j++) if (beyond(baseline[j])) baselineBeyond++;
  const margins: number[] = [];
  for (let j = 0; j < incidentCount; j++) if (beyond(incident[j])) margins.push(margin(incident[j]));
  margins.sort((x, y) => x - y);
  const typicalMargin = margins.length ? margins[margins.length >> 1] : 0;
  return binomialUpperTail(
    margins.length,
    incidentCount,
    (baselineBeyond + 1) / (baselineCount + 2) / (1 + typicalMargin),
  );
}

/** −log10 p at which evidence is taken as certain: beyond it, more significance adds nothing. */
const FULL_SIGNIFICANCE = 10;
/** −log10 p below which a change is not evidence (p > 0.001). */
export const MIN_SIGNIFICANCE = 3;

/** Significance as a strength in 0..1, linear in −log10 p between MIN_SIGNIFICANCE and FULL_SIGNIFICANCE. */
export function significanceStrength(log10p: number): number {
  if (!(log10p > MIN_SIGNIFICANCE)) return 0;
  return Math.min(1, log10p / FULL_SIGNIFICANCE);
}

/**
 * −log10 p of a count change, signed: positive when `incident` surged over `baselineCount × ratio`,
 * negative when it dropped. A surge is judged against one pseudo-occurrence more than the baseline had,
 * so a line never seen in a short baseline is surprising in proportion to the volume around it, not
 * infinitely.
 */
export function countChangeSignificance(incident: number, baselineCount: number, ratio: number): number {
  const surge = poissonUpperTail(incident, (baselineCount + 1) * ratio);
  const drop = baselineCount > 0 ? poissonLowerTail(incident, baselineCount * ratio) : 0;
  return surge >= drop ? surge : -drop;
}
