/** `beneath analyze [path...] [--prometheus <url>]`: read telemetry files or a live Prometheus, diagnose, print the Diagnosis. */
import { stat } from "node:fs/promises";
import { type Command, Option } from "commander";
import type { AnalyzedCase, NamedBaseline } from "../analyze.js";
import { DEFAULT_TOP } from "../analyzeDefaults.js";
import { DEFAULT_MAX_ENTITIES } from "../case/entityCap.js";
import { DEFAULT_INCIDENT_SECONDS } from "../detect/window.js";
import { formatNumber } from "../diagnosis/units.js";
import { DEFAULT_READ_LIMITS, STDIN_NAME } from "../read/types.js";
import { EXIT_CAUSE_FOUND, UsageError } from "./exitCodes.js";
import { exportDefaults } from "./exportDefaults.js";
import { withHelp } from "./help.js";
import {
  type AddedFileFlags,
  addFileOptions,
  addLiveOptions,
  assertNoLiveFlags,
  type LiveFlags,
  runLiveAnalysis,
} from "./liveOptions.js";
import { FORMATS, type Format, parseAt, parseBaseline, parseSize, parseTop, parseWindow } from "./options.js";
import { assertOutWritable, writeOut } from "./outFile.js";
import { createProgress } from "./progress.js";
import { wantsColor } from "./terminal.js";

interface AnalyzeFlags extends LiveFlags, AddedFileFlags {
  at?: number;
  window?: number;
  format: Format;
  top?: number;
  out?: string;
  force?: boolean;
  verbose?: boolean;
  listInputs?: boolean;
  failOnCause?: boolean;
  /** False when --window is the default, so an export's own window may replace it. */
  windowGiven?: boolean;
  baseline?: { start: number; end: number };
  baselineFrom?: string[];
  maxFileSize: number;
  maxFileTime: number;
  maxLineLength: number;
  maxEntities: number;
}

/** The known-good stretch the user named, by times or by files; none when neither flag is given. */
async function namedBaseline(flags: AnalyzeFlags): Promise<NamedBaseline | undefined> {
  if (flags.baseline && flags.baselineFrom)
    throw new UsageError("--baseline and --baseline-from both name the baseline: give one");
  if (flags.baseline) return { ...flags.baseline, namedBy: "--baseline" };
  if (flags.baselineFrom) {
    await assertPathsExist(flags.baselineFrom);
    const { baselineFrom } = await import("../analyze.js");
    return baselineFrom(flags.baselineFrom);
  }
  return undefined;
}

/** Named before reading starts, so a typo is reported as such rather than as a read failure. */
export async function assertPathsExist(paths: string[]): Promise<void> {
  const missing: string[] = [];
  for (const path of paths) {
    if (path === STDIN_NAME) {
      if (process.stdin.isTTY)
        throw new UsageError("- reads standard input, which is a terminal here: pipe the data in");
      continue;
    }
    try {
      await stat(path);
    } catch {
      missing.push(path);
    }
  }
  if (missing.length > 0) throw new UsageError(`no such file or directory: ${missing.join(", ")}`);
}

/** Each renderer loads only when its format is asked for: the HTML one brings its charting library. */
async function render({ diagnosis: d, case: c }: AnalyzedCase, flags: AnalyzeFlags, color: boolean): Promise<string> {
  if (flags.format === "json") return (await import("../diagnosis/renderJson.js")).renderJson(d);
  if (flags.format === "html") return (await import("../diagnosis/renderHtml.js")).renderHtml(d, c);
  if (flags.format === "md") return (await import("../diagnosis/renderMarkdown.js")).renderMarkdown(d);
  return (await import("../diagnosis/renderText.js")).renderText(d, { color, verbose: flags.verbose });
}

async function diagnose(paths: string[], flags: AnalyzeFlags): Promise<AnalyzedCase> {
  const baseline = await namedBaseline(flags);
  const withBaseline = [...paths, ...(flags.baselineFrom ?? [])];
  if (flags.prometheus !== undefined) return runLiveAnalysis(flags.prometheus, withBaseline, { ...flags, baseline });
  assertNoLiveFlags(flags);
  if (paths.length === 0)
    throw new UsageError("nothing to analyze: give a path (telemetry files or folders) or --prometheus <url>");
  // An exported incident names its own alert time and window.
  const exported = await exportDefaults(paths);
  const progress = await createProgress(process.stderr);
  const { analyzeCase } = await import("../analyze.js");
  try {
    return await analyzeCase(withBaseline, {
      baseline,
      at: flags.at ?? exported.at,
      window: (flags.windowGiven ? flags.window : undefined) ?? exported.window ?? flags.window,
      top: flags.top,
      listInputs: flags.listInputs,
      limits: {
        maxFileBytes: flags.maxFileSize,
        maxFileSeconds: flags.maxFileTime,
        maxLineBytes: flags.maxLineLength,
      },
      maxEntities: flags.maxEntities,
      onProgress: progress.onProgress,
      onNote: (note) => process.stderr.write(`beneath: ${note}\n`),
    });
  } finally {
    progress.stop();
  }
}

async function run(paths: string[], flags: AnalyzeFlags): Promise<void> {
  await assertPathsExist(paths);
  if (flags.out !== undefined) await assertOutWritable(flags.out, paths, flags.force === true);
  const analyzed = await diagnose(paths, flags);
  if (flags.out === undefined) process.stdout.write(await render(analyzed, flags, wantsColor(process.stdout)));
  else await writeOut(flags.out, await render(analyzed, flags, false), flags.force === true);
  if (flags.failOnCause && analyzed.diagnosis.confident) process.exitCode = EXIT_CAUSE_FOUND;
}

export function registerAnalyze(program: Command): void {
  const command = program
    .command("analyze")
    .description(
      "find the root cause of an incident in telemetry files or folders, or from a live Prometheus: the window after --at is examined against the baseline before it",
    )
    .argument("[path...]", "files or folders of metrics, logs, traces and Kubernetes objects; - reads standard input")
    .option(
      "--at <time>",
      "when the incident was noticed: ISO 8601 or unix seconds (default: the incident start detected in the data)",
      parseAt,
    )
    .addOption(
      new Option(
        "--window <dur>",
        "how long AFTER --at to examine, with a unit: 90s, 15m, 1h (an export's own when not given); the baseline is the hour of data before the incident's onset",
      )
        .argParser(parseWindow)
        .default(DEFAULT_INCIDENT_SECONDS, `${DEFAULT_INCIDENT_SECONDS / 60}m`),
    )
    .option(
      "--baseline <start>/<end>",
      "a known-good stretch to judge the incident against (ISO 8601 or unix seconds), instead of the hour before its onset",
      parseBaseline,
    )
    .option(
      "--baseline-from <paths...>",
      "files or folders of known-good data (a healthy recording): read with the rest, their time span is the baseline",
    )
    .addOption(new Option("--format <format>", "output format").choices(FORMATS).default("text"))
    .addOption(new Option("--top <N>", "report at most N causes").argParser(parseTop).default(DEFAULT_TOP))
    .option(
      "--out <file>",
      "write the report to a file instead of stdout (never over an input; not over a file unless --force)",
    )
    .option("--force", "let --out replace an existing file")
    .addOption(
      new Option(
        "--max-file-size <size>",
        "skip (and list) a file holding more than this once un-gzipped, such as a gzip bomb: 512M, 8G",
      )
        .argParser(parseSize)
        .default(DEFAULT_READ_LIMITS.maxFileBytes, "8G"),
    )
    .addOption(
      new Option("--max-file-time <dur>", "skip (and list) a file still being read after this long: 90s, 10m")
        .argParser(parseWindow)
        .default(DEFAULT_READ_LIMITS.maxFileSeconds, `${DEFAULT_READ_LIMITS.maxFileSeconds / 60}m`),
    )
    .addOption(
      new Option(
        "--max-line-length <size>",
        "skip (and list) a file of lines (logs, CSV) with a line longer than this: 1M, 64M",
      )
        .argParser(parseSize)
        .default(DEFAULT_READ_LIMITS.maxLineBytes, `${DEFAULT_READ_LIMITS.maxLineBytes / 2 ** 20}M`),
    )
    .addOption(
      new Option(
        "--max-entities <N>",
        "keep at most N distinct services (and as many pods, nodes); names beyond are folded into one, and the report says so",
      )
        .argParser(parseTop)
        // formatNumber, not toLocaleString: that builds ICU's formatter, about 10 ms on every run.
        .default(DEFAULT_MAX_ENTITIES, formatNumber(DEFAULT_MAX_ENTITIES)),
    )
    .option("--list-inputs", "list every input file in the report (by default: totals per format, files when few)")
    .option("--verbose", "text format: every cause with all its evidence, grouped, and the inputs")
    .option(
      "--fail-on-cause",
      `exit ${EXIT_CAUSE_FOUND} when a confident cause is found (the JSON's "confident" says the same)`,
    );
  addFileOptions(addLiveOptions(command)).action((paths: string[], flags: AnalyzeFlags, self: Command) => {
    // An export names its own window; the default gives way to it, a window given on the command line does not.
    const windowGiven = self.getOptionValueSource("window") !== "default";
    return run([...paths, ...(flags.logs ?? []), ...(flags.kube ?? [])], { ...flags, windowGiven });
  });
  withHelp(command, [
    "beneath analyze incident/ --at 2026-01-16T02:48:00Z",
    "beneath analyze metrics/ logs/ --at 1768531680 --window 15m --format md --out report.md",
    "beneath analyze incident/ --at 2026-01-16T02:48:00Z --format html --out report.html",
    "beneath analyze --prometheus http://localhost:9090 --at 2026-01-16T02:48:00Z --logs logs/",
    "beneath analyze normal.csv.gz anomalous.csv.gz --format json    # no --at: the start is detected",
    "curl -s 'http://prometheus:9090/api/v1/query_range?...' | beneath analyze - --at 2026-01-16T02:48:00Z",
  ]);
}
