import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { beneath } from "./helpers/cli.js";

const example = "examples/train-ticket-route-delay";
const at = JSON.parse(readFileSync(`${example}/truth.json`, "utf8")).alert_time;

test("analyze --format html --out writes one self-contained page; --list-inputs lists every file in the JSON", () => {
  const out = mkdtempSync(join(tmpdir(), "beneath-cli-report-"));
  try {
    const file = join(out, "report.html");
    const html = beneath("analyze", example, "--at", at, "--format", "html", "--out", file);
    assert.equal(html.status, 0, html.stderr);
    assert.equal(html.stdout, "");
    const page = readFileSync(file, "utf8");
    assert.match(page, /^<!doctype html>/);
    assert.match(page, /uPlot/, "the chart library is inlined");

    const compact = JSON.parse(beneath("analyze", example, "--at", at, "--format", "json").stdout);
    const listed = JSON.parse(beneath("analyze", example, "--at", at, "--format", "json", "--list-inputs").stdout);
    const files = compact.input.source_summary.reduce((n: number, s: { files: number }) => n + s.files, 0);
    assert.ok(compact.input.sources.length < files);
    assert.equal(listed.input.sources.length, files);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("analyze --verbose adds every cause's evidence to the story", () => {
  const plain = beneath("analyze", example, "--at", at);
  const verbose = beneath("analyze", example, "--at", at, "--verbose");
  assert.equal(verbose.status, 0);
  assert.ok(verbose.stdout.split("\n").length > plain.stdout.split("\n").length);
  assert.match(verbose.stdout, /^#2 /m);
});
