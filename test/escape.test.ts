/** Control characters from the input reach neither the terminal nor the Markdown report raw. */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { escapeControl } from "../src/diagnosis/escape.js";
import { renderMarkdown } from "../src/diagnosis/renderMarkdown.js";
import { renderText } from "../src/diagnosis/renderText.js";
import { DIAGNOSIS_SCHEMA, type Diagnosis } from "../src/diagnosis/types.js";
import { beneath } from "./helpers/cli.js";

/** Retitles the terminal (OSC 0), clears the screen, paints a fake red verdict, and reverses text. */
const HOSTILE = "\u001b]0;owned\u0007\u001b[2J\u001b[31mROOT CAUSE: dns\u001b[0m\r\u202egnp.exe\u009b1m";

/** Any control character a terminal acts on, other than tab and line feed. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for control characters.
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** Our own colour codes: Select Graphic Rendition with numbers only. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts every colour code.
const OWN_COLOUR = /\u001b\[\d+m/g;

function hostileDiagnosis(): Diagnosis {
  return {
    schema: DIAGNOSIS_SCHEMA,
    generated_at: "2026-01-16T03:00:00.000Z",
    input: {
      sources: [{ file: `logs/${HOSTILE}.log`, format: "json-lines logs" }],
      skipped: [{ file: `logs/${HOSTILE}`, where: "line 2", reason: "not a JSON object" }],
      window: { start: "2026-01-16T02:48:00.000Z", end: "2026-01-16T02:53:00.000Z" },
    },
    summary: `The errors of service:${HOSTILE} began first.`,
    confident: true,
    context: [`a planned drain of node:${HOSTILE}`],
    causes: [
      {
        rank: 1,
        entity: `service:${HOSTILE}`,
        kind: "code.error",
        confidence: 0.8,
        start: "2026-01-16T02:48:10.000Z",
        chain: [{ entity: `service:${HOSTILE}`, effect: "errors", evidence: ["e1"] }],
        evidence: [
          {
            id: "e1",
            entity: `service:${HOSTILE}`,
            type: "log",
            signal: HOSTILE,
            detail: "a new ERROR template",
            excerpt: `ERROR ${HOSTILE}\n  at handler (app.js:12)`,
          },
        ],
        remediation: { now: ["roll back"], fix: ["test the change"] },
        why: "first to move",
      },
    ],
    ruled_out: [],
    missing_data: [],
    timing: { read_ms: 1, analyze_ms: 1 },
  };
}

test("escapeControl shows control characters as their codes and keeps line breaks", () => {
  assert.equal(escapeControl("a\u001b[31mb\u0007"), "a\\x1b[31mb\\x07");
  assert.equal(escapeControl("x\u202ey\u009b"), "x\\u202ey\\x9b");
  assert.equal(escapeControl("one\r\ntwo\tthree"), "one\ntwo\tthree");
  assert.equal(escapeControl("lone\rreturn"), "lone\\x0dreturn");
  assert.equal(escapeControl("ünïcode ✓ 日本"), "ünïcode ✓ 日本");
});

test("text output, coloured or not, carries no control character from the input", () => {
  const d = hostileDiagnosis();
  for (const color of [false, true]) {
    const text = renderText(d, { color }).replace(OWN_COLOUR, "");
    assert.doesNotMatch(text, RAW_CONTROL);
    assert.match(text, /\\x1b\]0;owned\\x07/);
  }
});

test("Markdown output carries no control character from the input", () => {
  const md = renderMarkdown(hostileDiagnosis());
  assert.doesNotMatch(md, RAW_CONTROL);
  assert.match(md, /\\x1b\[31mROOT CAUSE/);
});

test("end to end: a hostile file name is listed escaped", () => {
  const dir = mkdtempSync(join(tmpdir(), "beneath-escape-"));
  writeFileSync(join(dir, `notes${HOSTILE.replace(/\//g, "")}.txt`), "\u0000\u0001 not telemetry");
  const logs = fileURLToPath(new URL("../../test/fixtures/logs/checkout.jsonl", import.meta.url));
  copyFileSync(logs, join(dir, "app.jsonl"));
  try {
    // Skipped inputs are listed in the Markdown report and in the verbose text.
    for (const format of ["text", "md"]) {
      const result = beneath("analyze", dir, "--format", format, "--verbose");
      assert.equal(result.status, 0, result.stderr);
      assert.doesNotMatch(result.stdout, RAW_CONTROL, format);
      assert.match(result.stdout, /notes\\x1b\]0;owned\\x07/, format);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
