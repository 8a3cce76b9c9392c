/** The live source (DESIGN.md, layout): diagnose straight from a Prometheus-compatible server, or export from it. */
import { type AnalyzedCase, type AnalyzeOptions, analyzeCase } from "../analyze.js";
import { buildLiveCase } from "./liveCase.js";
import { type LiveSourceOptions, type Pull, pullIncident } from "./pull.js";

export { LiveError } from "./errors.js";
export { type AddedFiles, assertExportFolderFree, writeExport } from "./exportFiles.js";
export { DEFAULT_MAX_SERIES, type LiveSourceOptions, type Pull, pullIncident } from "./pull.js";

export interface LiveAnalysis extends AnalyzedCase {
  pull: Pull;
}

/** Output choices for a live analysis: as for files (how many causes, whether to list every input). */
export type LiveAnalyzeOptions = Pick<AnalyzeOptions, "top" | "listInputs" | "baseline" | "maxEntities">;

/** Pulls the incident, adds the files in `paths` (logs, Kubernetes objects), and diagnoses it. */
export async function analyzeLive(
  source: LiveSourceOptions,
  paths: string[] = [],
  options: LiveAnalyzeOptions = {},
): Promise<LiveAnalysis> {
  const pull = await pullIncident(source);
  const began = performance.now();
  const live = await buildLiveCase(pull, paths, options.maxEntities);
  const analyzed = await analyzeCase(live.case, {
    ...options,
    at: source.at,
    window: source.window,
    read: { formats: live.formats, ms: pull.ms + performance.now() - began },
  });
  return { ...analyzed, pull };
}
