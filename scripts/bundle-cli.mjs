// Part of `npm run build`, after tsc: bundles dist/src/cli/program.js into dist/bundle/program.cjs and
// writes V8's code cache of it, which the `beneath` bin runs `analyze` from (src/cli/bundled.ts).
// CommonJS because node 20 can compile a script from a code cache (vm.Script) but not an ES module.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const { BUNDLE_FILES, compileBundle, evaluateBundle } = await import("../dist/src/cli/bundled.js");

// Bundled: what every `analyze` loads (commander) or may (the progress bar). The other dependencies
// serve the lab, the simulator or the HTML report's script and stay required from node_modules.
const BUNDLED = new Set(["commander", "cli-progress"]);
/** A path in the repository, wherever the build is run from. */
const repo = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const pkg = JSON.parse(readFileSync(repo("package.json"), "utf8"));
const external = Object.keys(pkg.dependencies).filter((name) => !BUNDLED.has(name));

/**
 * Any warning (an `import.meta` left undefined, a top-level await) fails the build. Whitespace is
 * minified (names are kept, so error names and messages are the modules'): every run reads the
 * whole source, a third smaller so.
 */
async function bundle(options) {
  const settings = { bundle: true, platform: "node", target: "node20", logLevel: "warning", minifyWhitespace: true };
  const result = await build({ ...settings, ...options });
  if (result.warnings.length > 0) throw new Error(`esbuild: ${result.warnings.length} warning(s)`);
}

// A stale cache must not sit beside a new bundle, even if this script fails half-way.
rmSync(BUNDLE_FILES.cache, { force: true });
await bundle({
  entryPoints: [BUNDLE_FILES.source],
  outfile: BUNDLE_FILES.bundle,
  format: "cjs",
  external,
  // The modules locate files (package.json, worker scripts) from import.meta.url: the bundle's own URL.
  define: { "import.meta.url": "__bundleUrl" },
  banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
});
// The readers start these by URL relative to their own module, so in the bundle beside it.
await bundle({
  entryPoints: [repo("dist/src/read/lineWorker.js"), repo("dist/src/read/documentWorker.js")],
  outdir: dirname(BUNDLE_FILES.bundle),
  format: "esm",
  external,
});
// Compiled as the bin compiles it, then run on the example incident, so that the cache holds the
// functions an analyze runs (reading, detection, ranking, rendering) compiled, not only the top level.
const WARM_UP_INCIDENT = [repo("examples/train-ticket-route-delay"), "--at", "2023-01-30T13:44:44Z"];
const script = compileBundle(BUNDLE_FILES.bundle);
const runCli = evaluateBundle(script, BUNDLE_FILES.bundle);
const scratch = mkdtempSync(join(tmpdir(), "beneath-bundle-"));
try {
  const out = join(scratch, "diagnosis.json");
  await runCli([process.execPath, "beneath", "analyze", ...WARM_UP_INCIDENT, "--format", "json", "--out", out]);
  if (process.exitCode) throw new Error(`the bundle failed on ${WARM_UP_INCIDENT.join(" ")}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
writeFileSync(BUNDLE_FILES.cache, script.createCachedData());
