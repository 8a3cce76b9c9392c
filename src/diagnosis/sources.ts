/**
 * The inputs, said compactly: one line per format with its file count and size. A case exported from
 * Prometheus as a thousand files is read in full, but a report lists a thousand names to no one.
 */
import { EXACT_UP_TO } from "../case/distinctCount.js";
import { FOLD_SERIES_PER_METRIC } from "../case/entityCap.js";
import type { Diagnosis, SourceSummary } from "./types.js";
import { formatNumber, formatQuantity } from "./units.js";

/** Files listed one by one up to this many; past it only the per-format totals are reported. */
export const LISTED_SOURCES = 20;

export interface ReadSource {
  file: string;
  format: string;
  /** Size on disk (compressed, if it was). */
  bytes?: number;
}

/** Per format, how many files and bytes, largest first. */
export function summarizeSources(sources: ReadSource[]): SourceSummary[] {
  const byFormat = new Map<string, SourceSummary>();
  for (const s of sources) {
    const entry = byFormat.get(s.format) ?? { format: s.format, files: 0, bytes: 0 };
    entry.files++;
    entry.bytes += s.bytes ?? 0;
    byFormat.set(s.format, entry);
  }
  return [...byFormat.values()].sort((a, b) => b.files - a.files || a.format.localeCompare(b.format));
}

/** `input.sources` and `input.source_summary`: every file when few or when asked, else the first LISTED_SOURCES. */
export function inputSources(
  sources: ReadSource[],
  listAll: boolean,
): Pick<Diagnosis["input"], "sources" | "source_summary"> {
  const shown = listAll ? sources : sources.slice(0, LISTED_SOURCES);
  return {
    sources: shown.map(({ file, format }) => ({ file, format })),
    source_summary: summarizeSources(sources),
  };
}

/** One line per format: "prometheus-query-range: 1,073 files, 45.2 MiB". Falls back to the listed files. */
export function sourceLines(input: Diagnosis["input"]): string[] {
  const summary = input.source_summary ?? summarizeSources(input.sources);
  return summary.map(
    (s) =>
      `${s.format}: ${formatNumber(s.files)} file${s.files === 1 ? "" : "s"}${s.bytes > 0 ? `, ${formatQuantity(s.bytes, "bytes")}` : ""}`,
  );
}

/** An estimate's significant figures as said in a report: the count is within about 2% (distinctCount.ts). */
const ESTIMATE_FIGURES = 3;

/**
 * One line per folded kind: "about 598,000 service names were beyond the cap of 10,000 (--max-entities):
 * folded into service:(folded), which is not named as a cause", and a second when the fold's series
 * went beyond their cap. Empty when nothing was folded.
 */
export function foldedLines(input: Diagnosis["input"]): string[] {
  return (input.folded ?? []).flatMap((f) => {
    const one = f.names === 1 && !f.estimated;
    const line = `${count(f.names, f.estimated)} ${f.kind} name${one ? " was" : "s were"} beyond the cap of ${formatNumber(f.cap)} (--max-entities): folded into ${f.into}, which is not named as a cause`;
    if (f.series_left_out === undefined) return [line];
    const series = count(f.series_left_out, f.series_left_out > EXACT_UP_TO);
    return [
      line,
      `${series} series of ${f.into} beyond ${formatNumber(FOLD_SERIES_PER_METRIC)} of one metric were left out`,
    ];
  });
}

/** A count as said in a report: an estimate to ESTIMATE_FIGURES figures, with "about". */
function count(n: number, estimated: boolean): string {
  return estimated ? `about ${formatNumber(Number(n.toPrecision(ESTIMATE_FIGURES)))}` : formatNumber(n);
}
