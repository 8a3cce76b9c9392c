/** `beneath scenarios`: the simulator's scenarios, one line each. */
import type { Command } from "commander";
import { withHelp } from "./help.js";

export async function listScenarios(): Promise<string> {
  // Loaded only here: the scenario files' YAML parser is no part of `analyze`'s start-up.
  const { loadScenario, scenarioNames } = await import("../sim/scenario.js");
  const rows = scenarioNames().map((name) => {
    const s = loadScenario(name);
    return { name, cls: s.truth.class, description: s.description };
  });
  const width = Math.max(...rows.map((r) => r.name.length));
  const clsWidth = Math.max(...rows.map((r) => r.cls.length));
  return `${rows.map((r) => `${r.name.padEnd(width)}  ${r.cls.padEnd(clsWidth)}  ${r.description}`).join("\n")}\n`;
}

export function registerScenarios(program: Command): void {
  const command = program
    .command("scenarios")
    .description("list the simulator's scenarios: seed incidents, generic faults, look-alikes, healthy cases")
    .action(async () => {
      process.stdout.write(await listScenarios());
    });
  withHelp(command, ["beneath scenarios", "beneath scenarios | grep incident"]);
}
