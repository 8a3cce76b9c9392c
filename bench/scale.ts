/**
 * `npm run bench:scale`: how beneath scales with its input (issue 15). Generates JSON-lines logs and
 * one Prometheus query_range document at 100 MB, 316 MB and 1 GB, OTLP/JSON traces of 100k, 316k
 * and 1M spans, and 100 MB of JSON-lines logs naming about 600k distinct services (an ID read as a
 * service name, folded beyond --max-entities), in a temporary folder (each file deleted after its run); runs `beneath analyze` on
 * each in its own process and measures wall time, CPU seconds and peak RSS (the process' own getrusage,
 * through bench/scaleProbe.ts); fits the growth exponent of CPU time over the sizes; prints a table
 * against the issue's targets and writes bench/results/scale.json.
 *
 *   npm run bench:scale                          # every input at every size (about 10 minutes)
 *   npm run bench:scale -- --quick               # a tenth of each size, to check the harness
 *   npm run bench:scale -- --only query-range,spans
 *
 * Exit codes: 0 every target judged was met, 1 one was missed or a run failed, 2 bad usage.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import {
  ALERT,
  type Written,
  writeDistinctNameLogs,
  writeJsonLinesLogs,
  writeOtlpSpans,
  writeQueryRange,
} from "./scaleInputs.js";
import { allMet, renderTable, type ScaleRun, verdicts, type Workload } from "./scaleReport.js";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const PROBE = new URL("./scaleProbe.js", import.meta.url).href;
const RESULTS_FILE = fileURLToPath(new URL("../../bench/results/scale.json", import.meta.url));
/** One run taking longer than this has hung; it is stopped and reported as failed. */
const RUN_TIMEOUT_MS = 15 * 60 * 1000;
/** Sizes one after another, each about √10 times the one before: three points for the exponent. */
const STEPS = [1, Math.sqrt(10), 10];

interface Input {
  name: Workload;
  /** The smallest size of a full run: bytes, or spans. */
  base: number;
  write(file: string, size: number): Promise<Written>;
  /** Multiples of `base` to run (STEPS when absent). */
  steps?: number[];
}

const INPUTS: Input[] = [
  { name: "json-lines", base: 100e6, write: writeJsonLinesLogs },
  { name: "query-range", base: 100e6, write: writeQueryRange },
  { name: "spans", base: 100e3, write: writeOtlpSpans },
  // Bounded cardinality is judged by memory at one size: the names beyond the cap cost nothing more as they grow.
  { name: "distinct-names", base: 100e6, write: writeDistinctNameLogs, steps: [1] },
];

function usage(message: string): never {
  process.stderr.write(
    `bench:scale: ${message}\nusage: npm run bench:scale -- [--quick] [--only ${INPUTS.map((i) => i.name).join(",")}]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): { quick: boolean; only: Workload[] } {
  let quick = false;
  let only = INPUTS.map((i) => i.name);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--quick") quick = true;
    else if (argv[i] === "--only") {
      const names = (argv[++i] ?? "").split(",").filter(Boolean);
      const unknown = names.filter((n) => !INPUTS.some((input) => input.name === n));
      if (names.length === 0 || unknown.length > 0) usage(`--only takes ${INPUTS.map((x) => x.name).join(", ")}`);
      only = names as Workload[];
    } else usage(`unknown argument ${argv[i]}`);
  }
  return { quick, only };
}

interface Child {
  code: number | null;
  stdout: string;
  stderr: string;
  wallSeconds: number;
}

/** Runs the CLI with the probe loaded; stops it (by its pid) when it exceeds RUN_TIMEOUT_MS. */
function runCli(args: string[], probeFile: string): Promise<Child> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, ["--import", PROBE, CLI, ...args], {
      env: { ...process.env, BENEATH_SCALE_PROBE: probeFile, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, wallSeconds: (performance.now() - start) / 1000 });
    });
  });
}

/** What the run diagnosed (its top cause), or how it failed. */
function outcomeOf(child: Child): { outcome: string; readSeconds?: number; analyzeSeconds?: number } {
  if (child.code !== 0) {
    const last = child.stderr.trim().split("\n").pop() ?? "";
    return { outcome: `failed (exit ${child.code}): ${last.slice(0, 120)}` };
  }
  const diagnosis = JSON.parse(child.stdout) as {
    causes: { entity: string; kind: string; confidence: number }[];
    timing: { read_ms: number; analyze_ms: number };
  };
  const top = diagnosis.causes[0];
  return {
    outcome: top ? `${top.entity} ${top.kind} ${top.confidence.toFixed(2)}` : "no cause",
    readSeconds: diagnosis.timing.read_ms / 1000,
    analyzeSeconds: diagnosis.timing.analyze_ms / 1000,
  };
}

async function measure(input: Input, size: number, dir: string): Promise<ScaleRun> {
  const file = join(dir, `${input.name}-${Math.round(size)}.json`);
  const probeFile = join(dir, "probe.json");
  try {
    process.stderr.write(`bench:scale: writing ${input.name} (${Math.round(size).toLocaleString("en")})\n`);
    const written = await input.write(file, size);
    process.stderr.write(`bench:scale: analysing ${(written.bytes / 1e6).toFixed(0)} MB\n`);
    const at = new Date(ALERT * 1000).toISOString();
    const child = await runCli(["analyze", file, "--at", at, "--format", "json"], probeFile);
    const probe = child.code === 0 ? JSON.parse(readFileSync(probeFile, "utf8")) : { cpuSeconds: 0, peakRssBytes: 0 };
    return {
      input: input.name,
      bytes: written.bytes,
      items: written.items,
      wallSeconds: child.wallSeconds,
      cpuSeconds: probe.cpuSeconds,
      peakRssBytes: probe.peakRssBytes,
      ...outcomeOf(child),
    };
  } finally {
    rmSync(file, { force: true });
    rmSync(probeFile, { force: true });
  }
}

async function main(): Promise<void> {
  const { quick, only } = parseArgs(process.argv.slice(2));
  const scale = quick ? 0.1 : 1;
  const dir = mkdtempSync(join(tmpdir(), "beneath-scale-"));
  const runs: ScaleRun[] = [];
  try {
    for (const input of INPUTS.filter((i) => only.includes(i.name))) {
      for (const step of input.steps ?? STEPS)
        runs.push(await measure(input, Math.round(input.base * step * scale), dir));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const judged = verdicts(runs);
  process.stdout.write(renderTable(runs, judged));
  process.stdout.write(
    `load average at the end (2 cores shared): ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}\n`,
  );
  mkdirSync(join(RESULTS_FILE, ".."), { recursive: true });
  const results = { generated_at: new Date().toISOString(), quick, runs, verdicts: judged, loadavg: loadavg() };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`written to ${RESULTS_FILE}\n`);
  const failed = runs.some((r) => r.outcome.startsWith("failed"));
  process.exitCode = failed || !allMet(judged) ? 1 : 0;
}

await main();
