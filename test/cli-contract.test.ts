/** The CLI's contract: durations with units, --out that never destroys, help that says defaults and exit codes, colour only for a person. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { wantsColor } from "../src/cli/terminal.js";
import { assertUsageError, beneath, MAIN, modulesBin } from "./helpers/cli.js";

const LOGS = fileURLToPath(new URL("../../test/fixtures/logs/checkout.jsonl", import.meta.url));
/** The program itself and each command. */
const COMMANDS: string[][] = [[], ["analyze"], ["export"], ["scenarios"], ["simulate"], ["demo"], ["lab"]];

test("a duration without a unit is exit 2 asking for one", () => {
  assertUsageError(beneath("analyze", LOGS, "--window", "5"), "Expected a unit: 5s, 5m or 5h");
  assertUsageError(beneath("analyze", LOGS, "--window", "1.5"), "Expected a unit: 1.5s");
});

test("an unknown flag is exit 2 naming it", () => {
  assertUsageError(beneath("analyze", LOGS, "--windw", "5m"), "unknown option '--windw'");
});

/** Scratch folders the --out tests write into, removed when the file's tests end. */
const scratch: string[] = [];
after(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

function outDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "beneath-out-"));
  scratch.push(dir);
  return dir;
}

test("--out refuses an existing file unless --force, and an input always", () => {
  const dir = outDir();
  const out = join(dir, "report.json");
  writeFileSync(out, "keep me");
  assertUsageError(beneath("analyze", LOGS, "--format", "json", "--out", out), "add --force");
  assert.equal(readFileSync(out, "utf8"), "keep me");
  const forced = beneath("analyze", LOGS, "--format", "json", "--out", out, "--force");
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal(JSON.parse(readFileSync(out, "utf8")).schema, "beneath.diagnosis/v1");
  const before = readFileSync(LOGS, "utf8");
  assertUsageError(beneath("analyze", LOGS, "--out", LOGS, "--force"), "is one of the inputs");
  assertUsageError(beneath("analyze", dir, "--out", out, "--force"), "is one of the inputs");
  assert.equal(readFileSync(LOGS, "utf8"), before);
});

test("--out writes a new file", () => {
  const out = join(outDir(), "report.md");
  const result = beneath("analyze", LOGS, "--format", "md", "--out", out);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, "");
  assert.ok(existsSync(out));
});

test("every command's --help lists examples and exit codes; analyze's its defaults and what the window is", () => {
  for (const command of COMMANDS) {
    const help = beneath(...command, "--help");
    const name = command.join(" ") || "beneath";
    assert.equal(help.status, 0, name);
    assert.match(help.stdout, /Examples:\n\s+\$ beneath /, name);
    assert.match(help.stdout, /Exit codes:[\s\S]*\b2 +bad usage/, name);
  }
  const analyze = beneath("analyze", "--help").stdout.replace(/\s+/g, " ");
  assert.match(analyze, /--window <dur> how long AFTER --at to examine/);
  assert.match(analyze, /\(default: 5m\b/);
  assert.match(analyze, /--top <N> .*\(default: 5\)/);
  assert.match(analyze, /- reads standard input/);
});

test("colour only for a terminal, and never with NO_COLOR", () => {
  const saved = process.env.NO_COLOR;
  try {
    delete process.env.NO_COLOR;
    assert.equal(wantsColor({ isTTY: true } as NodeJS.WriteStream), true);
    assert.equal(wantsColor({ isTTY: false } as NodeJS.WriteStream), false);
    process.env.NO_COLOR = "1";
    assert.equal(wantsColor({ isTTY: true } as NodeJS.WriteStream), false);
  } finally {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  }
});

test("a run without --at says on stderr which span it searched, and keeps stdout for the report", () => {
  const result = beneath("analyze", LOGS, "--format", "json");
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /^beneath: no --at given: searched 2023-01-29T08:42:20\.000Z → /);
  assert.equal(JSON.parse(result.stdout).schema, "beneath.diagnosis/v1");
});

/** Node run with `preload` (an ES module's source) imported first; what it printed on stderr after `prefix`. */
function printedByPreload(preload: string, prefix: string, script: string, args: string[]): string[] {
  const result = spawnSync(
    process.execPath,
    ["--import", `data:text/javascript,${encodeURIComponent(preload)}`, script, ...args],
    {
      encoding: "utf8",
    },
  );
  return [...result.stderr.matchAll(new RegExp(`^${prefix} (.+)$`, "gm"))].map((m) => m[1]);
}

/** Every ES module a run of the modules loads, from a resolve hook. */
function loadedModules(...args: string[]): string[] {
  const hook = `export async function resolve(specifier, context, next) {
    const resolved = await next(specifier, context);
    process.stderr.write("LOADED " + resolved.url + "\\n");
    return resolved;
  }`;
  const install = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  return printedByPreload(install, "LOADED", modulesBin(outDir()), args);
}

/** Every CommonJS module a run of the bin requires: what the bundle takes from node_modules. */
function requiredModules(...args: string[]): string[] {
  const hook = `import Module from "node:module";
    const load = Module._load;
    Module._load = function (request, ...rest) {
      process.stderr.write("REQUIRED " + request + "\\n");
      return load.call(this, request, ...rest);
    };`;
  return printedByPreload(hook, "REQUIRED", MAIN, args);
}

/** What analyze needs not: the simulator and its YAML, schema validation, the progress bar off a terminal. */
const UNNEEDED = /\/sim\/(?!scenarioError\.js)|\/yaml\/|\/ajv\/|cli-progress|validate\.js/;

test("analyze loads neither the simulator, nor YAML, nor schema validation, nor the progress bar off a terminal", () => {
  const loaded = loadedModules("analyze", LOGS, "--format", "json");
  assert.ok(
    loaded.some((url) => url.endsWith("/src/analyze.js")),
    "the hook sees the engine load",
  );
  assert.deepEqual(
    loaded.filter((url) => UNNEEDED.test(url)),
    [],
  );
});

test("analyze from the bundle requires neither YAML nor schema validation", () => {
  const required = requiredModules("analyze", LOGS, "--format", "json");
  assert.ok(required.includes("node:zlib"), "the hook sees the bundle require node's modules");
  assert.deepEqual(
    required.filter((name) => /^(yaml|ajv)/.test(name)),
    [],
  );
});
