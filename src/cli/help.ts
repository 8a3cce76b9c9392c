/** What every command's `--help` ends with: examples, and the exit codes shared by all commands. */
import type { Command } from "commander";

const EXIT_CODES = `Exit codes:
  0  done (for analyze: a diagnosis was produced, even "no confident cause")
  1  internal error (BENEATH_DEBUG=1 prints the stack trace)
  2  bad usage or unusable input: one line on stderr naming the file, field or flag and what was expected
  3  analyze --fail-on-cause: a confident cause was found (for CI jobs and alert hooks)`;

/** Adds the examples (one command line each, with an optional comment) and the exit codes after the options. */
export function withHelp(command: Command, examples: string[]): Command {
  const lines = examples.map((e) => `  $ ${e}`).join("\n");
  return command.addHelpText("after", `\nExamples:\n${lines}\n\n${EXIT_CODES}\n`);
}
