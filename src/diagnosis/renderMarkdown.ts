/**
 * The Diagnosis as a post-incident write-up, in the shape people write by hand: summary, root cause with
 * its chain and the arithmetic of the exhausted resource, impact, timeline, evidence, what was ruled out,
 * fixes with priorities, what data would help, and the inputs (one line per format; files in the JSON).
 */
import { clip, describeGroup } from "./describe.js";
import { escapeStrings } from "./escape.js";
import { groupEvidence } from "./group.js";
import { byRank, CONFIDENT_AT, hasConfidentCause, noConfidentCauseLine, percent } from "./present.js";
import { foldedLines, sourceLines } from "./sources.js";
import { citedGroup, clockTime, linkEffect, roleOf, shortEntity, timeline, usageLine } from "./story.js";
import type { Cause, Diagnosis } from "./types.js";
import { plainText, strengthWords } from "./units.js";

/** Timeline rows: past this the table is a log, not a timeline; the JSON has every item. */
const MAX_TIMELINE_ROWS = 30;
/** Skipped inputs listed one by one; the rest are counted (all are in the JSON). */
const MAX_SKIPPED_ROWS = 20;

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

function summarySection(d: Diagnosis, lead: Cause | undefined): string[] {
  const lines = ["## Summary", ""];
  if (lead && hasConfidentCause(d)) {
    lines.push(
      `**${shortEntity(lead.entity)}** is the root cause: ${code(lead.kind)}, confidence **${percent(lead.confidence)}**.`,
    );
  } else {
    lines.push(`**${noConfidentCauseLine(d)}**`);
    if (lead)
      lines.push("", `Leading candidate: ${code(lead.entity)}, ${code(lead.kind)} (${percent(lead.confidence)}).`);
  }
  if (lead?.resource_usage) lines.push("", `**${usageLine(lead.resource_usage)}**`);
  lines.push("", plainText(d.summary));
  return lines;
}

function chainLines(c: Cause): string[] {
  if (c.chain.length === 0) return [];
  const lines = ["**How it spread** (root cause → what users saw):", ""];
  c.chain.forEach((link, i) => {
    const group = citedGroup(link, c);
    const effect = plainText(linkEffect(link, c));
    const evidence = group ? `${effect === "" ? "" : " — "}${describeGroup(group)}` : "";
    const cites = link.evidence.length > 0 ? ` (${link.evidence.join(", ")})` : "";
    lines.push(
      `${i + 1}. **${roleOf(link, i, c.chain.length)}** ${code(shortEntity(link.entity))}: ${effect}${evidence}${cites}`,
    );
  });
  return [...lines, ""];
}

function rootCauseSection(d: Diagnosis, lead: Cause | undefined): string[] {
  const title = hasConfidentCause(d) ? "## Root cause" : "## Leading candidate (not confident)";
  if (!lead) return [title, "", "None: no candidate explains the observations."];
  const facts = [
    `- **What**: ${code(lead.kind)} on ${code(lead.entity)}, confidence ${percent(lead.confidence)}, from ${lead.start}`,
  ];
  if (lead.resource) facts.push(`- **Resource**: ${lead.resource}`);
  const u = lead.resource_usage;
  if (u) {
    facts.push(`- **Usage**: ${usageLine(u)}`);
    if (u.arithmetic) facts.push(`- **Arithmetic**: ${code(u.arithmetic)}`);
  }
  if (lead.why) facts.push(`- **Why this cause**: ${plainText(lead.why)}`);
  const lines = [title, "", ...facts, "", ...chainLines(lead)];
  const contributing = lead.contributing ?? [];
  if (contributing.length > 0) {
    lines.push("**Contributing**:", "");
    lines.push(
      ...contributing.map(
        (c) => `- ${code(c.kind)} on ${code(c.entity)}: ${plainText(c.why)} (${c.evidence.join(", ")})`,
      ),
      "",
    );
  }
  return lines;
}

/** What users saw, and who else suffered: the chain's symptom and victim links. */
function impactSection(lead: Cause | undefined): string[] {
  const items = (lead?.chain ?? [])
    .map((link, i, chain) => ({ link, role: roleOf(link, i, chain.length) }))
    .filter(({ role }) => role === "symptom" || role === "victim")
    .map(
      ({ link, role }) => `${code(shortEntity(link.entity))} (${role}): ${plainText(linkEffect(link, lead as Cause))}`,
    );
  return ["## Impact", "", ...bullets(items, "No user-visible symptom was linked to the cause.")];
}

/** The leading cause's timeline: the runners-up's observations are in their evidence tables. */
function timelineSection(d: Diagnosis, causes: Cause[]): string[] {
  const entries = timeline(causes, d.input.alert_time);
  if (entries.length === 0) return ["## Timeline", "", "No timed observations."];
  const rows = entries.slice(0, MAX_TIMELINE_ROWS).map((e) => [clockTime(e.time), shortEntity(e.entity), e.what]);
  const more = entries.length - rows.length;
  return [
    "## Timeline",
    "",
    `Times are UTC, on ${entries[0].time.slice(0, 10)}.`,
    "",
    ...table(["time", "entity", "what"], rows),
    ...(more > 0 ? ["", `… and ${more} later observations (see the JSON).`] : []),
  ];
}

function evidenceSection(causes: Cause[]): string[] {
  const lines = ["## Evidence", ""];
  for (const c of causes) {
    const rows = groupEvidence(c.evidence).map((g) => [
      g.items.map((e) => e.id).join(", "),
      g.lead.type,
      shortEntity(g.lead.entity),
      describeGroup(g),
      g.lead.score === undefined ? "" : strengthWords(g.lead.score),
    ]);
    lines.push(`### #${c.rank} ${code(c.kind)} on ${code(c.entity)} (${percent(c.confidence)})`, "");
    lines.push(
      ...(rows.length > 0 ? table(["ids", "type", "entity", "what", "strength"], rows) : ["No evidence."]),
      "",
    );
  }
  return lines;
}

function ruledOutSection(d: Diagnosis, causes: Cause[]): string[] {
  const rows = [
    ...causes.slice(1).map((c) => [`${c.kind} on ${shortEntity(c.entity)}`, percent(c.confidence), plainText(c.why)]),
    ...d.ruled_out.map((r) => [`${r.kind} on ${shortEntity(r.entity)}`, "ruled out", plainText(r.why)]),
  ];
  return [
    "## Ruled out and runners-up",
    "",
    ...(rows.length > 0 ? table(["candidate", "confidence", "why not"], rows) : ["Nothing else was considered."]),
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
  const tentative = causes.filter((c) => c.confidence < CONFIDENT_AT).slice(0, 1);
  const lines = ["## Fixes", ""];
  const confidentRows = fixRows(confident, true);
  if (confidentRows.length > 0) lines.push(...table(["priority", "action", "cause"], confidentRows));
  else lines.push("No fix is prioritised: no cause is confident.");
  const tentativeRows = fixRows(confident.length > 0 ? [] : tentative, false);
  if (tentativeRows.length > 0) {
    lines.push("", `Only if the leading candidate (below ${percent(CONFIDENT_AT)} confidence) is confirmed:`, "");
    lines.push(...table(["tier", "action", "cause"], tentativeRows));
  }
  return lines;
}

function inputsSection(d: Diagnosis): string[] {
  const lines = ["## Inputs", "", `- **Window**: ${d.input.window.start} → ${d.input.window.end}`];
  if (d.input.alert_time) lines.push(`- **Alert time**: ${d.input.alert_time}`);
  if (d.baseline) lines.push(`- **Baseline**: ${d.baseline.start} → ${d.baseline.end} (${plainText(d.baseline.why)})`);
  lines.push(...sourceLines(d.input).map((line) => `- **Read**: ${line}`));
  lines.push(...foldedLines(d.input).map((line) => `- **Folded**: ${line}`));
  lines.push(
    `- **Timing**: read ${Math.round(d.timing.read_ms)} ms, analysed ${Math.round(d.timing.analyze_ms)} ms`,
    "",
    "**Skipped**:",
    "",
  );
  const skipped = d.input.skipped;
  if (skipped.length === 0) lines.push("Nothing was skipped.");
  else {
    lines.push(
      ...table(
        ["file", "where", "reason"],
        skipped.slice(0, MAX_SKIPPED_ROWS).map((s) => [clip(s.file, 100), s.where, s.reason]),
      ),
    );
    if (skipped.length > MAX_SKIPPED_ROWS)
      lines.push(
        "",
        `… and ${skipped.length - MAX_SKIPPED_ROWS} more (see the JSON); the last: ${skipped[skipped.length - 1].where}: ${skipped[skipped.length - 1].reason}`,
      );
  }
  return lines;
}

export function renderMarkdown(diagnosis: Diagnosis): string {
  const d = escapeStrings(diagnosis);
  const causes = byRank(d);
  const lead = causes[0];
  const context = d.context ?? [];
  const sections: string[][] = [
    ["# Incident report", "", `**Generated**: ${d.generated_at} · **Schema**: ${d.schema}`],
    summarySection(d, lead),
    rootCauseSection(d, lead),
    impactSection(lead),
    timelineSection(d, lead ? [lead] : []),
    evidenceSection(causes),
    ruledOutSection(d, causes),
    fixesSection(causes),
    ...(context.length > 0 ? [["## Context (not a fault)", "", ...bullets(context.map(plainText), "")]] : []),
    ["## What data would help", "", ...bullets(d.missing_data, "Nothing is missing for this diagnosis.")],
    inputsSection(d),
  ];
  return `${sections.map((lines) => lines.join("\n").trimEnd()).join("\n\n")}\n`;
}
