/** `analyze`: the library entry point; paths or a Case in, a Diagnosis out. The CLI is a thin layer over it. */
import { DEFAULT_TOP } from "./analyzeDefaults.js";
import type { Case } from "./case/model.js";
import { toIso } from "./case/time.js";
import { assertHasData, assertWindowHasData, dataSpan } from "./detect/dataSpan.js";
import { EPISODE_FACTOR, episodeStretches } from "./detect/episodes.js";
import { chooseIncidentStart } from "./detect/incidentStart.js";
import { detectEvidence } from "./detect/index.js";
import {
  BASELINE_OBSERVED_SECONDS,
  DEFAULT_INCIDENT_SECONDS,
  MIN_BASELINE_SAMPLES,
  makeWindow,
} from "./detect/window.js";
import { buildDiagnosis } from "./diagnosis/build.js";
import type { Diagnosis } from "./diagnosis/types.js";
import { type ReadProgress, readCaseWithFormats } from "./read/index.js";
import type { ReadLimits } from "./read/types.js";
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
  /** Caps on each file read (content size, reading time); DEFAULT_READ_LIMITS for those not given. */
  limits?: Partial<ReadLimits>;
  /** Distinct entities of a kind kept before the rest are folded into one (DEFAULT_MAX_ENTITIES when absent). */
  maxEntities?: number;
  /** One line for the person running it, beside the Diagnosis (the CLI prints it on stderr). */
  onNote?: (note: string) => void;
  /**
   * A known-good stretch (unix s) to judge the incident against instead of the hour before its onset,
   * with what named it; `baselineFrom` finds one from files.
   */
  baseline?: NamedBaseline;
  /** For a Case read elsewhere (the live source): where its pieces came from, and how long reading took. */
  read?: { formats: { file: string; format: string }[]; ms: number };
}

export interface NamedBaseline {
  start: number;
  end: number;
  /** How the user named it, for the Diagnosis: "--baseline", "the files given by --baseline-from". */
  namedBy: string;
}

/**
 * The stretch of time files of known-good data cover, as a baseline: read on their own first, since the
 * Case they join mixes them with the incident's data.
 */
export async function baselineFrom(paths: string[]): Promise<NamedBaseline> {
  const { case: c, formats } = await readCaseWithFormats(paths);
  const span = dataSpan(c);
  assertHasData(span, formats);
  return { start: span.start, end: span.end + 1e-9, namedBy: `the files given as known-good (${paths.join(", ")})` };
}

export { DEFAULT_TOP };

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
    ? await readCaseWithFormats(input, {
        onProgress: options.onProgress,
        limits: options.limits,
        maxEntities: options.maxEntities,
      })
    : { case: input, formats: options.read?.formats ?? input.sources.map((file) => ({ file, format: "case" })) };
  const readMs = (options.read?.ms ?? 0) + performance.now() - readStart;
  const analyzeStart = performance.now();
  const span = dataSpan(c);
  assertHasData(span, formats);
  const incidentSeconds = options.window ?? DEFAULT_INCIDENT_SECONDS;
  if (options.at !== undefined) assertWindowHasData(c, span, options.at, incidentSeconds);
  let at = options.at;
  if (at === undefined) {
    const chosen = chooseIncidentStart(c, span);
    options.onNote?.(chosen.note);
    at = chosen.at;
  }
  const window = makeWindow(at, incidentSeconds, span.end);
  if (options.baseline) {
    window.baselineStart = options.baseline.start;
    window.baselineEnd = options.baseline.end;
    window.baselineGiven = true;
  }
  const { evidence, judged } = detectEvidence(c, window);
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
  const onset = options.baseline ? undefined : judged.baselineEnd;
  const end = onset ?? window.at;
  if (options.baseline)
    diagnosis.baseline = {
      start: toIso(options.baseline.start),
      end: toIso(options.baseline.end),
      why: `named by ${options.baseline.namedBy}: the incident is judged against it; series with fewer than ${MIN_BASELINE_SAMPLES} samples in it fall back to the hour before the alert`,
    };
  else if (Number.isFinite(span.start) && Number.isFinite(end))
    diagnosis.baseline = {
      start: toIso(Math.max(span.start, end - BASELINE_OBSERVED_SECONDS)),
      end: toIso(end),
      why:
        onset !== undefined
          ? `the incident began at ${toIso(onset)}, before the alert (a resource check held from then on): normal is up to an hour of observed data before that; limits are judged against the start of the recording`
          : "up to an hour of observed data before the alert (the recording's gaps skipped); limits are judged against the start of the recording",
    };
  const leftOut = episodeStretches(judged.episodes ?? new Map());
  if (diagnosis.baseline && leftOut.length > 0) {
    diagnosis.baseline.why += `; minutes in which an entity was itself unhealthy (errors or call times ${EPISODE_FACTOR}× its ordinary minute: an earlier fault) are left out of its normal`;
    diagnosis.baseline.left_out = leftOut.map((s) => ({ entity: s.entity, start: toIso(s.start), end: toIso(s.end) }));
  }
  timing.analyze_ms = Math.round(performance.now() - analyzeStart);
  return { diagnosis, case: c };
}
