/**
 * `simulate`: a scenario and a seed in, a case out — telemetry files in the formats real systems
 * export, and the truth kept apart from them.
 */
import { mkdir, open, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Cluster } from "./models/cluster.js";
import { buildWorld } from "./models/index.js";
import { Rng } from "./rng.js";
import { loadScenario, type Scenario, ScenarioError, type Truth } from "./scenario.js";
import type { World } from "./world.js";
import { chartsSvg } from "./writers/charts.js";
import { kubectlEvents, kubectlNodes, kubectlPods } from "./writers/kubectl.js";
import { jsonLinePieces, logLinesByWorkload } from "./writers/logs.js";
import { otlpTracesJson } from "./writers/otlp.js";
import { byJob, queryRangeChunks } from "./writers/prometheus.js";

export interface SimulateOptions {
  seed?: number;
  /** `path=value` overrides, applied before the run. */
  set?: string[];
  onProgress?: (done: number, total: number) => void;
}

export interface Simulation {
  scenario: Scenario;
  seed: number;
  set: string[];
  world: World;
}

/**
 * Characters of a file gathered before each write: a large file never exists as one string, and each
 * piece stays small (large strings and their buffers trigger full garbage collections).
 */
const CHUNK_CHARS = 1 << 16;

/** The seed a scenario runs with when none is given: fixed, so `beneath demo` is reproducible. */
export const DEFAULT_SEED = 1;

export function simulate(nameOrPath: string, options: SimulateOptions = {}): Simulation {
  const set = options.set ?? [];
  const scenario = loadScenario(nameOrPath, set);
  const seed = options.seed ?? DEFAULT_SEED;
  const world = buildWorld(scenario, seed);
  world.run(options.onProgress);
  scenario.truth = resolveTruth(scenario.truth, world.facts, scenario.file);
  return { scenario, seed, set, world };
}

/** The truth with its `{fact}` placeholders filled from what the run decided (`world.facts`). */
export function resolveTruth(truth: Truth, facts: Map<string, string>, file: string): Truth {
  const fill = (text: string | undefined, field: string) =>
    text?.replace(/\{([^}]+)\}/g, (_, key: string) => {
      const value = facts.get(key);
      if (value === undefined)
        throw new ScenarioError(`${file}: truth.${field} names {${key}}, which this run did not set`);
      return value;
    });
  return { ...truth, entity: fill(truth.entity, "entity"), resource: fill(truth.resource, "resource") };
}

/**
 * `[path=value]` overrides for draw number `draw` of a scenario's `draws` ranges (integers stay
 * integers): the scenario benchmark's parameter draws.
 */
export function drawOverrides(scenario: Scenario, seed: number): string[] {
  const rng = new Rng(seed, `${scenario.name}:draws`);
  return Object.entries(scenario.draws).map(([path, [low, high]]) => {
    const value = rng.uniform(low, high);
    const integral = Number.isInteger(low) && Number.isInteger(high);
    return `${path}=${integral ? Math.round(value) : Number(value.toPrecision(3))}`;
  });
}

function iso(t: number): string {
  return new Date(t * 1000).toISOString().replace(".000Z", "Z");
}

/** The truth of a simulated case, as the benchmark and a curious user read it. */
export function truthOf(sim: Simulation): Record<string, unknown> {
  const { scenario, seed, set } = sim;
  const { truth } = scenario;
  return {
    scenario: scenario.name,
    seed,
    set,
    class: truth.class,
    root_cause:
      truth.class === "incident" ? { entity: truth.entity, kind: truth.kind, resource: truth.resource } : null,
    fault_start: truth.start === undefined ? null : iso(scenario.start + truth.start),
    alert_time: iso(scenario.start + scenario.alert),
    data: { start: iso(scenario.start), end: iso(scenario.start + scenario.duration), step_seconds: scenario.step },
  };
}

/** The case folder inside an output folder; truth.json sits beside it, not in it. */
export function caseDir(out: string): string {
  return join(out, "case");
}

/**
 * Writes the case under `<out>/case/`, and beside it the truth (`truth.json`) and charts of the
 * scenario's key series (`charts.svg`); returns the files written.
 */
export async function writeSimulation(sim: Simulation, out: string): Promise<string[]> {
  const dir = caseDir(out);
  await rm(dir, { recursive: true, force: true });
  const written: string[] = [];
  const put = async (relative: string, text: string) => {
    const file = join(dir, relative);
    await mkdir(join(file, ".."), { recursive: true });
    await writeFile(file, text);
    written.push(file);
  };
  const putPieces = async (relative: string, pieces: Iterable<string>) => {
    const file = join(dir, relative);
    await mkdir(join(file, ".."), { recursive: true });
    const handle = await open(file, "w");
    try {
      let chunk = "";
      for (const piece of pieces) {
        chunk += piece;
        if (chunk.length < CHUNK_CHARS) continue;
        await handle.write(chunk);
        chunk = "";
      }
      await handle.write(chunk);
    } finally {
      await handle.close();
    }
    written.push(file);
  };
  const { world, scenario } = sim;
  for (const [job, series] of byJob(world.metrics.all())) {
    await putPieces(`metrics/${job}.json`, queryRangeChunks(series));
  }
  for (const [name, lines] of logLinesByWorkload(world.logs.lines)) {
    await putPieces(`logs/${name}.jsonl`, jsonLinePieces(lines));
  }
  if (world.traces.spans.length > 0) await put("traces/otlp.json", otlpTracesJson(world.traces.spans));
  const cluster = world.get<Cluster>("cluster", "kubectl snapshot");
  const end = scenario.start + scenario.duration;
  await put("kubernetes/pods.json", kubectlPods(cluster, end));
  await put("kubernetes/nodes.json", kubectlNodes(cluster));
  await put("kubernetes/events.json", kubectlEvents(world.events.all()));
  const charts = chartsSvg(scenario, world.metrics.all());
  if (charts) {
    const chartFile = join(out, "charts.svg");
    await writeFile(chartFile, charts);
    written.push(chartFile);
  }
  const truthFile = join(out, "truth.json");
  await writeFile(truthFile, `${JSON.stringify(truthOf(sim), null, 2)}\n`);
  written.push(truthFile);
  return written;
}
