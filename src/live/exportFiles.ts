/**
 * Writes a pulled incident as standard files: each metric's query_range answer exactly as the server
 * sent it, and an `index.json` of what was pulled and what was left out (src/read/exportIndex.ts).
 */
import { cp, mkdir, readdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { toIso } from "../case/time.js";
import { EXPORT_INDEX_FILE, EXPORT_INDEX_SCHEMA, type ExportIndex } from "../read/exportIndex.js";
import { LiveError } from "./errors.js";
import type { Pull } from "./pull.js";

export function exportIndex(pull: Pull, exportedAt: Date): ExportIndex {
  const index: ExportIndex = {
    schema: EXPORT_INDEX_SCHEMA,
    source: pull.source,
    exported_at: exportedAt.toISOString(),
    start: toIso(pull.start),
    end: toIso(pull.end),
    step_seconds: pull.step,
    window_seconds: pull.window,
    match: pull.match,
    max_series: pull.maxSeries,
    series_discovered: pull.discovered,
    series_pulled: pull.metrics.reduce((sum, m) => sum + m.series, 0),
    metrics: pull.metrics.map(({ name, file, query, series }) => ({ name, file, query, series })),
    left_out: pull.leftOut,
    not_examined: pull.unexamined,
    skipped: pull.skipped,
  };
  if (pull.at !== undefined) index.alert_time = toIso(pull.at);
  return index;
}

/** Refuses a folder that already holds files: an export is never mixed into other files. Missing is fine. */
export async function assertExportFolderFree(dir: string): Promise<void> {
  let present: string[];
  try {
    present = (await readdir(dir)).filter((name) => !name.startsWith("."));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new LiveError(`cannot use ${dir} for the export: ${(error as Error).message}`);
  }
  if (present.length > 0) throw new LiveError(`${dir} is not empty; export into a new or empty folder`);
}

/** Files analysed beside the server's answers, kept in the export under these folders. */
export interface AddedFiles {
  logs?: string[];
  kube?: string[];
}

/** Copies each added file or folder into `<dir>/<kind>/<its name>`; returns the copies' paths within `dir`. */
async function copyAdded(dir: string, added: AddedFiles): Promise<string[]> {
  const copied: string[] = [];
  for (const [kind, paths] of Object.entries(added) as [string, string[] | undefined][]) {
    for (const path of paths ?? []) {
      let target = join(kind, basename(path));
      for (let n = 2; copied.includes(target); n++) target = join(kind, `${n}-${basename(path)}`);
      await cp(path, join(dir, target), { recursive: true });
      copied.push(target);
    }
  }
  return copied;
}

/**
 * Writes into `dir` (created when missing; see assertExportFolderFree): the answers, copies of the
 * files analysed beside them, and the index.
 */
export async function writeExport(pull: Pull, dir: string, added: AddedFiles = {}): Promise<ExportIndex> {
  await assertExportFolderFree(dir);
  try {
    await mkdir(dir, { recursive: true });
    for (const metric of pull.metrics) await writeFile(join(dir, metric.file), metric.text);
    const index = exportIndex(pull, new Date());
    const copies = await copyAdded(dir, added);
    if (copies.length > 0) index.added_files = copies;
    await writeFile(join(dir, EXPORT_INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`);
    return index;
  } catch (error) {
    throw new LiveError(`cannot write the export to ${dir}: ${(error as Error).message}`);
  }
}
