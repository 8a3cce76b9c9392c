/** The accuracy benchmark's result shapes, their aggregation into rows, and the stdout report. */
import type { Cause } from "../src/diagnosis/types.js";
import type { PreFaultLikeness } from "./ceiling.js";
import type { Protocol } from "./datasets.js";
import { PROTOCOL_TITLES } from "./datasets.js";
import { median, type Outcome, ratioText, type Scores, scoresOf } from "./metrics.js";
import type { Published } from "./published.js";

/** One case under one protocol: what was expected and what each method answered. */
export interface CaseResult {
  dataset: string;
  case: string;
  protocol: Protocol;
  fault: string;
  expected: { service: string; kind: string };
  /** The time passed to our engine (unix s); null under "no time". */
  at: number | null;
  /** The known-good files passed as the baseline (`--baseline-from`), under the reference protocol. */
  baseline_from?: string[];
  /** Per-case protocol, code faults: how far the pre-fault minute already looked like the fault (bench/ceiling.ts). */
  pre_fault?: PreFaultLikeness;
  ours: {
    top5: { entity: string; kind: string; confidence: number; calibration?: Cause["calibration"] }[];
    /** 1-based rank of the true service among all returned causes; null when absent. */
    rank: number | null;
    /** timing.read_ms + timing.analyze_ms of the diagnosis; null when the analysis threw. */
    time_ms: number | null;
    alert_time?: string;
    error?: string;
  };
  /** null when BARO could not run: no time under the "no time" protocol. */
  baro: {
    at: number;
    /** BARO_REFERENCE (the authors' code). */
    reference: BaroAnswer;
    /** BARO_EPSILON (the description, epsilon for a zero IQR). */
    epsilon: BaroAnswer;
    /** Scoring time of both variants; the Case is read once per case and shared by its protocols. */
    score_ms: number;
    error?: string;
  } | null;
}

export interface BaroAnswer {
  top5: { service: string; score: number; metric: string }[];
  rank: number | null;
}

export interface Row {
  dataset: string;
  /** A source fault name, or "all". */
  fault: string;
  protocol: Protocol;
  ours: Scores;
  /** null unless BARO ran on every case of the row. */
  baro: Scores | null;
  baro_epsilon: Scores | null;
  baro_ran: number;
  /** Our AC@1 over BARO's (reference variant), as text. */
  ac1_ratio: string;
  ac1_ratio_epsilon: string;
  /** Median of our read + analyze time over the row's analyses, ms (NaN when none ran). */
  median_ms: number;
}

export const ALL_FAULTS = "all";

function outcome(rank: number | null, expectedKind: string, topKind?: string): Outcome {
  return { rank: rank ?? undefined, expectedKind, topKind };
}

/** Rows per fault type (in order of first appearance) and "all", each under every protocol run. */
export function rowsOf(dataset: string, results: readonly CaseResult[]): Row[] {
  const faults = [...new Set(results.map((r) => r.fault)), ALL_FAULTS];
  const protocols = [...new Set(results.map((r) => r.protocol))];
  const rows: Row[] = [];
  for (const fault of faults) {
    for (const protocol of protocols) {
      const group = results.filter((r) => r.protocol === protocol && (fault === ALL_FAULTS || r.fault === fault));
      if (group.length === 0) continue;
      const ours = scoresOf(group.map((r) => outcome(r.ours.rank, r.expected.kind, r.ours.top5[0]?.kind)));
      const ran = group.filter((r) => r.baro !== null);
      const baroScores = (variant: "reference" | "epsilon") =>
        ran.length === group.length
          ? scoresOf(ran.map((r) => outcome(r.baro?.[variant].rank ?? null, r.expected.kind)))
          : null;
      const baro = baroScores("reference");
      const baroEpsilon = baroScores("epsilon");
      rows.push({
        dataset,
        fault,
        protocol,
        ours,
        baro,
        baro_epsilon: baroEpsilon,
        baro_ran: ran.length,
        ac1_ratio: ratioText(ours.ac1, baro?.ac1),
        ac1_ratio_epsilon: ratioText(ours.ac1, baroEpsilon?.ac1),
        median_ms: median(timesOf(group)),
      });
    }
  }
  return rows;
}

const fixed = (x: number) => x.toFixed(2);

function table(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const render = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [render(header), render(widths.map((w) => "-".repeat(w))), ...lines.map(render)].join("\n");
}

export function datasetBlock(dataset: string, cases: number, rows: readonly Row[], notes: readonly string[]): string {
  const header = [
    "fault",
    "protocol",
    "n",
    "AC@1",
    "AC@3",
    "Avg@5",
    "kind",
    "time",
    "BARO AC@1",
    "BARO AC@3",
    "BARO Avg@5",
    "BARO-ε AC@1",
    "ours/BARO",
    "ours/BARO-ε",
  ];
  const lines = rows.map((r) => [
    r.fault,
    PROTOCOL_TITLES[r.protocol],
    String(r.ours.n),
    fixed(r.ours.ac1),
    fixed(r.ours.ac3),
    fixed(r.ours.avg5),
    fixed(r.ours.kind),
    msText(r.median_ms),
    r.baro ? fixed(r.baro.ac1) : "n/a",
    r.baro ? fixed(r.baro.ac3) : "n/a",
    r.baro ? fixed(r.baro.avg5) : "n/a",
    r.baro_epsilon ? fixed(r.baro_epsilon.ac1) : "n/a",
    r.ac1_ratio,
    r.ac1_ratio_epsilon,
  ]);
  const notesText = notes.map((n) => `note: ${n}`);
  return [
    `== ${dataset} (${cases} cases): ours vs BARO (RobustScorer, same process, same files)`,
    table(header, lines),
    ...notesText,
  ].join("\n");
}

export const LEGEND = [
  "AC@1, AC@3, Avg@5 (mean of AC@1..AC@5), kind (top cause's kind = expected kind): ours, as fractions of n; time: our median read + analyze per case.",
  "BARO: RobustScorer as in the authors' code (zero IQR -> 1 in the series' unit, memory in MB, rises only).",
  "BARO-ε: the same with |deviation| and a 1e-9 scale for a zero IQR (the benchmark issue's description).",
  "ours/BARO, ours/BARO-ε: ratios of AC@1 (∞: BARO found none; n/a: BARO did not run or both are 0).",
].join("\n");

export function failuresBlock(results: readonly CaseResult[]): string {
  const failed = results.flatMap((r) => {
    const lines: string[] = [];
    if (r.ours.error) lines.push(`  ${r.dataset} ${r.case} [${r.protocol}] ours: ${r.ours.error}`);
    if (r.baro?.error) lines.push(`  ${r.dataset} ${r.case} [${r.protocol}] BARO: ${r.baro.error}`);
    return lines;
  });
  if (failed.length === 0) return "";
  return [`Failed analyses (counted as misses): ${failed.length}`, ...failed].join("\n");
}

export function publishedBlock(published: Readonly<Record<string, Published>>, datasets: readonly string[]): string {
  const parts = ["== Published (quoted, not re-measured)"];
  for (const dataset of datasets) {
    const p = published[dataset];
    if (!p) continue;
    parts.push(`${dataset}: ${p.source}`, `  protocol: ${p.protocol}`);
    if (p.rows.length > 0) {
      const lines = p.rows.map((r) => [r.method, r.data, r.as1.toFixed(2), r.as3.toFixed(2), r.as5.toFixed(2)]);
      parts.push(
        table(["method", "data", "AS@1 %", "AS@3 %", "AS@5 %"], lines)
          .split("\n")
          .map((l) => `  ${l}`)
          .join("\n"),
      );
    }
    parts.push(...p.notes.map((n) => `  note: ${n}`));
  }
  return parts.join("\n");
}

export interface Timing {
  cases_analysed: number;
  median_ms: number;
  max_ms: number;
  /** The time targets are per dataset (their cases differ a hundredfold in size). */
  per_dataset: { dataset: string; analyses: number; median_ms: number; max_ms: number }[];
  baro_read_median_ms: number;
  baro_score_median_ms: number;
  wall_ms: number;
}

function timesOf(results: readonly CaseResult[]): number[] {
  return results.flatMap((r) => (r.ours.time_ms === null ? [] : [r.ours.time_ms]));
}

const msText = (x: number) => (Number.isNaN(x) ? "n/a" : `${Math.round(x)} ms`);

export function timingOf(results: readonly CaseResult[], baroReadMs: readonly number[], wallMs: number): Timing {
  const times = timesOf(results);
  const datasets = [...new Set(results.map((r) => r.dataset))];
  return {
    cases_analysed: times.length,
    median_ms: median(times),
    max_ms: times.length > 0 ? Math.max(...times) : Number.NaN,
    per_dataset: datasets.map((dataset) => {
      const own = timesOf(results.filter((r) => r.dataset === dataset));
      return {
        dataset,
        analyses: own.length,
        median_ms: median(own),
        max_ms: own.length ? Math.max(...own) : Number.NaN,
      };
    }),
    baro_read_median_ms: median(baroReadMs),
    baro_score_median_ms: median(results.flatMap((r) => (r.baro ? [r.baro.score_ms] : []))),
    wall_ms: wallMs,
  };
}

export function timingBlock(t: Timing): string {
  return [
    "== Timing",
    `ours, per case (read + analyze, excluding process start), ${t.cases_analysed} analyses: median ${msText(t.median_ms)}, max ${msText(t.max_ms)}`,
    ...t.per_dataset.map(
      (d) => `  ${d.dataset}: ${d.analyses} analyses, median ${msText(d.median_ms)}, max ${msText(d.max_ms)}`,
    ),
    `BARO: read once per case, median ${msText(t.baro_read_median_ms)}; scoring per protocol, median ${msText(t.baro_score_median_ms)}`,
    `whole run (wall): ${(t.wall_ms / 1000).toFixed(1)} s`,
  ].join("\n");
}

/**
 * The per-case protocol's ceiling: the share of its cases whose labelled service did not already
 * behave, in the case's pre-fault minute, as in the fault minute (bench/ceiling.ts), with the cases
 * that did and whether we still found them. Empty when no per-case result was measured.
 */
export function ceilingBlock(results: readonly CaseResult[]): string {
  const perCase = results.filter((r) => r.protocol === "per-case");
  const measured = perCase.filter((r) => r.pre_fault !== undefined);
  if (measured.length === 0) return "";
  const already = measured.filter((r) => r.pre_fault?.already);
  const ceiling = (perCase.length - already.length) / perCase.length;
  const lines = already.map((r) => {
    const p = r.pre_fault as PreFaultLikeness;
    const found = r.ours.rank === 1 ? "found at rank 1" : `ours rank ${r.ours.rank ?? "-"}`;
    return `  ${r.dataset} ${r.case} ${r.expected.service} (${r.fault}): log mix pre→fault ${fixed(p.pre_to_fault)} vs reference→fault ${fixed(p.normal_to_fault)}; ${found}`;
  });
  return [
    `per-case ceiling: ${fixed(ceiling)} (${already.length} of ${perCase.length} cases' labelled service already wrote its fault-minute log mix in the pre-fault minute; ${measured.length} code-fault cases measured, bench/ceiling.ts):`,
    ...lines,
  ].join("\n");
}
