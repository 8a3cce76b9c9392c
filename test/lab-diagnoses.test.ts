/**
 * Every recorded lab run is diagnosed as its truth says, from its exported files exactly as a user
 * would run it: the real servers' telemetry keeps the engine honest about what real software writes.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { judge, type Truth } from "../src/lab/verdict.js";
import { beneathAsync } from "./helpers/cli.js";

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));
const labExamples = readdirSync(EXAMPLES).filter((name) => name.startsWith("lab-"));

for (const name of labExamples) {
  test(`${name}: diagnosed as its truth says from the exported files`, async () => {
    const dir = join(EXAMPLES, name);
    const truth = JSON.parse(readFileSync(join(dir, "truth.json"), "utf8")) as Truth;
    const run = await beneathAsync("analyze", join(dir, "case"), "--format", "json");
    assert.equal(run.status, 0, run.stderr);
    const verdict = judge(truth, JSON.parse(run.stdout));
    assert.ok(verdict.matches, verdict.line);
  });
}
