/**
 * The Diagnosis as a terminal story that fits one screen: the verdict with the exhausted resource and its
 * numbers, the chain from the root cause to what users saw (one line per link, with its strongest evidence),
 * the runner-ups and why they lost, then what to do now and for good. `verbose` adds every piece of evidence,
 * grouped, and the inputs.
 */
import { clip, describeGroup } from "./describe.js";
import { escapeStrings } from "./escape.js";
import { groupEvidence } from "./group.js";
import {
  byRank,
  CONFIDENT_AT,
  hasConfidentCause,
  noConfidentCauseLine,
  nothingToActOnLine,
  percent,
  worthActingOn,
} from "./present.js";
import { foldedLines } from "./sources.js";
import { citedGroup, linkEffect, roleOf, shortEntity, usageLine } from "./story.js";
import type { Cause, ChainLink, Diagnosis } from "./types.js";
import { plainText } from "./units.js";

/** A line wider than a terminal wraps and breaks the one-screen layout. */
export const MAX_LINE_CHARS = 160;
/** Per list in the first screen (runner-ups, actions) at most: the rest is in --verbose, md, html and json. */
const FIRST_SCREEN_ITEMS = 3;
/** What fits a terminal without scrolling: the "first screen". */
export const FIRST_SCREEN_LINES = 25;
/** Chain links shown: root, resource, victims, symptom. */
const FIRST_SCREEN_LINKS = 6;

const ANSI = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
type Style = keyof typeof ANSI;

export interface TextOptions {
  color: boolean;
  /** Every cause with all its evidence, grouped; the inputs and what was skipped. */
  verbose?: boolean;
}

type Paint = (style: Style, text: string) => string;

function painter(color: boolean): Paint {
  return color ? (style, text) => `\x1b[${ANSI[style]}m${text}\x1b[0m` : (_style, text) => text;
}

/** One line of prose, its indentation kept, clipped to the terminal. */
function oneLine(text: string): string {
  const indent = /^ */.exec(text)?.[0] ?? "";
  return (
    indent +
    clip(
      plainText(text.slice(indent.length))
        .replace(/\s*[\r\n]+\s*/g, " ")
        .trimEnd(),
      MAX_LINE_CHARS - indent.length,
    )
  );
}

function verdict(d: Diagnosis, lead: Cause | undefined, paint: Paint): string[] {
  if (!lead) return [paint("bold", noConfidentCauseLine(d)), oneLine(d.summary)];
  const usage = lead.resource_usage ? [`  ${oneLine(usageLine(lead.resource_usage))}`] : [];
  if (lead.confidence >= CONFIDENT_AT) {
    const head = `${shortEntity(lead.entity)} is the root cause: ${lead.kind} (${percent(lead.confidence)} confidence)`;
    return [paint("bold", oneLine(head)), ...usage];
  }
  return [
    paint("bold", noConfidentCauseLine(d)),
    oneLine(`Leading candidate: ${shortEntity(lead.entity)}, ${lead.kind} (${percent(lead.confidence)})`),
    ...usage,
  ];
}

/** Consecutive links with the same role and effect (three victims hit the same way) share one line. */
interface LinkRun {
  links: ChainLink[];
  role: string;
  effect: string;
}

function linkRuns(cause: Cause): LinkRun[] {
  const runs: LinkRun[] = [];
  cause.chain.forEach((link, i) => {
    const role = roleOf(link, i, cause.chain.length);
    const effect = plainText(linkEffect(link, cause));
    const last = runs.at(-1);
    if (last && last.role === role && last.effect === effect && effect !== "") last.links.push(link);
    else runs.push({ links: [link], role, effect });
  });
  return runs;
}

/**
 * One line: role, entities, the link's effect (the engine's words, which carry its numbers) and, where room
 * is left, the evidence the link cites first with its numbers; without an effect, the evidence alone.
 */
function runLine(run: LinkRun, cause: Cause, paint: Paint): string {
  const role = run.role.padEnd(8);
  const entity = run.links.map((l) => shortEntity(l.entity)).join(", ");
  const first = run.links.length === 1 ? citedGroup(run.links[0], cause) : undefined;
  const evidence = first ? plainText(describeGroup(first)) : "";
  const room = MAX_LINE_CHARS - `  ${role} ${entity}: `.length;
  const both = `${run.effect} — ${evidence}`;
  const what =
    run.effect === "" ? clip(evidence, room) : evidence !== "" && both.length <= room ? both : clip(run.effect, room);
  return `  ${paint("dim", role)} ${paint("cyan", entity)}: ${what}`;
}

function chainLines(cause: Cause, paint: Paint, items: number): string[] {
  if (cause.chain.length === 0) return [];
  const lines = [paint("bold", "How it spread (root → what users saw):")];
  lines.push(
    ...linkRuns(cause)
      .slice(0, FIRST_SCREEN_LINKS)
      .map((run) => runLine(run, cause, paint)),
  );
  // The root's own words: the line it logged most in the incident, which actions may ask to read.
  const logged = cause.evidence
    .filter((e) => e.type === "log" && e.entity === cause.entity && e.excerpt !== "")
    .sort((a, b) => (b.score ?? 0) - (a.score ?? 0))[0];
  if (logged)
    lines.push(oneLine(`  ${paint("dim", "log".padEnd(8))} ${shortEntity(logged.entity)}: ${logged.excerpt}`));
  for (const c of (cause.contributing ?? []).slice(0, items))
    lines.push(oneLine(`  ${paint("dim", "also".padEnd(8))} ${shortEntity(c.entity)}: ${c.kind} — ${c.why}`));
  return lines;
}

function othersLines(d: Diagnosis, causes: Cause[], items: number): string[] {
  const runnersUp = causes
    .slice(1)
    .map((c) => `${c.kind} on ${shortEntity(c.entity)} (${percent(c.confidence)}): ${c.why}`);
  const ruledOut = d.ruled_out.map((r) => `${r.kind} on ${shortEntity(r.entity)}: ${r.why}`);
  const all = [...runnersUp, ...ruledOut];
  if (all.length === 0) return [];
  const more = all.length - items;
  return [
    "Also considered:",
    ...all.slice(0, items).map((item) => oneLine(`  - ${item}`)),
    ...(more > 0 ? [`  … ${more} more (--verbose)`] : []),
  ];
}

function actionLines(title: string, actions: string[], items: number): string[] {
  if (actions.length === 0) return [];
  return [title, ...actions.slice(0, items).map((a, i) => oneLine(`  ${i + 1}. ${a}`))];
}

/** Every cause with all its evidence, grouped, for `--verbose`. */
function verboseLines(d: Diagnosis, causes: Cause[], paint: Paint): string[] {
  const lines: string[] = [];
  for (const cause of causes) {
    lines.push(
      "",
      paint(
        "bold",
        `#${cause.rank} ${cause.kind} on ${cause.entity} — ${percent(cause.confidence)}, from ${cause.start}`,
      ),
    );
    if (cause.why) lines.push(`  why: ${oneLine(cause.why)}`);
    for (const g of groupEvidence(cause.evidence))
      lines.push(oneLine(`  ${g.lead.type.padEnd(9)} ${describeGroup(g)}`));
    for (const a of cause.remediation.now) lines.push(oneLine(`  now: ${a}`));
    for (const a of cause.remediation.fix) lines.push(oneLine(`  fix: ${a}`));
  }
  const list = (title: string, items: string[]) =>
    items.length === 0 ? [] : ["", title, ...items.map((i) => oneLine(`  - ${i}`))];
  lines.push(
    ...list(
      "Ruled out:",
      d.ruled_out.map((r) => `${r.kind} on ${r.entity}: ${r.why}`),
    ),
    ...list("Context (not a fault):", d.context ?? []),
    ...list("Missing data that would help:", d.missing_data),
    ...list(
      "Skipped inputs:",
      d.input.skipped.map((s) => `${s.file}: ${s.where}: ${s.reason}`),
    ),
  );
  return lines;
}

/**
 * What could not be read, in two lines at most: the first skipped input, and the last when it counts
 * the rest (a file with thousands of bad lines lists the first few and one count).
 */
function skippedLines(d: Diagnosis): string[] {
  const skipped = d.input.skipped;
  if (skipped.length === 0) return [];
  const say = (s: (typeof skipped)[number]) => `${s.file} (${s.where}): ${s.reason}`;
  const lines = [oneLine(`Skipped ${skipped.length}: ${say(skipped[0])}`)];
  if (skipped.length > 1) lines.push(oneLine(`  … ${say(skipped[skipped.length - 1])}`));
  return lines;
}

function footer(d: Diagnosis, verbose: boolean): string {
  const parts = [`window ${d.input.window.start} → ${d.input.window.end}`];
  if (d.input.skipped.length > 0)
    parts.push(`${d.input.skipped.length} input${d.input.skipped.length === 1 ? "" : "s"} skipped`);
  parts.push(`read ${Math.round(d.timing.read_ms)} ms, analysed ${Math.round(d.timing.analyze_ms)} ms`);
  if (!verbose) parts.push("all evidence: --verbose; charts: --format html");
  return parts.join("; ");
}

/** The first screen with at most `items` entries per list (contributing causes, runners-up, actions). */
function firstScreen(d: Diagnosis, causes: Cause[], paint: Paint, items: number): string[] {
  const lead = causes[0];
  const lines = [...verdict(d, lead, paint)];
  const block = (more: string[]) => {
    if (more.length > 0) lines.push("", ...more);
  };
  if (lead) block(chainLines(lead, paint, items));
  if ((d.context ?? []).length > 0) block([oneLine(`Context (not a fault): ${(d.context ?? []).join("; ")}`)]);
  block(skippedLines(d));
  block(foldedLines(d.input).map(oneLine));
  block(othersLines(d, causes, items));
  if (lead && !worthActingOn(lead)) block([oneLine(nothingToActOnLine(lead))]);
  else if (lead) {
    // A guess is not acted on blindly: below the confidence to name a cause, the actions are conditional.
    const confirmed = hasConfidentCause(d) ? "" : " (if confirmed)";
    block([
      ...actionLines(paint("bold", `Do now${confirmed}:`), lead.remediation.now, items),
      ...actionLines(paint("bold", `Fix for good${confirmed}:`), lead.remediation.fix, items),
    ]);
  }
  if (!hasConfidentCause(d) && d.missing_data.length > 0) block([oneLine(`Would help: ${d.missing_data.join("; ")}`)]);
  return lines;
}

export function renderText(diagnosis: Diagnosis, options: TextOptions): string {
  const d = escapeStrings(diagnosis);
  const paint = painter(options.color);
  const causes = byRank(d);
  // Lists shrink until the story and its footer (a blank line and one line) fit the first screen.
  let lines = firstScreen(d, causes, paint, FIRST_SCREEN_ITEMS);
  for (let items = FIRST_SCREEN_ITEMS - 1; items >= 1 && lines.length + 2 > FIRST_SCREEN_LINES; items--)
    lines = firstScreen(d, causes, paint, items);
  if (options.verbose) lines.push(...verboseLines(d, causes, paint));
  lines.push("", paint("dim", footer(d, options.verbose === true)));
  return `${lines.join("\n")}\n`;
}
