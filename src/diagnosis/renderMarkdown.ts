/**
 * The Diagnosis as a Markdown incident report, in the shape people write by hand after an incident:
 * summary, root causes with evidence, impact, timeline, prioritised fixes, what was ruled out, what
 * data would help, and the inputs.
 */
import { escapeStrings } from "./escape.js";
import { byRank, CONFIDENT_AT, chainPath, hasConfidentCause, noConfidentCauseLine, percent } from "./present.js";
import type { Cause, Diagnosis } from "./types.js";

/** A table cell: pipes would split the cell (GFM unescapes `\|` even inside code) and newlines would end the row. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

/** Inline code, with a fence long enough for any backticks inside. */
function code(text: string): string {
  if (text === "") return "";
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`),
  ];
}

function bullets(items: string[], whenEmpty: string): string[] {
  return items.length === 0 ? [whenEmpty] : items.map((item) => `- ${item}`);
}

function summarySection(d: Diagnosis, causes: Cause[]): string[] {
  const lines = ["## Summary", ""];
  if (hasConfidentCause(d)) {
    lines.push(d.summary, "");
    for (const c of causes.filter((cause) => cause.confidence >= CONFIDENT_AT)) {
      lines.push(`- **${code(c.kind)}** on ${code(c.entity)} — confidence **${percent(c.confidence)}**`);
    }
  } else {
    lines.push(`**${noConfidentCauseLine(d)}**`, "", d.summary);
    if (causes.length > 0) {
      lines.push("", "Leading candidates:", "");
      lines.push(
        ...table(
          ["rank", "entity", "kind", "confidence", "why"],
          causes.map((c) => [String(c.rank), c.entity, c.kind, percent(c.confidence), c.why]),
        ),
      );
    }
  }
  return lines;
}

function causeSection(c: Cause): string[] {
  const facts = [`**Confidence**: ${percent(c.confidence)}`, `**Started**: ${c.start}`];
  if (c.resource) facts.push(`**Resource**: ${c.resource}`);
  const lines = [`### #${c.rank}: ${code(c.kind)} on ${code(c.entity)}`, "", facts.join(" · "), ""];
  if (c.why) lines.push(`**Why**: ${c.why}`, "");
  if (c.chain.length > 0) {
    lines.push("**Chain** (root → symptom):", "", "```", chainPath(c), "```", "");
    c.chain.forEach((link, i) => {
      const cites = link.evidence.length > 0 ? ` (evidence: ${link.evidence.join(", ")})` : "";
      lines.push(`${i + 1}. ${code(link.entity)} — ${link.effect}${cites}`);
    });
    lines.push("");
  }
  if (c.evidence.length > 0) {
    lines.push("**Evidence**:", "");
    lines.push(
      ...table(
        ["id", "type", "entity", "signal", "detail", "excerpt"],
        c.evidence.map((e) => [e.id, e.type, e.entity, e.signal, e.detail, code(e.excerpt)]),
      ),
    );
    lines.push("");
  }
  return lines;
}

/** What users saw: the last link of each chain, once per entity and effect. */
function impactSection(causes: Cause[]): string[] {
  const seen = new Set<string>();
  const items: string[] = [];
  for (const c of causes) {
    const last = c.chain.at(-1);
    if (!last) continue;
    const key = `${last.entity}\u0000${last.effect}`;
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(`${code(last.entity)}: ${last.effect} (via cause #${c.rank}, ${percent(c.confidence)})`);
  }
  return ["## Impact", "", ...bullets(items, "No user-visible symptom was linked to a cause.")];
}

interface TimelineEntry {
  time: string;
  entity: string;
  what: string;
}

/** Cause starts and evidence starts, in time order; evidence shared by several causes appears once. */
function timelineSection(causes: Cause[]): string[] {
  const entries: TimelineEntry[] = [];
  const seenEvidence = new Set<string>();
  for (const c of causes) {
    entries.push({ time: c.start, entity: c.entity, what: `cause #${c.rank} ${c.kind} starts` });
    for (const e of c.evidence) {
      if (!e.start || seenEvidence.has(e.id)) continue;
      seenEvidence.add(e.id);
      entries.push({ time: e.start, entity: e.entity, what: `${e.type} ${e.signal}: ${e.detail}` });
    }
  }
  entries.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  if (entries.length === 0) return ["## Timeline", "", "No timed observations."];
  return [
    "## Timeline",
    "",
    ...table(
      ["time", "entity", "what"],
      entries.map((e) => [e.time, e.entity, e.what]),
    ),
  ];
}

function fixRows(causes: Cause[], withPriority: boolean): string[][] {
  const label = (priority: string, tier: string) => (withPriority ? `${priority} ${tier}` : tier);
  const rows: string[][] = [];
  for (const c of causes) {
    for (const action of c.remediation.now) rows.push([label("P0", "mitigate now"), action, `#${c.rank} ${c.kind}`]);
  }
  for (const c of causes) {
    for (const action of c.remediation.fix) rows.push([label("P1", "fix for good"), action, `#${c.rank} ${c.kind}`]);
  }
  return rows;
}

/** Priorities only for confident causes: acting at P0 on a guess is how incidents get worse. */
function fixesSection(causes: Cause[]): string[] {
  const confident = causes.filter((c) => c.confidence >= CONFIDENT_AT);
  const tentative = causes.filter((c) => c.confidence < CONFIDENT_AT);
  const lines = ["## Fixes", ""];
  const confidentRows = fixRows(confident, true);
  if (confidentRows.length > 0) lines.push(...table(["priority", "action", "cause"], confidentRows));
  else lines.push("No fix is prioritised: no cause is confident.");
  const tentativeRows = fixRows(tentative, false);
  if (tentativeRows.length > 0) {
    lines.push("", `Only if a candidate below ${percent(CONFIDENT_AT)} confidence is confirmed:`, "");
    lines.push(...table(["tier", "action", "cause"], tentativeRows));
  }
  return lines;
}

function inputsSection(d: Diagnosis): string[] {
  const lines = ["## Inputs", "", `- **Window**: ${d.input.window.start} → ${d.input.window.end}`];
  if (d.input.alert_time) lines.push(`- **Alert time**: ${d.input.alert_time}`);
  lines.push(
    `- **Timing**: read ${Math.round(d.timing.read_ms)} ms, analysed ${Math.round(d.timing.analyze_ms)} ms`,
    "",
  );
  if (d.input.sources.length > 0) {
    lines.push(
      ...table(
        ["source", "format"],
        d.input.sources.map((s) => [s.file, s.format]),
      ),
      "",
    );
  }
  lines.push("**Skipped**:", "");
  if (d.input.skipped.length === 0) lines.push("Nothing was skipped.");
  else
    lines.push(
      ...table(
        ["file", "where", "reason"],
        d.input.skipped.map((s) => [s.file, s.where, s.reason]),
      ),
    );
  return lines;
}

export function renderMarkdown(diagnosis: Diagnosis): string {
  const d = escapeStrings(diagnosis);
  const causes = byRank(d);
  const sections: string[][] = [
    ["# Incident diagnosis", "", `**Generated**: ${d.generated_at} · **Schema**: ${d.schema}`],
    summarySection(d, causes),
    [
      hasConfidentCause(d) ? "## Root causes" : "## Candidates (not confident)",
      "",
      ...(causes.length === 0 ? ["None."] : causes.flatMap(causeSection)),
    ],
    impactSection(causes),
    timelineSection(causes),
    fixesSection(causes),
    [
      "## Ruled out",
      "",
      ...bullets(
        d.ruled_out.map((r) => `${code(r.kind)} on ${code(r.entity)}: ${r.why}`),
        "Nothing was ruled out.",
      ),
    ],
    ["## What data would help", "", ...bullets(d.missing_data, "Nothing is missing for this diagnosis.")],
    inputsSection(d),
  ];
  return `${sections.map((lines) => lines.join("\n").trimEnd()).join("\n\n---\n\n")}\n`;
}
