/** One scale of strength for every detector: how many robust σ (or σ-like units) of surprise. */

/** Surprise below this many σ is noise, not evidence (3σ: the usual outlier fence). */
export const MIN_SURPRISE = 3;
/**
 * Surprise at which strength reaches 1. The scale floors bound a change from a flat baseline near 1000σ,
 * so strength grows with the order of magnitude of the surprise across its whole reachable range.
 */
const FULL_SURPRISE = 1000;

/** log-scaled, so that 10σ vs 100σ vs 1000σ stay apart rather than all saturating. */
export function strengthOf(surprise: number): number {
  if (!(surprise > 0)) return 0;
  return Math.min(1, Math.log1p(surprise) / Math.log1p(FULL_SURPRISE));
}
