/** Runs the built `beneath` command, and checks the one-line usage errors DESIGN.md promises. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/**
 * Writes into `dir` a bin that runs the modules even where MAIN runs the bundle (src/cli/bundled.ts),
 * and returns its path. A file, not `node -e`: worker threads inherit node's flags.
 */
export function modulesBin(dir: string): string {
  const bin = join(dir, "beneath-from-modules.mjs");
  const program = new URL("../../src/cli/program.js", import.meta.url).href;
  writeFileSync(bin, `(await import(${JSON.stringify(program)})).runCli(process.argv);\n`);
  return bin;
}

export function beneath(...args: string[]) {
  return beneathWithInput(undefined, ...args);
}

/** Runs `beneath` with `input` on its standard input. */
export function beneathWithInput(input: string | undefined, ...args: string[]) {
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    encoding: "utf8",
    input,
    env: { ...process.env, BENEATH_DEBUG: "" },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** As `beneath`, without blocking the test process (servers it runs keep answering meanwhile). */
export function beneathAsync(...args: string[]): Promise<ReturnType<typeof beneath>> {
  return beneathWithEnv({}, ...args);
}

/** As `beneathAsync`, with these environment variables added. */
export function beneathWithEnv(env: Record<string, string>, ...args: string[]): Promise<ReturnType<typeof beneath>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, BENEATH_DEBUG: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Exit 2 with exactly one line on stderr, no stack frames, nothing on stdout. */
export function assertUsageError(result: ReturnType<typeof beneath>, mentions: string): void {
  assert.equal(result.status, 2, `exit code; stderr: ${result.stderr}`);
  assert.equal(result.stdout, "");
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /^\s+at /m);
  assert.ok(lines[0].startsWith("beneath: "), lines[0]);
  assert.ok(lines[0].includes(mentions), `"${lines[0]}" should mention ${mentions}`);
}
