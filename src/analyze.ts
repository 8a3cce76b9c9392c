/** `analyze`: the library entry point; paths or a Case in, a Diagnosis out. The CLI is a thin layer over it. */
import type { Case } from "./case/model.js";
import { toIso } from "./case/time.js";
import { detectIncidentStart } from "./detect/incidentStart.js";
import { detectEvidence, incidentOnset } from "./detect/index.js";
import { BASELINE_OBSERVED_SECONDS, DEFAULT_INCIDENT_SECONDS, makeWindow } from "./detect/window.js";
import { buildDiagnosis } from "./diagnosis/build.js";
import type { Diagnosis } from "./diagnosis/types.js";
import { type ReadProgress, readCaseWithFormats } from "./read/index.js";
import { rankHypotheses } from "./reason/rank.js";

export interface AnalyzeOptions {
  /** Alert time, unix seconds; detected from the data when absent. */
  at?: number;
  /** Length of the incident window after `at`, seconds. */
  window?: number;
  /** Number of causes to report. */
  top?: number;
  /** List every input file in the Diagnosis, however many (by default only the first few, with totals per format). */
  listInputs?: boolean;
  onProgress?: (progress: ReadProgress) => void;
  /** For a Case read elsewhere (the live source): where its pieces came from, and how long reading took. */
  read?: { formats: { file: string; format: string }[]; ms: number };
}

/** Causes reported by default: enough to show the runner-ups a person would check next. */
const DEFAULT_TOP = 5;

/** First and last timestamp present anywhere in the Case. */
function dataSpan(c: Case): { start: number; end: number } {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  const see = (t: number) => {
    if (t < start) start = t;
    if (t > end) end = t;
  };
  for (const s of c.series) {
    if (s.t.length === 0) continue;
    see(s.t[0]);
    see(s.t[s.t.length - 1]);
  }
  for (const t of c.logs.templates) for (const b of t.counts.keys()) see(b);
  for (const s of c.spans) see(s.start);
  for (const e of c.events) see(e.t);
  return { start, end };
}

/** A Diagnosis with the Case it was made from, for reports that draw the series its evidence cites. */
export interface AnalyzedCase {
  diagnosis: Diagnosis;
  case: Case;
}

export async function analyze(input: string[] | Case, options: AnalyzeOptions = {}): Promise<Diagnosis> {
  return (await analyzeCase(input, options)).diagnosis;
}

export async function analyzeCase(input: string[] | Case, options: AnalyzeOptions = {}): Promise<AnalyzedCase> {
  const readStart = performance.now();
  const { case: c, formats } = Array.isArray(input)
    ? await readCaseWithFormats(input, { onProgress: options.onProgress })
    : { case: input, formats: options.read?.formats ?? input.sources.map((file) => ({ file, format: "case" })) };
  const readMs = (options.read?.ms ?? 0) + performance.now() - readStart;
  const analyzeStart = performance.now();
  const span = dataSpan(c);
  const at = options.at ?? detectIncidentStart(c) ?? (span.start + span.end) / 2;
  const window = makeWindow(at, options.window ?? DEFAULT_INCIDENT_SECONDS, Number.isFinite(span.end) ? span.end : at);
  const evidence = detectEvidence(c, window);
  const { ranked, graph, context } = rankHypotheses(c, evidence, window);
  const timing = { read_ms: Math.round(readMs), analyze_ms: 0 };
  const diagnosis = buildDiagnosis({
    c,
    window,
    alertTime: options.at,
    ranked,
    graph,
    context,
    top: options.top ?? DEFAULT_TOP,
    formats,
    listInputs: options.listInputs,
    timing,
  });
  const onset = incidentOnset(evidence, window);
  const end = onset ?? window.at;
  if (Number.isFinite(span.start) && Number.isFinite(end))
    diagnosis.baseline = {
      start: toIso(Math.max(span.start, end - BASELINE_OBSERVED_SECONDS)),
      end: toIso(end),
      why:
        onset !== undefined
          ? `the incident began at ${toIso(onset)}, before the alert (a resource check held from then on): normal is up to an hour of observed data before that; limits are judged against the start of the recording`
          : "up to an hour of observed data before the alert (the recording's gaps skipped); limits are judged against the start of the recording",
    };
  timing.analyze_ms = Math.round(performance.now() - analyzeStart);
  return { diagnosis, case: c };
}
