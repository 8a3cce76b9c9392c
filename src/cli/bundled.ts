/**
 * The one-file bundle of the command line that `npm run build` makes (scripts/bundle-cli.mjs), and
 * V8's code cache of it: a process loads one file compiled from the cache instead of resolving,
 * reading and compiling some 140 modules one by one, which is most of what `beneath analyze` costs
 * above the analysis itself. Both are build artefacts: when either is missing or older than the
 * modules, the caller runs the modules instead, so a bundle can never run code older than them.
 */
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";

export interface BundleFiles {
  /** The CommonJS bundle of program.js: a module exporting runCli. */
  bundle: string;
  /** V8's code cache of the bundle as compiled by `compileBundle`. */
  cache: string;
  /** The module the bundle was made from: a bundle older than it is stale. */
  source: string;
}

/** Where `npm run build` puts them: dist/bundle/, beside dist/src/. */
export const BUNDLE_FILES: BundleFiles = {
  bundle: fileURLToPath(new URL("../../bundle/program.cjs", import.meta.url)),
  cache: fileURLToPath(new URL("../../bundle/program.cjs.cache", import.meta.url)),
  source: fileURLToPath(new URL("./program.js", import.meta.url)),
};

type RunCli = (argv: readonly string[]) => Promise<void>;
type CommonJsBody = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string) => void;

/**
 * The bundle compiled as node compiles a CommonJS file, from `cachedData` when given (V8 checks
 * that it belongs to this source and node version, and compiles from the source when not).
 */
export function compileBundle(bundle: string, cachedData?: Buffer): Script {
  const source = `(function (exports, require, module, __filename) {${readFileSync(bundle, "utf8")}\n})`;
  return new Script(source, { filename: bundle, cachedData });
}

function mtimeMs(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** A file at least as new as `than`; missing files are never current. */
function current(path: string, than: number | undefined): boolean {
  const time = mtimeMs(path);
  return time !== undefined && than !== undefined && time >= than;
}

/** The bundle's runCli, or undefined when the bundle is missing or older than the modules. */
export function loadBundle(files: BundleFiles = BUNDLE_FILES): RunCli | undefined {
  if (!current(files.bundle, mtimeMs(files.source))) return undefined;
  // A cache from before the bundle was rebuilt could pass V8's check (it compares lengths), so it is used only when newer.
  const cachedData = current(files.cache, mtimeMs(files.bundle)) ? readFileSync(files.cache) : undefined;
  return evaluateBundle(compileBundle(files.bundle, cachedData), files.bundle);
}

/** Runs the compiled bundle's top level (its modules' own top levels included) and returns its runCli. */
export function evaluateBundle(script: Script, bundle: string): RunCli {
  const body = script.runInThisContext() as CommonJsBody;
  const module = { exports: {} as { runCli?: RunCli } };
  body(module.exports, createRequire(bundle), module, bundle);
  if (module.exports.runCli === undefined)
    throw new Error(`${bundle} does not export runCli: rebuild it (npm run build)`);
  return module.exports.runCli;
}
