/** The bin runs `analyze` from the bundle `npm run build` makes: current, compiled from its cache, and saying exactly what the modules say. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { BUNDLE_FILES, compileBundle, loadBundle } from "../src/cli/bundled.js";
import { MAIN, modulesBin } from "./helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "beneath-bundle-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const FROM_MODULES = modulesBin(dir);

const EXAMPLE = fileURLToPath(new URL("../../examples/train-ticket-route-delay", import.meta.url));

/** The Diagnosis without what differs from run to run (when it was made, how long it took). */
function diagnosisOf(stdout: string): unknown {
  const { generated_at: _at, timing: _timing, ...rest } = JSON.parse(stdout) as Record<string, unknown>;
  return rest;
}

function analyzeWith(script: string[], args: string[]): unknown {
  const run = spawnSync(process.execPath, [...script, "analyze", ...args, "--format", "json"], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return diagnosisOf(run.stdout);
}

/** `beneath analyze` from the bin (the bundle) and from program.js's modules. */
function bothWays(args: string[]): [unknown, unknown] {
  return [analyzeWith([MAIN], args), analyzeWith([FROM_MODULES], args)];
}

test("the build leaves a bundle newer than the modules and a code cache V8 accepts", () => {
  assert.equal(typeof loadBundle(), "function");
  const script = compileBundle(BUNDLE_FILES.bundle, readFileSync(BUNDLE_FILES.cache));
  assert.equal(script.cachedDataRejected, false);
});

test("analyze from the bundle prints the Diagnosis the modules print", () => {
  const [bundled, modules] = bothWays([EXAMPLE]);
  assert.deepEqual(bundled, modules);
});

test("analyze from the bundle reads a large log on its bundled worker threads as the modules do", () => {
  // Above the size at which JSON-lines files are parsed on worker threads (read/parallelLines.ts).
  const lines: string[] = [];
  for (let i = 0; i < 160_000; i++) {
    const service = ["cart", "payment", "shipping"][i % 3];
    const failing = service === "payment" && i > 120_000;
    const msg = failing ? `timeout calling db after ${i % 50} ms` : `served request ${i} in ${i % 40} ms`;
    const pod = `${service}-7d9f8c6b5-x2x9q`;
    lines.push(JSON.stringify({ ts: 1_700_000_000 + i * 0.01, level: failing ? "error" : "info", service, pod, msg }));
  }
  const log = join(dir, "big.jsonl");
  writeFileSync(log, `${lines.join("\n")}\n`);
  assert.ok(statSync(log).size > 16 * 1024 * 1024);
  const [bundled, modules] = bothWays([log]);
  assert.deepEqual(bundled, modules);
});

test("without a current bundle the bin runs the modules", () => {
  const files = { bundle: join(dir, "b.cjs"), cache: join(dir, "b.cjs.cache"), source: join(dir, "program.js") };
  writeFileSync(files.source, "");
  assert.equal(loadBundle(files), undefined, "no bundle");
  writeFileSync(files.bundle, "module.exports.runCli = async () => {};");
  utimesSync(files.bundle, new Date(1_000_000), new Date(1_000_000));
  assert.equal(loadBundle(files), undefined, "a bundle older than the modules");
  utimesSync(files.bundle, new Date(), new Date());
  assert.equal(typeof loadBundle(files), "function", "a current bundle");
});
