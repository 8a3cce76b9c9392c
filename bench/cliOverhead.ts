/**
 * What the command line costs above the analysis itself (issue 15: at most 0.1 s per case): the
 * `beneath analyze` process is run on a few cases, one process per case as a script looping over
 * incidents would, and its wall time is set against the read and analysis time the same process
 * reports in its Diagnosis (`timing.read_ms + timing.analyze_ms`). The difference is process start,
 * module loading, option parsing and writing the output.
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { Plan } from "./datasets.js";
import { median } from "./metrics.js";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

/** Enough processes for a stable median, few enough to add seconds, not minutes, to the run. */
export const CLI_CASES = 20;

/** The bound on what one process per case may add to the analysis. */
export const CLI_OVERHEAD_TARGET_MS = 100;

export interface CliRun {
  wall_ms: number;
  /** read_ms + analyze_ms as the process itself measured them. */
  inside_ms: number;
}

export interface CliOverhead {
  dataset: string;
  runs: number;
  median_wall_ms: number;
  median_inside_ms: number;
  /** Median over the runs of wall − inside. */
  median_overhead_ms: number;
  failures: string[];
}

function runCli(plan: Plan): Promise<CliRun> {
  const args = [CLI, "analyze", ...plan.files, "--format", "json"];
  if (plan.at !== undefined) args.push("--at", String(plan.at));
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      const wall = performance.now() - start;
      if (code !== 0) {
        reject(new Error(`exit ${code}: ${Buffer.concat(err).toString("utf8").trim().split("\n")[0]}`));
        return;
      }
      const timing = (JSON.parse(Buffer.concat(out).toString("utf8")) as { timing: Record<string, number> }).timing;
      resolve({ wall_ms: wall, inside_ms: timing.read_ms + timing.analyze_ms });
    });
  });
}

/** Runs the CLI on up to CLI_CASES of the plans, one after another. */
export async function measureCliOverhead(dataset: string, plans: readonly Plan[]): Promise<CliOverhead> {
  const runs: CliRun[] = [];
  const failures: string[] = [];
  for (const plan of plans.slice(0, CLI_CASES)) {
    try {
      runs.push(await runCli(plan));
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  return {
    dataset,
    runs: runs.length,
    median_wall_ms: median(runs.map((r) => r.wall_ms)),
    median_inside_ms: median(runs.map((r) => r.inside_ms)),
    median_overhead_ms: median(runs.map((r) => r.wall_ms - r.inside_ms)),
    failures,
  };
}

export function cliOverheadBlock(o: CliOverhead): string {
  const verdict = o.median_overhead_ms <= CLI_OVERHEAD_TARGET_MS ? "met" : "not met";
  return [
    `== CLI, one process per case (${o.dataset}, ${o.runs} cases)`,
    `wall median ${o.median_wall_ms.toFixed(0)} ms, of which read + analyze ${o.median_inside_ms.toFixed(0)} ms; ` +
      `above the analysis (start, loading, output): median ${o.median_overhead_ms.toFixed(0)} ms ` +
      `(target <= ${CLI_OVERHEAD_TARGET_MS} ms: ${verdict})`,
    ...o.failures.slice(0, 3).map((f) => `  failed: ${f}`),
  ].join("\n");
}
