/** `beneath export --prometheus <url> --out <dir>`: save an incident from a live server as standard files. */
import type { Command } from "commander";
import { DEFAULT_INCIDENT_SECONDS } from "../detect/window.js";
import { assertPathsExist } from "./analyze.js";
import { UsageError } from "./exitCodes.js";
import { withHelp } from "./help.js";
import {
  type AddedFileFlags,
  addFileOptions,
  addLiveOptions,
  type LiveFlags,
  liveSourceOptions,
  warnSkipped,
} from "./liveOptions.js";
import { parseAt, parseWindow } from "./options.js";

interface ExportFlags extends LiveFlags, AddedFileFlags {
  at?: number;
  window?: number;
  out?: string;
}

async function run(flags: ExportFlags): Promise<void> {
  if (flags.prometheus === undefined) throw new UsageError("export needs --prometheus <url>");
  if (flags.out === undefined) throw new UsageError("export needs --out <dir>, the folder to write the files to");
  const window = flags.window ?? DEFAULT_INCIDENT_SECONDS;
  const { assertExportFolderFree, pullIncident, writeExport } = await import("../live/index.js");
  const added = { logs: flags.logs ?? [], kube: flags.kube ?? [] };
  await assertPathsExist([...added.logs, ...added.kube]);
  await assertExportFolderFree(flags.out);
  const pull = await pullIncident(liveSourceOptions(flags.prometheus, flags, { at: flags.at, window }));
  warnSkipped(pull);
  const index = await writeExport(pull, flags.out, added);
  process.stdout.write(
    `${index.series_pulled} series of ${index.metrics.length} metrics, ${index.start} to ${index.end} at ${index.step_seconds} s, written to ${flags.out}\n`,
  );
}

export function registerExport(program: Command): void {
  const command = program
    .command("export")
    .description("save an incident from a live Prometheus as query_range JSON files and an index.json")
    .option("--at <time>", "when the incident was noticed: ISO 8601 or unix seconds (default: now)", parseAt)
    .option(
      "--window <dur>",
      "how long after --at to keep, e.g. 90s, 15m, 1h (the hour before is kept too)",
      parseWindow,
    )
    .option("--out <dir>", "a new or empty folder to write the files to");
  addFileOptions(addLiveOptions(command)).action((flags: ExportFlags) => run(flags));
  withHelp(command, [
    "beneath export --prometheus http://localhost:9090 --at 2026-01-16T02:48:00Z --window 15m --out incident-4711/",
    "beneath analyze incident-4711/    # the export's own --at and --window are the defaults",
  ]);
}
