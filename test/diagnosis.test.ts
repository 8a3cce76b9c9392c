import assert from "node:assert/strict";
import { test } from "node:test";
import { renderHtml } from "../src/diagnosis/renderHtml.js";
import { renderJson } from "../src/diagnosis/renderJson.js";
import { renderMarkdown } from "../src/diagnosis/renderMarkdown.js";
import { renderText } from "../src/diagnosis/renderText.js";
import { DIAGNOSIS_SCHEMA, type Diagnosis } from "../src/diagnosis/types.js";
import { validateDiagnosis } from "../src/diagnosis/validate.js";
import { storyDiagnosis } from "./helpers/storyDiagnosis.js";

/** The Control Sequence Introducer that starts every ANSI colour code. */
const ANSI_ESCAPE = "\u001b[";

function sample(): Diagnosis {
  return {
    schema: DIAGNOSIS_SCHEMA,
    generated_at: "2025-11-19T01:20:00.000Z",
    input: {
      sources: [
        { file: "logs/node1.log", format: "text-log" },
        { file: "metrics/memory.json", format: "prometheus-query-range" },
      ],
      skipped: [{ file: "metrics/memory.json", where: "result[3]", reason: "values is not an array" }],
      window: { start: "2025-11-19T00:42:00.000Z", end: "2025-11-19T01:17:00.000Z" },
      alert_time: "2025-11-19T01:02:12.000Z",
    },
    summary: "A DEBUG log flood on broker node1 (≈180k lines/s) exhausted its memory and crashed it.",
    confident: true,
    causes: [
      {
        rank: 1,
        entity: "process:node1",
        kind: "logging.flood",
        resource: "log lines/s",
        confidence: 0.86,
        start: "2025-11-19T00:57:05.000Z",
        chain: [
          { entity: "process:node1", effect: "DEBUG WORKER_TICK lines surge to 180k/s", evidence: ["e1"] },
          { entity: "broker:node1", effect: "memory grows until the process is OOM-killed", evidence: ["e2", "e3"] },
          { entity: "service:consumer", effect: "metadata timeouts, 0 messages consumed", evidence: ["e4"] },
        ],
        evidence: [
          {
            id: "e1",
            entity: "process:node1",
            type: "log",
            signal: "WORKER_TICK: Interval tick fired",
            detail: "A DEBUG template went from 0 to 15984 lines per 100k",
            excerpt: "DEBUG WORKER_TICK: Interval tick fired ×15984",
            start: "2025-11-19T00:57:05.000Z",
          },
          {
            id: "e2",
            entity: "broker:node1",
            type: "anomaly",
            signal: "process_resident_memory_bytes",
            detail: "Memory rose from 0.4 GB to 15.8 GB",
            excerpt: "0.4 GB → 15.8 GB | limit 32 GB",
            start: "2025-11-19T00:58:00.000Z",
          },
          {
            id: "e3",
            entity: "broker:node1",
            type: "lifecycle",
            signal: "up",
            detail: "Member gone with no re-election",
            excerpt: "up 1 → absent",
            start: "2025-11-19T01:11:00.000Z",
          },
          {
            id: "e4",
            entity: "service:consumer",
            type: "trace",
            signal: "error rate of consumer -> broker",
            detail: "All fetches time out",
            excerpt: "trace 4bf92f3577b34da6: Metadata timeout",
            start: "2025-11-19T01:02:12.000Z",
          },
        ],
        remediation: {
          now: ["Set RUST_LOG=info on every broker and restart node1"],
          fix: ["Demote per-tick WAL worker logs from debug! to trace!"],
        },
        why: "The DEBUG flood starts first, on the crashed member, and explains the memory growth and the timeouts.",
      },
      {
        rank: 2,
        entity: "broker:node3",
        kind: "broker.partition-overcommit",
        confidence: 0.31,
        start: "2025-11-19T00:58:30.000Z",
        chain: [
          { entity: "broker:node3", effect: "3000 partitions × per-partition buffers ≫ RAM", evidence: ["e5"] },
          { entity: "service:consumer", effect: "metadata timeouts, 0 messages consumed", evidence: ["e4"] },
        ],
        evidence: [
          {
            id: "e5",
            entity: "broker:node3",
            type: "limit",
            signal: "partitions × max_batch_bytes vs node memory",
            detail: "3000 × 100 MB = 300 GB against 32 GB",
            excerpt: "300 GB | 32 GB",
            start: "2025-11-19T00:58:30.000Z",
          },
        ],
        remediation: { now: ["Delete the test topics"], fix: ["Cap partitions per node"] },
        why: "Memory on node3 is high but it did not crash.",
      },
    ],
    ruled_out: [{ entity: "broker:node2", kind: "memory.leak", why: "memory plateaued at 9.3 GB" }],
    missing_data: ["Container memory limits for the brokers"],
    timing: { read_ms: 412.4, analyze_ms: 95.2 },
  };
}

/** The sample with no cause reaching 0.5. */
function unsure(): Diagnosis {
  const d = sample();
  d.causes[0].confidence = 0.42;
  d.summary = "The data does not single out a cause.";
  return d;
}

test("a realistic diagnosis validates", () => {
  assert.deepEqual(validateDiagnosis(sample()), []);
  assert.deepEqual(validateDiagnosis(JSON.parse(renderJson(sample()))), []);
});

test("validation rejects what the schema forbids, naming the JSON path", () => {
  const badConfidence = sample();
  badConfidence.causes[0].confidence = 1.5;
  assert.ok(validateDiagnosis(badConfidence).some((m) => m.startsWith("/causes/0/confidence")));

  const noSummary: Partial<Diagnosis> = sample();
  delete noSummary.summary;
  assert.ok(validateDiagnosis(noSummary).some((m) => m.includes('"summary"')));

  const badType = sample() as unknown as { causes: { evidence: { type: string }[] }[] };
  badType.causes[1].evidence[0].type = "hunch";
  assert.ok(validateDiagnosis(badType).some((m) => m.startsWith("/causes/1/evidence/0/type")));

  const extra = sample() as unknown as { input: { window: Record<string, string> } };
  extra.input.window.timezone = "UTC";
  assert.ok(validateDiagnosis(extra).some((m) => m.startsWith("/input/window") && m.includes('"timezone"')));

  const badRank = sample();
  badRank.causes[0].rank = 0;
  assert.ok(validateDiagnosis(badRank).some((m) => m.startsWith("/causes/0/rank")));

  const badTime = sample();
  badTime.generated_at = "yesterday";
  assert.ok(validateDiagnosis(badTime).some((m) => m.startsWith("/generated_at")));

  const badSchema = sample() as unknown as { schema: string };
  badSchema.schema = "beneath.diagnosis/v2";
  assert.ok(validateDiagnosis(badSchema).some((m) => m.startsWith("/schema")));

  assert.ok(validateDiagnosis(null).length > 0);
});

test("text names entity, kind, confidence, chain and remediation, without ANSI when color is off", () => {
  const text = renderText(sample(), { color: false });
  assert.ok(!text.includes(ANSI_ESCAPE));
  assert.equal(text.split("\n")[0], "process:node1 is the root cause: logging.flood (86% confidence)");
  assert.match(text, /cause {4}process:node1: DEBUG WORKER_TICK lines surge to 180k\/s/);
  assert.match(text, /victim {3}broker:node1: memory grows until the process is OOM-killed — Memory rose from 0\.4 GB/);
  assert.match(text, /symptom {2}consumer: metadata timeouts/);
  assert.match(
    text,
    /^ {2}log {6}process:node1: DEBUG WORKER_TICK: Interval tick fired ×15984$/m,
    "the root's own log line",
  );
  assert.match(text, /Do now:\n {2}1\. Set RUST_LOG=info/);
  assert.match(text, /Fix for good:\n {2}1\. Demote per-tick WAL worker logs/);
  assert.match(text, /memory\.leak on broker:node2: memory plateaued/);
  assert.match(text, /1 input skipped/);
  const verbose = renderText(sample(), { color: false, verbose: true });
  assert.match(verbose, /Container memory limits/);
  assert.match(verbose, /metrics\/memory\.json: result\[3\]: values is not an array/);
  assert.ok(renderText(sample(), { color: true }).includes(ANSI_ESCAPE));
});

test("markdown is a post-incident write-up: summary, root cause with its chain, impact, timeline, evidence, fixes", () => {
  const md = renderMarkdown(sample());
  assert.ok(md.startsWith("# Incident report\n"));
  const headings = md.split("\n").filter((line) => line.startsWith("## "));
  assert.deepEqual(headings, [
    "## Summary",
    "## Root cause",
    "## Impact",
    "## Timeline",
    "## Evidence",
    "## Ruled out and runners-up",
    "## Fixes",
    "## What data would help",
    "## Inputs",
  ]);
  assert.match(md, /\*\*process:node1\*\* is the root cause: `logging\.flood`, confidence \*\*86%\*\*/);
  assert.match(md, /- \*\*What\*\*: `logging\.flood` on `process:node1`, confidence 86%/);
  assert.match(md, /1\. \*\*cause\*\* `process:node1`: DEBUG WORKER_TICK lines surge to 180k\/s/);
  assert.match(md, /3\. \*\*symptom\*\* `consumer`: metadata timeouts, 0 messages consumed/);
  // The pipe inside an evidence detail is escaped so the table keeps its columns.
  assert.match(md, /\| e2 \| anomaly \| broker:node1 \| Memory rose from 0\.4 GB to 15\.8 GB \|/);
  assert.match(md, /`consumer` \(symptom\): metadata timeouts, 0 messages consumed/);
  assert.match(md, /\| P0 mitigate now \| Set RUST_LOG=info/);
  assert.match(md, /\| P1 fix for good \| Demote per-tick/);
  // The 31% candidate's remediation is not given a priority.
  assert.doesNotMatch(md, /P0 mitigate now \| Delete the test topics/);
  assert.match(md, /\| broker\.partition-overcommit on broker:node3 \| 31% \| Memory on node3 is high/);
  assert.match(md, /- \*\*Read\*\*: prometheus-query-range: 1 file/);

  const timeline = md.slice(md.indexOf("## Timeline"), md.indexOf("## Evidence"));
  const times = [...timeline.matchAll(/^\| (\d\d:\d\d UTC) \|/gm)].map((m) => m[1]);
  assert.equal(times.length, 6, "the alert, the cause's start and four observations");
  assert.deepEqual(times, [...times].sort());
});

test("the root cause's resource usage and its arithmetic are stated", () => {
  const md = renderMarkdown(storyDiagnosis());
  assert.match(md, /\*\*database:mysql max_connections: 648 of 648 connections \(100%\) since 02:58 UTC\*\*/);
  assert.match(md, /- \*\*Arithmetic\*\*: `648 = DBInstanceClassMemory \/ 12582880`/);
  assert.match(md, /- `client\.no-timeout` on `service:shipping`: no idle timeout/);
  assert.doesNotMatch(md, /\d(?:\.\d+)?e[-+]?\d/i, "no e-notation");
});

test("without a confident cause both renderers say so and list the candidates with their confidences", () => {
  const text = renderText(unsure(), { color: false });
  assert.match(text.split("\n")[0], /^No confident cause/);
  assert.equal(text.match(/No confident cause/g)?.length, 1, "said once, not again in the summary");
  assert.match(text, /Leading candidate: process:node1, logging\.flood \(42%\)/);
  assert.match(text, /broker\.partition-overcommit on broker:node3 \(31%\)/);
  assert.match(text, /Do now \(if confirmed\):/, "no action is urged on a guess");

  const md = renderMarkdown(unsure());
  assert.match(md, /\*\*No confident cause/);
  assert.match(md, /Leading candidate: `process:node1`, `logging\.flood` \(42%\)/);
  assert.match(md, /## Leading candidate \(not confident\)/);
  assert.match(md, /No fix is prioritised/);
  assert.doesNotMatch(md, /P0/);

  const empty = { ...unsure(), causes: [] };
  assert.match(renderText(empty, { color: false }), /^No confident cause: no candidate explains/);
  assert.match(renderMarkdown(empty), /No confident cause: no candidate explains/);
});

test("a leading candidate too weak to follow gets no remedies, in the terminal or the HTML report", () => {
  const weak = unsure();
  weak.causes[0].confidence = 0.04;
  const text = renderText(weak, { color: false });
  assert.doesNotMatch(text, /Do now|Fix for good/);
  assert.match(text, /Nothing to act on yet: the leading candidate \(4%\) is too weak to follow/);
  assert.doesNotMatch(renderHtml(weak), /Now \(P0\)/);
  assert.match(
    renderText(unsure(), { color: false }),
    /Do now \(if confirmed\):/,
    "at 42% the remedies stay, conditional",
  );
});

test("json is pretty, round-trips and ends with a newline", () => {
  const json = renderJson(sample());
  assert.ok(json.endsWith("}\n"));
  assert.deepEqual(JSON.parse(json), sample());
  assert.match(json, /\n {2}"schema": "beneath\.diagnosis\/v1"/);
});
