/**
 * Saves a lab run as `beneath export` saves an incident (src/live): each metric's `query_range` answer
 * from the lab's Prometheus, its `index.json`, and the pods' logs (gzipped) under `logs/`.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { type LiveSourceOptions, pullIncident, writeExport } from "../live/index.js";
import type { ExportIndex } from "../read/exportIndex.js";

/** Series pulled at most: far above the few thousand a lab run has, so nothing is left out. */
const LAB_MAX_SERIES = 50_000;
/** Prometheus on loopback answers within seconds; retries cover a busy machine. */
const HTTP = { timeoutMs: 30_000, retries: 2, backoffMs: 500, headers: {} };

/** Gzips every file of `fromDir` into `toDir` (a run's JSON-lines logs shrink tenfold); returns the copies. */
async function gzipLogs(fromDir: string, toDir: string): Promise<string[]> {
  await mkdir(toDir, { recursive: true });
  const copies: string[] = [];
  for (const file of (await readdir(fromDir)).sort()) {
    const copy = join(toDir, `${file}.gz`);
    await pipeline(createReadStream(join(fromDir, file)), createGzip(), createWriteStream(copy));
    copies.push(copy);
  }
  return copies;
}

export interface RecordOptions {
  prometheusUrl: string;
  /** The alert (unix s): the export keeps the hour before it and everything up to `end`. */
  alertTime: number;
  end: number;
  stepSeconds: number;
  logDir: string;
  /** Where the gzipped logs are staged before they are copied into the export. */
  scratch: string;
  caseDir: string;
}

/** The lab's Prometheus as the live source, from the hour before the alert to the run's end: what is recorded and what is diagnosed live. */
export function labSource(
  options: Pick<RecordOptions, "prometheusUrl" | "alertTime" | "end" | "stepSeconds">,
): LiveSourceOptions {
  return {
    url: new URL(options.prometheusUrl),
    http: HTTP,
    at: options.alertTime,
    window: options.end - options.alertTime,
    match: [],
    maxSeries: LAB_MAX_SERIES,
    step: options.stepSeconds,
  };
}

export async function recordRun(options: RecordOptions): Promise<ExportIndex> {
  const logs = await gzipLogs(options.logDir, join(options.scratch, "logs-gz"));
  const pull = await pullIncident(labSource(options));
  return writeExport(pull, options.caseDir, { logs });
}
