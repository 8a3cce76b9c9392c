/**
 * `npm run bench:calibrate`: fits the confidence map (src/reason/calibration.json) on labelled outcomes
 * and measures it on outcomes kept apart. The outcomes are the top causes recorded by the last
 * `bench:scenarios` and `bench:accuracy` runs (bench/results/*.json, with the features each confidence
 * was computed from). Each run or case falls in one of two folds by a hash of its name: the map is
 * fitted on one fold and its reliability printed for the other, then refitted on both for use.
 *
 * Exit codes: 0 fitted, 2 no results to fit on (run the two benchmarks first), 1 internal failure.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CONFIDENT_AT } from "../src/diagnosis/present.js";
import calibration from "../src/reason/calibration.json" with { type: "json" };
import { type ConfidenceFeatures, confidenceOf, type Weights } from "../src/reason/confidence.js";
import { type ConfidenceOutcome, reliabilityBlock } from "./calibration.js";

const RESULTS = fileURLToPath(new URL("../../bench/results/", import.meta.url));
const CALIBRATION_FILE = fileURLToPath(new URL("../../src/reason/calibration.json", import.meta.url));
/** Newton steps: the log-likelihood is concave, a few dozen converge to machine precision. */
const NEWTON_STEPS = 50;
/** A light ridge penalty keeps the weights finite when a feature separates the outcomes perfectly. */
const RIDGE = 0.1;
const FEATURES: (keyof ConfidenceFeatures)[] = ["score", "separation", "finding", "fault"];

interface Sample {
  id: string;
  features: ConfidenceFeatures;
  right: boolean;
  source: string;
  /** A simulated look-alike or healthy run: any cause at 0.5 or above blames it falsely. */
  innocent?: boolean;
}

function load(file: string): unknown {
  const path = `${RESULTS}${file}`;
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : undefined;
}

interface ScenarioRun {
  scenario: string;
  seed: number;
  class: string;
  top?: { calibration?: ConfidenceFeatures };
  entityRight: boolean;
  kindRight: boolean;
}

interface AccuracyCase {
  dataset: string;
  case: string;
  protocol: string;
  ours: { top5: { calibration?: ConfidenceFeatures }[]; rank: number | null };
}

function samples(): Sample[] {
  const out: Sample[] = [];
  const scenarios = load("scenarios.json") as { runs: ScenarioRun[] } | undefined;
  for (const r of scenarios?.runs ?? []) {
    if (!r.top?.calibration) continue;
    out.push({
      id: `${r.scenario}/${r.seed}`,
      features: r.top.calibration,
      right: r.entityRight && r.kindRight,
      source: "scenarios",
      innocent: r.class !== "incident",
    });
  }
  const accuracy = load("accuracy.json") as { cases: AccuracyCase[] } | undefined;
  for (const r of accuracy?.cases ?? []) {
    const top = r.ours.top5[0]?.calibration;
    // A case's protocols share its data: they fall in the same fold.
    if (top) out.push({ id: `${r.dataset}/${r.case}`, features: top, right: r.ours.rank === 1, source: r.dataset });
  }
  return out;
}

/** FNV-1a of the run or case name: its fold does not depend on the order results were written in. */
function fold(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h & 1;
}

function vector(f: ConfidenceFeatures): number[] {
  return [1, ...FEATURES.map((k) => f[k])];
}

/** Ridge-penalised logistic regression by Newton's method. */
/**
 * Each source (the simulator, each public dataset) weighs the same in the fit: otherwise the largest
 * dataset, whose top causes are nearly always right, would teach the map that nothing is ever wrong.
 */
function sourceWeights(train: Sample[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of train) counts.set(s.source, (counts.get(s.source) ?? 0) + 1);
  return new Map([...counts].map(([source, n]) => [source, train.length / (counts.size * n)]));
}

function fit(train: Sample[]): Weights {
  const d = FEATURES.length + 1;
  const weightOf = sourceWeights(train);
  let w = new Array<number>(d).fill(0);
  for (let step = 0; step < NEWTON_STEPS; step++) {
    const grad = w.map((wi, j) => (j === 0 ? 0 : RIDGE * wi));
    const hess = Array.from({ length: d }, (_, i) =>
      Array.from({ length: d }, (_, j) => (i === j && i > 0 ? RIDGE : 0)),
    );
    for (const s of train) {
      const x = vector(s.features);
      const p = 1 / (1 + Math.exp(-x.reduce((sum, xi, j) => sum + xi * w[j], 0)));
      const y = s.right ? 1 : 0;
      const k = weightOf.get(s.source) ?? 1;
      for (let i = 0; i < d; i++) {
        grad[i] += k * (p - y) * x[i];
        for (let j = 0; j < d; j++) hess[i][j] += k * p * (1 - p) * x[i] * x[j] + (i === j ? 1e-9 : 0);
      }
    }
    w = w.map((wi, i) => wi - solve(hess, grad)[i]);
  }
  return { bias: w[0], score: w[1], separation: w[2], finding: w[3], fault: w[4] };
}

/** Gaussian elimination with partial pivoting: the Newton step H⁻¹g. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = 0; r < n; r++) {
      if (r === col || m[col][col] === 0) continue;
      const factor = m[r][col] / m[col][col];
      for (let c = col; c <= n; c++) m[r][c] -= factor * m[col][c];
    }
  }
  return m.map((row, i) => (row[i] === 0 ? 0 : row[n] / row[i]));
}

function outcomes(list: Sample[], w: Weights): ConfidenceOutcome[] {
  return list.map((s) => ({ confidence: confidenceOf(s.features, w), right: s.right }));
}

function main(): void {
  const all = samples();
  if (all.length === 0) {
    process.stderr.write(
      "bench:calibrate: no results with calibration features: run npm run bench:scenarios and npm run bench:accuracy first\n",
    );
    process.exit(2);
  }
  const current = calibration.weights as Weights;
  process.stdout.write(
    reliabilityBlock("every outcome under the map in use (src/reason/calibration.json)", outcomes(all, current)),
  );
  const innocentAll = all.filter((s) => s.innocent);
  const blamedNow = innocentAll.filter((s) => confidenceOf(s.features, current) >= CONFIDENT_AT).length;
  process.stdout.write(`look-alike and healthy runs blamed under it: ${blamedNow} of ${innocentAll.length}\n\n`);
  const train = all.filter((s) => fold(s.id) === 0);
  const test = all.filter((s) => fold(s.id) === 1);
  const weights = fit(train);
  const bySource = [...new Set(all.map((s) => s.source))].map(
    (src) => `${src} ${all.filter((s) => s.source === src).length}`,
  );
  process.stdout.write(
    `outcomes: ${all.length} (${bySource.join(", ")}); fit on ${train.length}, measured on ${test.length} kept apart\n\n`,
  );
  process.stdout.write(reliabilityBlock("held-out fold, map fitted on the other fold", outcomes(test, weights)));
  const final = fit(all);
  const innocent = test.filter((s) => s.innocent);
  const blamed = innocent.filter((s) => confidenceOf(s.features, weights) >= CONFIDENT_AT).length;
  process.stdout.write(
    `held-out look-alike and healthy runs blamed (a cause at ${CONFIDENT_AT} or above): ${blamed} of ${innocent.length}\n`,
  );
  writeFileSync(
    CALIBRATION_FILE,
    `${JSON.stringify(
      {
        description:
          "Logistic map from a cause's features to its confidence, fitted by `npm run bench:calibrate` on labelled outcomes (simulator runs and the public datasets); see that script for the folds.",
        weights: Object.fromEntries(Object.entries(final).map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
        fitted_on: { date: new Date().toISOString().slice(0, 10), outcomes: all.length, sources: bySource },
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\nwrote ${CALIBRATION_FILE}: ${JSON.stringify(final)}\n`);
}

main();
