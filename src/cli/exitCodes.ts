/** How the CLI turns a failure into one line on stderr and an exit code (DESIGN.md, "Commands"). */
import { CommanderError } from "commander";
import { LiveError } from "../live/errors.js";
import { NoDataError, ReadError } from "../read/types.js";
import { ScenarioError } from "../sim/scenarioError.js";

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;
/** `analyze --fail-on-cause` found a confident cause: a gate a CI job or an alert hook can test. */
export const EXIT_CAUSE_FOUND = 3;

/** The user asked for something that cannot be done as asked: bad option, missing path. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** File-system failures that mean the input (or --out) is unusable, not that beneath is broken. */
const INPUT_ERRNO = new Set(["ENOENT", "EACCES", "EPERM", "EISDIR", "ENOTDIR", "ELOOP", "ENAMETOOLONG"]);

function isInputErrno(err: unknown): err is NodeJS.ErrnoException {
  if (!(err instanceof Error)) return false;
  const { code } = err as NodeJS.ErrnoException;
  return code !== undefined && INPUT_ERRNO.has(code);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * Reports `err` on stderr and returns the exit code. Commander has already printed its own usage
 * errors, so those only need their code mapped.
 */
export function reportError(err: unknown, stderr: NodeJS.WritableStream, debug: boolean): number {
  if (err instanceof CommanderError) return err.exitCode === EXIT_OK ? EXIT_OK : EXIT_USAGE;
  if (
    err instanceof UsageError ||
    err instanceof ReadError ||
    err instanceof NoDataError ||
    err instanceof ScenarioError ||
    err instanceof LiveError ||
    isInputErrno(err)
  ) {
    stderr.write(`beneath: error: ${oneLine(err.message)}\n`);
    return EXIT_USAGE;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (debug && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
  else stderr.write(`beneath: internal error: ${oneLine(message)} (set BENEATH_DEBUG=1 for the stack trace)\n`);
  return EXIT_INTERNAL;
}
