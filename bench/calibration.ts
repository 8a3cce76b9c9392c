/**
 * Does a confidence mean what it says? Pools the top causes of a benchmark run and prints a reliability
 * table (per confidence band: how many, the mean confidence, how often right) with the expected
 * calibration error (ECE: the gap between confidence and accuracy, weighted by how many fall in each band).
 */

export interface ConfidenceOutcome {
  confidence: number;
  /** The cause was the truth (entity, and kind where the benchmark asks for it); false for any cause on a healthy case. */
  right: boolean;
}

/** Ten bands of 0.1: fine enough to see a slope, coarse enough to hold a few causes each. */
const BANDS = 10;

export interface Reliability {
  bands: { from: number; to: number; n: number; meanConfidence: number; accuracy: number }[];
  ece: number;
  n: number;
}

export function reliability(outcomes: readonly ConfidenceOutcome[]): Reliability {
  const bands = Array.from({ length: BANDS }, (_, k) => ({
    from: k / BANDS,
    to: (k + 1) / BANDS,
    sum: 0,
    right: 0,
    n: 0,
  }));
  for (const o of outcomes) {
    const band = bands[Math.min(BANDS - 1, Math.floor(o.confidence * BANDS))];
    band.n++;
    band.sum += o.confidence;
    if (o.right) band.right++;
  }
  const n = outcomes.length;
  let ece = 0;
  const rows = bands.map((b) => {
    const meanConfidence = b.n > 0 ? b.sum / b.n : Number.NaN;
    const accuracy = b.n > 0 ? b.right / b.n : Number.NaN;
    if (b.n > 0) ece += (b.n / n) * Math.abs(meanConfidence - accuracy);
    return { from: b.from, to: b.to, n: b.n, meanConfidence, accuracy };
  });
  return { bands: rows, ece: n > 0 ? ece : Number.NaN, n };
}

export function reliabilityBlock(title: string, outcomes: readonly ConfidenceOutcome[]): string {
  const r = reliability(outcomes);
  const lines = [`== Calibration: ${title} (${r.n} top causes)`, "confidence   n  mean conf.  right"];
  for (const b of r.bands) {
    if (b.n === 0) continue;
    lines.push(
      `${b.from.toFixed(1)}-${b.to.toFixed(1)}  ${String(b.n).padStart(4)}  ${b.meanConfidence.toFixed(2).padStart(10)}  ${b.accuracy.toFixed(2).padStart(5)}`,
    );
  }
  lines.push(`expected calibration error (ECE): ${Number.isNaN(r.ece) ? "-" : r.ece.toFixed(3)}`);
  return `${lines.join("\n")}\n`;
}
