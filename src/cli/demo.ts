/**
 * `beneath demo [scenario]`: simulate a scenario, diagnose it the way a user would (the alert time
 * given, nothing else), print the story, write the HTML and Markdown reports, and say how it compares
 * with the truth the simulator kept apart.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import type { Diagnosis } from "../diagnosis/types.js";
import type { Simulation } from "../sim/simulate.js";
import { withHelp } from "./help.js";
import { parseSeed, simulateToFolder } from "./simulate.js";
import { wantsColor } from "./terminal.js";

/** The scenario `beneath demo` and `npm start` run: the seed incident most people recognise. */
export const DEMO_SCENARIO = "connection-collapse";

interface DemoFlags {
  seed?: number;
  out?: string;
}

/** One line: what the simulator says happened against what beneath found. */
export function verdict(sim: Simulation, d: Diagnosis): string {
  const { truth } = sim.scenario;
  const top = d.causes[0];
  if (truth.class !== "incident") {
    const blamed =
      top && top.confidence >= 0.5
        ? `blamed ${top.entity} (${top.kind}) at ${top.confidence.toFixed(2)}`
        : "blamed nothing at 0.5 or above";
    return `truth: ${truth.class}, no fault to find; beneath ${blamed}`;
  }
  const found = top ? `${top.entity} ${top.kind}` : "no cause";
  const entity = top?.entity === truth.entity ? "right entity" : "wrong entity";
  const kind = top?.kind === truth.kind ? "right kind" : "wrong kind";
  return `truth: ${truth.entity} ${truth.kind}; beneath's top cause: ${found} (${entity}, ${kind})`;
}

/** What the report adds for a simulated case: the truth beside the verdict, and the charts of its key series. */
function simulationSection(sim: Simulation, d: Diagnosis, out: string): string {
  const lines = [
    "## The simulated incident",
    "",
    `Scenario \`${sim.scenario.name}\` (seed ${sim.seed}): ${sim.scenario.description}.`,
    "",
  ];
  lines.push(`${verdict(sim, d)}.`, "");
  if (existsSync(join(out, "charts.svg")))
    lines.push("![The scenario's key series, with the fault start and the alert](charts.svg)", "");
  return lines.join("\n");
}

export function registerDemo(program: Command): void {
  const command = program
    .command("demo")
    .description("simulate a scenario and diagnose it in one go; prints the story and writes HTML and Markdown reports")
    .argument("[scenario]", "a scenario name (see `beneath scenarios`)", DEMO_SCENARIO)
    .option("--seed <N>", "random seed (default: a fixed seed, so runs repeat)", parseSeed)
    .option("--out <dir>", "where the case and report go (default: a folder under the system's temp dir)")
    .action(async (scenario: string, flags: DemoFlags) => {
      const out = flags.out ?? join(tmpdir(), "beneath-demo", scenario);
      const { sim, dir } = await simulateToFolder(scenario, { seed: flags.seed, set: [], out });
      // The engine and the renderers load when the demo runs, not for every command's start-up.
      const [{ analyzeCase }, { renderHtml }, { renderMarkdown }, { renderText }] = await Promise.all([
        import("../analyze.js"),
        import("../diagnosis/renderHtml.js"),
        import("../diagnosis/renderMarkdown.js"),
        import("../diagnosis/renderText.js"),
      ]);
      const at = sim.scenario.start + sim.scenario.alert;
      const { diagnosis, case: c } = await analyzeCase([dir], { at });
      const html = join(out, "report.html");
      const markdown = join(out, "report.md");
      await writeFile(html, renderHtml(diagnosis, c));
      await writeFile(markdown, `${renderMarkdown(diagnosis)}\n${simulationSection(sim, diagnosis, out)}`);
      const color = wantsColor(process.stdout);
      process.stdout.write(renderText(diagnosis, { color }));
      process.stdout.write(`\nsimulated: ${sim.scenario.description}\n${verdict(sim, diagnosis)}\n`);
      process.stdout.write(`case: ${dir}\nMarkdown report: ${markdown}\n`);
      process.stdout.write(`HTML report (charts; opens offline in a browser): ${html}\n`);
    });
  withHelp(command, ["beneath demo", "beneath demo rs-memory-leak-cart --seed 3 --out /tmp/leak-demo"]);
}
