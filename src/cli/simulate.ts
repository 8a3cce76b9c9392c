/** `beneath simulate <scenario> --out <dir>`: writes a simulated case and, beside it, its truth. */
import { type Command, InvalidArgumentError } from "commander";
import { withHelp } from "./help.js";
import { createStepProgress } from "./progress.js";

export interface SimulateFlags {
  seed?: number;
  set: string[];
  out: string;
}

export function parseSeed(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError("Expected a whole number.");
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Simulates with a progress bar on a terminal, writes the case; returns what a person needs next. */
export async function simulateToFolder(scenario: string, flags: SimulateFlags) {
  // Loaded only here: the simulator and its YAML parser are no part of `analyze`'s start-up.
  const { caseDir, simulate, writeSimulation } = await import("../sim/simulate.js");
  const progress = await createStepProgress(process.stderr, `simulating ${scenario}`);
  let sim: ReturnType<typeof simulate>;
  try {
    sim = simulate(scenario, { seed: flags.seed, set: flags.set, onProgress: progress.onStep });
  } finally {
    progress.stop();
  }
  const files = await writeSimulation(sim, flags.out);
  return { sim, files, dir: caseDir(flags.out) };
}

export function registerSimulate(program: Command): void {
  const command = program
    .command("simulate")
    .description("simulate a scenario and write its telemetry in real formats, with truth.json beside it")
    .argument("<scenario>", "a scenario name (see `beneath scenarios`) or a scenario .yaml file")
    .option(
      "--seed <N>",
      "random seed; the same seed gives the same case (default: a fixed seed, so runs repeat)",
      parseSeed,
    )
    .option(
      "--set <path=value>",
      "override a scenario value, e.g. components.shipping.replicas=6, or what the timeline sets at a time, e.g. components.cart.memoryLeak@38m=1000000 (repeatable)",
      collect,
      [],
    )
    .requiredOption("--out <dir>", "output folder: <dir>/case holds the telemetry, <dir>/truth.json the truth")
    .action(async (scenario: string, flags: SimulateFlags) => {
      const { sim, files, dir } = await simulateToFolder(scenario, flags);
      const alert = new Date((sim.scenario.start + sim.scenario.alert) * 1000).toISOString();
      process.stdout.write(
        `wrote ${files.length - 1} files to ${dir} and the truth to ${flags.out}/truth.json\n` +
          `diagnose it with: npx beneath analyze ${dir} --at ${alert}\n`,
      );
    });
  withHelp(command, [
    "beneath simulate connection-collapse --out /tmp/cc",
    "beneath simulate rs-memory-leak-cart --seed 2 --set components.cart.replicas=3 --out /tmp/leak",
  ]);
}
