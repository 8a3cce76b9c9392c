/**
 * The `index.json` that `beneath export` writes beside its query_range files: what was pulled, from
 * where, and what was left out. It holds no samples; reading it restores the notes of what was left
 * out, so the exported incident is diagnosed with the same `input.skipped` as the live run.
 */
import { isObject } from "./jsonDocument.js";
import { streamNestedRecords } from "./jsonItems.js";
import { type CaseSink, ReadError, type Reader, type ReaderInput } from "./types.js";

export const EXPORT_INDEX_SCHEMA = "beneath.export/v1";
/** Its name in an export folder. */
export const EXPORT_INDEX_FILE = "index.json";

export interface ExportIndex {
  schema: typeof EXPORT_INDEX_SCHEMA;
  /** The server, without credentials. */
  source: string;
  exported_at: string;
  start: string;
  end: string;
  step_seconds: number;
  alert_time?: string;
  window_seconds: number;
  match: string[];
  max_series: number;
  series_discovered: number;
  series_pulled: number;
  metrics: { name: string; file: string; query: string; series: number }[];
  left_out: { name: string; series: number }[];
  not_examined: string[];
  skipped: { where: string; reason: string }[];
  /** Copies of the files analysed beside the answers (logs, Kubernetes objects), relative to the index. */
  added_files?: string[];
}

/** The schema tag is this format's own: a head that has it is an index. */
const INDEX_CONFIDENCE = 0.99;

function sniff(head: string): number {
  return new RegExp(`"schema"\\s*:\\s*"${EXPORT_INDEX_SCHEMA.replace(/[./]/g, "\\$&")}"`).test(head)
    ? INDEX_CONFIDENCE
    : 0;
}

function read(input: ReaderInput, sink: CaseSink): Promise<void> {
  return streamNestedRecords(
    input,
    sink,
    {
      levels: [["skipped"]],
      records(notes, first) {
        notes.forEach((note, i) => {
          if (!isObject(note) || typeof note.where !== "string" || typeof note.reason !== "string")
            throw new ReadError(input.file, `skipped[${first + i}]`, "an object with string fields where and reason");
          sink.skip(note.where, note.reason);
        });
      },
      done(document) {
        if (!isObject(document) || !Array.isArray(document.skipped))
          throw new ReadError(input.file, "skipped", "an array of {where, reason} notes");
      },
    },
    `a ${EXPORT_INDEX_SCHEMA} index`,
  );
}

export const exportIndexReader: Reader = { format: "beneath-export-index", sniff, read };
