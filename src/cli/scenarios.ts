/** `beneath scenarios`: the simulator's scenarios, one line each. */
import type { Command } from "commander";
import { loadScenario, scenarioNames } from "../sim/scenario.js";

export function listScenarios(): string {
  const rows = scenarioNames().map((name) => {
    const s = loadScenario(name);
    return { name, cls: s.truth.class, description: s.description };
  });
  const width = Math.max(...rows.map((r) => r.name.length));
  const clsWidth = Math.max(...rows.map((r) => r.cls.length));
  return `${rows.map((r) => `${r.name.padEnd(width)}  ${r.cls.padEnd(clsWidth)}  ${r.description}`).join("\n")}\n`;
}

export function registerScenarios(program: Command): void {
  program
    .command("scenarios")
    .description("list the simulator's scenarios: seed incidents, generic faults, look-alikes, healthy cases")
    .action(() => {
      process.stdout.write(listScenarios());
    });
}
