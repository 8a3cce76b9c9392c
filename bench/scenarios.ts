/**
 * `npm run bench:scenarios`: every simulator scenario under several seeds and parameter draws,
 * written to disk and read back through the same public `analyze` path a user runs, with the alert
 * time given as the on-call would have it. Prints, per scenario and overall, top-1 entity accuracy,
 * kind accuracy and AC@3 on incidents, and the false-blame rate (a cause at confidence >= 0.5) on
 * look-alikes and healthy cases; writes every run to bench/results/scenarios.json.
 *
 * Flags: --scenario <prefix> (a subset), --runs <N> (seeds per scenario; run 1 uses the file's own
 * values, later runs draw from its `draws` ranges).
 * Exit codes: 0 whatever the accuracy, 2 bad usage, 1 internal failure.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { analyze } from "../src/analyze.js";
import { CONFIDENT_AT } from "../src/diagnosis/present.js";
import type { Cause, Diagnosis } from "../src/diagnosis/types.js";
import { loadScenario, scenarioNames, type TruthClass } from "../src/sim/scenario.js";
import { caseDir, drawOverrides, simulate, writeSimulation } from "../src/sim/simulate.js";
import { reliabilityBlock } from "./calibration.js";
import { serviceOf } from "./metrics.js";

const RESULTS_FILE = fileURLToPath(new URL("../../bench/results/scenarios.json", import.meta.url));
/** Seeds per scenario by default: the file's own values plus two parameter draws. */
const DEFAULT_RUNS = 3;
/** Causes asked of the engine, so a near miss still shows its rank. */
const CAUSES_ASKED = 5;

interface Run {
  scenario: string;
  class: TruthClass;
  /** Whether the scenario reproduces one of the seed write-ups. */
  seedIncident: boolean;
  seed: number;
  set: string[];
  truth: { entity?: string; kind?: string };
  top?: { entity: string; kind: string; confidence: number; calibration?: Cause["calibration"] };
  /** 1-based rank of the first cause naming the true entity. */
  rank?: number;
  entityRight: boolean;
  kindRight: boolean;
  falseBlame: boolean;
  simulateMs: number;
  writeMs: number;
  analyzeMs: number;
  /** The analysis step alone, as the Diagnosis times it (`timing.analyze_ms`, reading aside). */
  analysisStepMs: number;
}

/** Entity ids match exactly, or name the same workload (a pod id counts for its service). */
function sameEntity(found: string, truth: string): boolean {
  if (found === truth) return true;
  const workloadKinds = /^(service|pod|workload):/;
  return workloadKinds.test(found) && workloadKinds.test(truth) && serviceOf(found) === serviceOf(truth);
}

async function runOnce(name: string, seed: number, useDraws: boolean, scratch: string): Promise<Run> {
  const base = loadScenario(name);
  const set = useDraws ? drawOverrides(base, seed) : [];
  const t0 = performance.now();
  const sim = simulate(name, { seed, set });
  const t1 = performance.now();
  const out = join(scratch, `${name}-${seed}`);
  await writeSimulation(sim, out);
  const t2 = performance.now();
  const at = sim.scenario.start + sim.scenario.alert;
  const d: Diagnosis = await analyze([caseDir(out)], { at, top: CAUSES_ASKED });
  const t3 = performance.now();
  rmSync(out, { recursive: true, force: true });
  const { truth } = sim.scenario;
  const top = d.causes[0];
  const rankIndex = truth.entity ? d.causes.findIndex((c) => sameEntity(c.entity, truth.entity as string)) : -1;
  const entityRight = truth.class === "incident" && top !== undefined && sameEntity(top.entity, truth.entity as string);
  return {
    scenario: name,
    class: truth.class,
    seedIncident: sim.scenario.seedIncident !== undefined,
    seed,
    set,
    truth: { entity: truth.entity, kind: truth.kind },
    top: top && { entity: top.entity, kind: top.kind, confidence: top.confidence, calibration: top.calibration },
    rank: rankIndex >= 0 ? rankIndex + 1 : undefined,
    entityRight,
    kindRight: truth.class === "incident" && top?.kind === truth.kind,
    falseBlame: truth.class !== "incident" && top !== undefined && top.confidence >= CONFIDENT_AT,
    simulateMs: t1 - t0,
    writeMs: t2 - t1,
    analyzeMs: t3 - t2,
    analysisStepMs: d.timing.analyze_ms,
  };
}

function share(runs: Run[], f: (r: Run) => boolean): string {
  return runs.length === 0 ? "  -  " : (runs.filter(f).length / runs.length).toFixed(2).padStart(5);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)];
}

function report(runs: Run[], wallMs: number): string {
  const names = [...new Set(runs.map((r) => r.scenario))];
  const width = Math.max(8, ...names.map((n) => n.length));
  const lines = [
    `${"scenario".padEnd(width)}  class       runs  entity@1  kind@1  AC@3  false-blame  top cause (run 1)`,
  ];
  for (const name of names) {
    const rs = runs.filter((r) => r.scenario === name);
    const incident = rs[0].class === "incident";
    const top = rs[0].top ? `${rs[0].top.entity} ${rs[0].top.kind} ${rs[0].top.confidence.toFixed(2)}` : "none";
    lines.push(
      `${name.padEnd(width)}  ${rs[0].class.padEnd(10)}  ${String(rs.length).padStart(4)}  ` +
        `${incident ? share(rs, (r) => r.entityRight) : "  -  "}     ${incident ? share(rs, (r) => r.kindRight) : "  -  "}  ` +
        `${incident ? share(rs, (r) => (r.rank ?? 99) <= 3) : "  -  "}  ${incident ? "     -     " : `   ${share(rs, (r) => r.falseBlame)}    `}  ${top}`,
    );
  }
  const incidents = runs.filter((r) => r.class === "incident");
  const seeds = incidents.filter((r) => r.seedIncident);
  const innocent = runs.filter((r) => r.class !== "incident");
  lines.push("");
  lines.push(
    `all incidents (${incidents.length} runs): entity@1 ${share(incidents, (r) => r.entityRight)}, kind@1 ${share(incidents, (r) => r.kindRight)}, AC@3 ${share(incidents, (r) => (r.rank ?? 99) <= 3)}`,
  );
  lines.push(
    `seed incidents (${seeds.length} runs): entity@1 ${share(seeds, (r) => r.entityRight)}, kind@1 ${share(seeds, (r) => r.kindRight)}`,
  );
  lines.push(
    `look-alikes and healthy (${innocent.length} runs): false-blame rate ${share(innocent, (r) => r.falseBlame)} (a cause at confidence >= ${CONFIDENT_AT})`,
  );
  lines.push("");
  lines.push(
    reliabilityBlock(
      "every run's top cause (right = entity and kind of an incident; any cause of a look-alike or healthy run is wrong)",
      runs
        .filter((r) => r.top !== undefined)
        .map((r) => ({ confidence: r.top?.confidence ?? 0, right: r.entityRight && r.kindRight })),
    ),
  );
  lines.push(
    `time per run, median: simulate ${median(runs.map((r) => r.simulateMs)).toFixed(0)} ms, write ${median(runs.map((r) => r.writeMs)).toFixed(0)} ms, analyze (read + reason) ${median(runs.map((r) => r.analyzeMs)).toFixed(0)} ms; whole benchmark ${(wallMs / 1000).toFixed(0)} s`,
  );
  if (seeds.length > 0) {
    const slowest = seeds.reduce((a, b) => (b.analysisStepMs > a.analysisStepMs ? b : a));
    lines.push(
      `analysis step (timing.analyze_ms, reading aside) on seed incidents: median ${median(seeds.map((r) => r.analysisStepMs)).toFixed(0)} ms, slowest ${slowest.analysisStepMs.toFixed(0)} ms (${slowest.scenario}, seed ${slowest.seed})`,
    );
  }
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { scenario: { type: "string" }, runs: { type: "string" } } });
  const runsPerScenario = values.runs === undefined ? DEFAULT_RUNS : Number(values.runs);
  if (!Number.isInteger(runsPerScenario) || runsPerScenario < 1) {
    process.stderr.write("bench:scenarios: --runs expects a positive whole number\n");
    process.exit(2);
  }
  const names = scenarioNames().filter((n) => values.scenario === undefined || n.startsWith(values.scenario));
  if (names.length === 0) {
    process.stderr.write(`bench:scenarios: no scenario starts with ${values.scenario}\n`);
    process.exit(2);
  }
  const scratch = mkdtempSync(join(tmpdir(), "beneath-bench-scenarios-"));
  const start = performance.now();
  const runs: Run[] = [];
  try {
    for (const name of names) {
      for (let k = 0; k < runsPerScenario; k++) {
        process.stderr.write(`\r${name} run ${k + 1}/${runsPerScenario}        `);
        runs.push(await runOnce(name, k + 1, k > 0, scratch));
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    process.stderr.write("\r");
  }
  const wallMs = performance.now() - start;
  const text = report(runs, wallMs);
  process.stdout.write(text);
  mkdirSync(join(RESULTS_FILE, ".."), { recursive: true });
  writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify({ generated_at: new Date().toISOString(), wall_ms: wallMs, runs }, null, 1)}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`bench:scenarios: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
