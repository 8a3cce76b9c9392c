import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { assertUsageError, beneath } from "./helpers/cli.js";

test("beneath scenarios lists every scenario with its class and a description", () => {
  const { status, stdout } = beneath("scenarios");
  assert.equal(status, 0);
  assert.match(stdout, /^connection-collapse\s+incident\s+Connection Collapse/m);
  assert.match(stdout, /^rs-healthy\s+healthy\s+/m);
});

test("beneath simulate writes the case and, apart from it, the truth", () => {
  const out = mkdtempSync(join(tmpdir(), "beneath-cli-sim-"));
  try {
    const { status, stdout } = beneath("simulate", "rs-healthy", "--seed", "3", "--out", out);
    assert.equal(status, 0);
    assert.match(stdout, /beneath analyze .*case --at 2026-/);
    assert.ok(existsSync(join(out, "case", "metrics", "kube-state-metrics.json")));
    assert.ok(existsSync(join(out, "case", "kubernetes", "events.json")));
    assert.ok(!existsSync(join(out, "case", "truth.json")));
    const truth = JSON.parse(readFileSync(join(out, "truth.json"), "utf8")) as { class: string; seed: number };
    assert.equal(truth.class, "healthy");
    assert.equal(truth.seed, 3);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("simulate: an unknown scenario or a bad --set is one clear line and exit 2", () => {
  assertUsageError(beneath("simulate", "no-such-scenario", "--out", tmpdir()), "no scenario named no-such-scenario");
  assertUsageError(
    beneath("simulate", "rs-healthy", "--set", "components.web.replicas=lots", "--out", tmpdir()),
    "components.web.replicas",
  );
  assertUsageError(beneath("simulate", "rs-healthy", "--seed", "x", "--out", tmpdir()), "--seed");
});

test("beneath demo simulates, diagnoses, compares with the truth and writes the HTML and Markdown reports", () => {
  const out = mkdtempSync(join(tmpdir(), "beneath-cli-demo-"));
  try {
    const { status, stdout } = beneath("demo", "rs-healthy", "--out", out);
    assert.equal(status, 0);
    assert.match(stdout, /^truth: healthy, no fault to find; beneath /m);
    const report = readFileSync(join(out, "report.md"), "utf8");
    assert.match(report, /^# Incident report/m);
    const html = readFileSync(join(out, "report.html"), "utf8");
    assert.match(html, /^<!doctype html>/);
    assert.match(stdout, new RegExp(`^HTML report .*: ${join(out, "report.html")}$`, "m"));
    assert.match(report, /^## The simulated incident/m);
    assert.match(report, /!\[[^\]]*\]\(charts\.svg\)/);
    assert.ok(existsSync(join(out, "charts.svg")));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
