/** `--out`: a report never replaces one of the inputs, nor an existing file unless `--force` says so. */
import { realpath, stat, writeFile } from "node:fs/promises";
import { relative } from "node:path";
import { UsageError } from "./exitCodes.js";

async function realOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    return undefined;
  }
}

/** Whether `target` (a real path) is `input` itself or lies inside the folder `input`. */
async function isWithin(target: string, input: string): Promise<boolean> {
  const real = await realOrUndefined(input);
  if (real === undefined) return false;
  const rel = relative(real, target);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith("/"));
}

/**
 * Checked before reading, so a refused --out costs nothing: an input is refused even with --force
 * (the report would destroy the evidence it was made from), another existing file needs --force.
 */
export async function assertOutWritable(out: string, inputs: string[], force: boolean): Promise<void> {
  const target = await realOrUndefined(out);
  if (target === undefined) return;
  for (const input of inputs) {
    if (await isWithin(target, input))
      throw new UsageError(`--out ${out} is one of the inputs (${input}); write the report somewhere else`);
  }
  if (!force && (await stat(target)).isFile())
    throw new UsageError(`--out ${out} already exists; add --force to overwrite it`);
}

/** Writes the report; without --force, a file that appeared since the check is still not replaced. */
export async function writeOut(out: string, text: string, force: boolean): Promise<void> {
  try {
    await writeFile(out, text, { flag: force ? "w" : "wx" });
  } catch (err) {
    throw new UsageError(`cannot write ${out}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
