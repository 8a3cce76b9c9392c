import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { assertUsageError, beneath } from "./helpers/cli.js";

const PACKAGE_JSON = fileURLToPath(new URL("../../package.json", import.meta.url));
const EXISTING_PATH = fileURLToPath(new URL(".", import.meta.url));
const MISSING_PATH = join(tmpdir(), "beneath-test-no-such-input", "metrics.json");

test("an unknown --format is a usage error naming the value and the choices", () => {
  const result = beneath("analyze", EXISTING_PATH, "--format", "xml");
  assertUsageError(result, "'xml'");
  assert.match(result.stderr, /text, md, json/);
});

test("a --at that is neither ISO 8601 nor unix seconds is a usage error", () => {
  assertUsageError(beneath("analyze", EXISTING_PATH, "--at", "yesterday"), "'yesterday'");
});

test("a --window that is not a duration is a usage error", () => {
  assertUsageError(beneath("analyze", EXISTING_PATH, "--window", "5x"), "'5x'");
  assertUsageError(beneath("analyze", EXISTING_PATH, "--window", "0s"), "'0s'");
});

test("a --top that is not a positive whole number is a usage error", () => {
  assertUsageError(beneath("analyze", EXISTING_PATH, "--top", "0"), "'0'");
  assertUsageError(beneath("analyze", EXISTING_PATH, "--top", "2.5"), "'2.5'");
});

test("a path that does not exist is a usage error naming it", () => {
  assertUsageError(beneath("analyze", MISSING_PATH, EXISTING_PATH), MISSING_PATH);
});

test("commander's own usage errors exit 2 too", () => {
  assertUsageError(beneath("analyze"), "path");
  assertUsageError(beneath("analyze", EXISTING_PATH, "--bogus"), "--bogus");
  assertUsageError(beneath("frobnicate"), "frobnicate");
});

test("--version prints the package version and exits 0", () => {
  const { version } = JSON.parse(readFileSync(PACKAGE_JSON, "utf8")) as { version: string };
  const result = beneath("--version");
  assert.equal(result.status, 0);
  assert.equal(result.stdout.trim(), version);
});

test("--fail-on-cause exits 3 when a confident cause is found, 0 when none is", () => {
  const examples = fileURLToPath(new URL("../../examples/", import.meta.url));
  const truthOf = (name: string) =>
    JSON.parse(readFileSync(join(examples, name, "truth.json"), "utf8")) as { alert_time: string };
  const incident = "lab-connection-collapse";
  const lookAlike = "lab-connection-collapse-surge";
  const found = beneath(
    "analyze",
    join(examples, incident, "case"),
    "--at",
    truthOf(incident).alert_time,
    "--fail-on-cause",
  );
  assert.equal(found.status, 3, found.stderr);
  const none = beneath(
    "analyze",
    join(examples, lookAlike, "case"),
    "--at",
    truthOf(lookAlike).alert_time,
    "--fail-on-cause",
  );
  assert.equal(none.status, 0, none.stderr);
});
