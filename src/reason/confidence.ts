/**
 * Confidence of the top causes. Until the benchmarks provide enough labelled outcomes to fit a calibration
 * curve, confidence is the cause's own strength shrunk by how closely the runner-up competes: a strong
 * cause with a close rival is a coin toss between them, and weak evidence never reaches 0.5.
 */
import type { Hypothesis } from "./rank.js";

/** Weight of separation from the runner-up in the confidence. */
const SEPARATION_WEIGHT = 0.5;

export function confidences(ranked: Hypothesis[]): number[] {
  return ranked.map((h, i) => {
    const rival = i === 0 ? (ranked[1]?.score ?? 0) : ranked[0].score;
    const separation = h.score > 0 ? Math.max(0, (h.score - rival) / h.score) : 0;
    const value = h.score * (1 - SEPARATION_WEIGHT + SEPARATION_WEIGHT * separation);
    return Math.round(Math.min(1, Math.max(0, value)) * 1000) / 1000;
  });
}
