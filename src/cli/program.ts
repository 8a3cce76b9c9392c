/**
 * The `beneath` command: one file per subcommand; this file wires them and maps failures to exit codes.
 * main.ts (the bin) runs it from the bundle `npm run build` makes of it, or from these modules.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { registerAnalyze } from "./analyze.js";
import { registerDemo } from "./demo.js";
import { reportError } from "./exitCodes.js";
import { registerExport } from "./export.js";
import { withHelp } from "./help.js";
import { registerLab } from "./lab.js";
import { registerScenarios } from "./scenarios.js";
import { registerSimulate } from "./simulate.js";

/** Runs from src/cli/ or dist/src/cli/: the version is in the nearest package.json above. */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
    } catch {
      const parent = dirname(dir);
      if (parent === dir) return "unknown";
      dir = parent;
    }
  }
}

function buildProgram(): Command {
  const program = new Command("beneath")
    .description("find the root cause of a cloud-native incident beneath the symptom")
    .version(packageVersion())
    // Throw instead of exiting so usage errors share one exit-code mapping; set before subcommands so they inherit it.
    .exitOverride()
    // One line, as every usage error is: commander puts its "(Did you mean --window?)" on a line of its own.
    .configureOutput({ outputError: (message, write) => write(`beneath: ${message.replace(/\s+/g, " ").trim()}\n`) });
  registerAnalyze(program);
  registerScenarios(program);
  registerSimulate(program);
  registerDemo(program);
  registerExport(program);
  registerLab(program);
  return withHelp(program, [
    "beneath demo                      # simulate an incident and diagnose it",
    "beneath analyze incident/ --at 2026-01-16T02:48:00Z",
    "beneath analyze --help            # each command's options, defaults and examples",
  ]);
}

/** Runs the command line `argv` (as process.argv: node, script, then the arguments). */
export async function runCli(argv: readonly string[]): Promise<void> {
  // `beneath analyze … | head` closes stdout early; that is the reader's choice, not a failure worth a stack trace.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.exit(process.exitCode ?? 0);
  });
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (err) {
    process.exitCode = reportError(err, process.stderr, process.env.BENEATH_DEBUG === "1");
  }
}
