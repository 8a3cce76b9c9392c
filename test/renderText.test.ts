import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { analyze } from "../src/analyze.js";
import { MAX_NAME_CHARS } from "../src/diagnosis/describe.js";
import { groupEvidence } from "../src/diagnosis/group.js";
import { FIRST_SCREEN_LINES, MAX_LINE_CHARS, renderText } from "../src/diagnosis/renderText.js";
import { storyDiagnosis } from "./helpers/storyDiagnosis.js";

const E_NOTATION = /\d(?:\.\d+)?e[-+]?\d/i;
/** A label selector: `{` up to the closing `}`. */
const SELECTOR = /\w+\{[^}]*\}/g;

test("evidence groups: one metric on three pods is one group, a histogram's buckets are one", () => {
  const groups = groupEvidence(storyDiagnosis().causes[0].evidence);
  const pool = groups.find((g) => g.lead.series?.metric === "hikaricp_connections_idle");
  assert.equal(pool?.items.length, 3);
  assert.equal(pool?.spread, "3 pods");
  assert.equal(pool?.lead.id, "e1", "the strongest item leads");
  assert.equal(groups.find((g) => g.items.length === 3 && g.lead.id === "e6")?.spread, "3 buckets");
  const histogram = groups.filter((g) => g.lead.series?.metric.startsWith("http_request_duration_seconds"));
  assert.equal(histogram.length, 1);
  assert.equal(histogram[0].items.length, 3);
  assert.equal(groups.length, 4);
});

test("the story fits a screen: verdict with the resource's numbers, the chain by role, the runner-up, the actions", () => {
  const text = renderText(storyDiagnosis(), { color: false });
  const lines = text.trimEnd().split("\n");
  assert.ok(lines.length <= FIRST_SCREEN_LINES, `${lines.length} lines:\n${text}`);
  assert.match(lines[0], /^shipping is the root cause: db\.connection-hoarding \(82% confidence\)/);
  assert.match(lines[1], /database:mysql max_connections: 648 of 648 connections \(100%\) since 02:58 UTC/);
  const chain = lines.filter((l) => /^ {2}(cause|resource|victim|symptom) /.test(l));
  assert.deepEqual(
    chain.map((l) => l.trim().split(/\s+/)[0]),
    ["cause", "resource", "victim", "symptom"],
  );
  assert.match(
    chain[0],
    /shipping: its pool holds idle connections — hikaricp_connections_idle\{pool="HikariPool-1"\} 10 → 61 connections \(6\.1× baseline\) on 3 pods/,
  );
  assert.match(chain[1], /210 → 648 of 648 connections \(the limit\) \(3\.09× baseline\)/);
  assert.match(chain[2], /"SQLSTATE\[HY000\] \[1040\] Too many connections" 4,785 lines vs 0 expected/);
  assert.match(
    chain[3],
    /web: users get errors — http_request_duration_seconds_bucket < 0\.001\/s → 17\.2\/s \(from near zero\) on 3 buckets/,
  );
  assert.match(text, /also {5}shipping: client\.no-timeout — no idle timeout/);
  assert.doesNotMatch(text, /^ {2}log /m, "the root logged nothing itself: no log line is shown");
  assert.match(text, /code\.error on ratings \(12%\)/);
  assert.match(text, /cpu\.saturation on mysql: CPU stayed at 12%\n/, "σ figures stay in JSON");
  assert.match(text, /Do now:\n {2}1\. Restart shipping/);
  assert.match(text, /Fix for good:\n {2}1\. Set idleTimeout/);
});

test("the text has no e-notation, no σ and no selector longer than the limit; --verbose shows every group", () => {
  for (const verbose of [false, true]) {
    const text = renderText(storyDiagnosis(), { color: false, verbose });
    assert.doesNotMatch(text, E_NOTATION);
    assert.doesNotMatch(text, /σ/);
    for (const selector of text.match(SELECTOR) ?? []) assert.ok(selector.length <= MAX_NAME_CHARS, selector);
  }
  const verbose = renderText(storyDiagnosis(), { color: false, verbose: true });
  assert.match(verbose, /#2 code\.error on service:ratings/);
  assert.equal(
    verbose.match(/hikaricp_connections_idle/g)?.length,
    2,
    "once in the chain, once grouped in the evidence",
  );
});

test("the story of a recorded real case fits a screen and reads without e-notation, σ or long selectors", async () => {
  const example = "examples/train-ticket-route-delay";
  const truth = JSON.parse(readFileSync(`${example}/truth.json`, "utf8"));
  const d = await analyze([example], { at: Date.parse(truth.alert_time) / 1e3 });
  const text = renderText(d, { color: false });
  assert.ok(text.trimEnd().split("\n").length <= FIRST_SCREEN_LINES, text);
  const verbose = renderText(d, { color: false, verbose: true });
  for (const output of [text, verbose]) {
    assert.doesNotMatch(output, E_NOTATION);
    assert.doesNotMatch(output, /σ/);
    for (const selector of output.match(SELECTOR) ?? []) assert.ok(selector.length <= MAX_NAME_CHARS, selector);
  }
});

test("victims hit the same way share one line, and a long story trims its lists to stay on one screen", () => {
  const d = storyDiagnosis();
  const lead = d.causes[0];
  const victim = lead.chain[2];
  lead.chain.splice(3, 0, { ...victim, entity: "service:catalogue" }, { ...victim, entity: "service:cart" });
  for (let i = 0; i < 6; i++)
    d.ruled_out.push({ entity: `service:s${i}`, kind: "cpu.saturation", why: "CPU stayed flat" });
  lead.remediation.now.push(`a third action ${"that explains itself at length ".repeat(8)}`, "a fourth action");
  lead.remediation.fix.push("another fix", "and another");
  const lines = renderText(d, { color: false }).trimEnd().split("\n");
  assert.ok(lines.length <= FIRST_SCREEN_LINES, lines.join("\n"));
  for (const line of lines) assert.ok(line.length <= MAX_LINE_CHARS, line);
  assert.ok(
    lines.some((l) => /^ {2}victim {3}ratings, catalogue, cart: cannot connect$/.test(l)),
    lines.join("\n"),
  );
  assert.ok(
    lines.some((l) => /^ {2}1\. Restart shipping/.test(l)),
    "actions keep their first items",
  );
});
