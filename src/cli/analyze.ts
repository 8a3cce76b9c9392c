/** `beneath analyze <path...>`: read telemetry files, diagnose, print the Diagnosis. */
import { stat, writeFile } from "node:fs/promises";
import { type Command, Option } from "commander";
import { type AnalyzedCase, analyzeCase } from "../analyze.js";
import { renderHtml } from "../diagnosis/renderHtml.js";
import { renderJson } from "../diagnosis/renderJson.js";
import { renderMarkdown } from "../diagnosis/renderMarkdown.js";
import { renderText } from "../diagnosis/renderText.js";
import { UsageError } from "./exitCodes.js";
import { exportDefaults } from "./exportDefaults.js";
import {
  type AddedFileFlags,
  addFileOptions,
  addLiveOptions,
  assertNoLiveFlags,
  type LiveFlags,
  runLiveAnalysis,
} from "./liveOptions.js";
import { FORMATS, type Format, parseAt, parseTop, parseWindow } from "./options.js";
import { createProgress } from "./progress.js";

interface AnalyzeFlags extends LiveFlags, AddedFileFlags {
  at?: number;
  window?: number;
  format: Format;
  top?: number;
  out?: string;
  verbose?: boolean;
  listInputs?: boolean;
}

/** Named before reading starts, so a typo is reported as such rather than as a read failure. */
export async function assertPathsExist(paths: string[]): Promise<void> {
  const missing: string[] = [];
  for (const path of paths) {
    try {
      await stat(path);
    } catch {
      missing.push(path);
    }
  }
  if (missing.length > 0) throw new UsageError(`no such file or directory: ${missing.join(", ")}`);
}

/** See https://no-color.org: any non-empty NO_COLOR turns colour off. */
function wantsColor(out: string | undefined): boolean {
  return out === undefined && process.stdout.isTTY === true && !process.env.NO_COLOR;
}

function render({ diagnosis: d, case: c }: AnalyzedCase, flags: AnalyzeFlags, color: boolean): string {
  if (flags.format === "json") return renderJson(d);
  if (flags.format === "html") return renderHtml(d, c);
  if (flags.format === "md") return renderMarkdown(d);
  return renderText(d, { color, verbose: flags.verbose });
}

async function emit(text: string, out: string | undefined): Promise<void> {
  if (out === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    await writeFile(out, text);
  } catch (err) {
    throw new UsageError(`cannot write ${out}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function run(paths: string[], flags: AnalyzeFlags): Promise<void> {
  await assertPathsExist(paths);
  if (flags.prometheus !== undefined) {
    const analyzed = await runLiveAnalysis(flags.prometheus, paths, flags);
    await emit(render(analyzed, flags, wantsColor(flags.out)), flags.out);
    return;
  }
  assertNoLiveFlags(flags);
  if (paths.length === 0)
    throw new UsageError("nothing to analyze: give a path (telemetry files or folders) or --prometheus <url>");
  const exported = await exportDefaults(paths);
  const progress = createProgress(process.stderr);
  let analyzed: AnalyzedCase;
  try {
    analyzed = await analyzeCase(paths, {
      at: flags.at ?? exported.at,
      window: flags.window ?? exported.window,
      top: flags.top,
      listInputs: flags.listInputs,
      onProgress: progress.onProgress,
    });
  } finally {
    progress.stop();
  }
  await emit(render(analyzed, flags, wantsColor(flags.out)), flags.out);
}

export function registerAnalyze(program: Command): void {
  const command = program
    .command("analyze")
    .description("find the root cause of an incident in telemetry files or folders, or from a live Prometheus")
    .argument("[path...]", "files or folders of metrics, logs, traces and Kubernetes objects")
    .option("--at <time>", "when the incident was noticed: ISO 8601 or unix seconds", parseAt)
    .option("--window <dur>", "how much time around --at to analyse, e.g. 90s, 15m, 1h", parseWindow)
    .addOption(new Option("--format <format>", "output format").choices(FORMATS).default("text"))
    .option("--top <N>", "report at most N causes", parseTop)
    .option("--out <file>", "write the report to a file instead of stdout")
    .option("--list-inputs", "list every input file in the report (by default: totals per format, files when few)")
    .option("--verbose", "text format: every cause with all its evidence, grouped, and the inputs");
  addFileOptions(addLiveOptions(command)).action((paths: string[], flags: AnalyzeFlags) =>
    run([...paths, ...(flags.logs ?? []), ...(flags.kube ?? [])], flags),
  );
}
