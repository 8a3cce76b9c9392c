/**
 * Confidence of the causes: a logistic map of what tells a right answer from a wrong one — the cause's
 * score, how far it stands from its nearest rival, whether named checks (a resource at its limit, a node
 * that vanished) or only statistics support it, and whether it shows a fault at all. The weights are
 * data (calibration.json), fitted on labelled outcomes by `npm run bench:calibrate`, so that causes
 * given 70% are right about 70% of the time.
 */
import calibration from "./calibration.json" with { type: "json" };
import type { Hypothesis } from "./rank.js";

export interface ConfidenceFeatures {
  /** The cause's score, 0..1. */
  score: number;
  /** (score − nearest rival's score) / score: 0 for a tie, 1 with no rival. */
  separation: number;
  /** 1 when a checked kind (a limit, a lifecycle) proposed it, else 0. */
  finding: number;
  /** 1 when its evidence shows a failure, a slowdown or a resource pushed past its normal, else 0. */
  fault: number;
}

export type Weights = Record<"bias" | keyof ConfidenceFeatures, number>;

export function featuresOf(ranked: Hypothesis[], i: number): ConfidenceFeatures {
  const h = ranked[i];
  const rival = i === 0 ? (ranked[1]?.score ?? 0) : ranked[0].score;
  return {
    score: h.score,
    separation: h.score > 0 ? Math.max(0, (h.score - rival) / h.score) : 0,
    finding: h.finding ? 1 : 0,
    fault: h.finding || h.fault ? 1 : 0,
  };
}

/**
 * The most a cause showing no fault (only more volume, a different mix, housekeeping) may be given: below
 * the 0.5 at which a cause is named (DESIGN.md principle 3). Standing alone, with nothing to rival it,
 * does not make a busier service a broken one.
 */
export const NO_FAULT_CEILING = 0.45;

export function confidenceOf(f: ConfidenceFeatures, w: Weights = calibration.weights): number {
  const z = w.bias + w.score * f.score + w.separation * f.separation + w.finding * f.finding + w.fault * f.fault;
  const p = 1 / (1 + Math.exp(-z));
  return f.fault === 0 ? Math.min(p, NO_FAULT_CEILING) : p;
}

/** Confidences rounded to 0.001, best first; a cause tied with its rival keeps below the top's. */
export function confidences(ranked: Hypothesis[]): number[] {
  return ranked.map((_, i) => Math.round(confidenceOf(featuresOf(ranked, i)) * 1000) / 1000);
}
