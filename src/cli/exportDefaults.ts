/**
 * `analyze <export dir>` without `--at`/`--window` takes them from the export's index.json, so an
 * exported incident is diagnosed as the live run that matched it was, with no flags to remember.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseTimestamp } from "../case/time.js";
import { EXPORT_INDEX_FILE, EXPORT_INDEX_SCHEMA, type ExportIndex } from "../read/exportIndex.js";

async function exportIndexIn(path: string): Promise<Partial<ExportIndex> | undefined> {
  try {
    if (!(await stat(path)).isDirectory()) return undefined;
    const index = JSON.parse(await readFile(join(path, EXPORT_INDEX_FILE), "utf8")) as Partial<ExportIndex>;
    return index.schema === EXPORT_INDEX_SCHEMA ? index : undefined;
  } catch {
    // No index there, or not one of ours: the folder is read like any other.
    return undefined;
  }
}

/** The alert time and window of the one export among `paths` (none when there are several or none). */
export async function exportDefaults(paths: string[]): Promise<{ at?: number; window?: number }> {
  const indexes = (await Promise.all(paths.map(exportIndexIn))).filter((i) => i !== undefined);
  if (indexes.length !== 1) return {};
  const [index] = indexes;
  const at = index.alert_time === undefined ? Number.NaN : parseTimestamp(index.alert_time);
  return {
    at: Number.isFinite(at) ? at : undefined,
    window: typeof index.window_seconds === "number" && index.window_seconds > 0 ? index.window_seconds : undefined,
  };
}
