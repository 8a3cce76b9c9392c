/** The Diagnosis as terminal text: a one-line summary, then each cause with its chain, evidence and remediation. */
import { escapeStrings } from "./escape.js";
import { byRank, CONFIDENT_AT, chainPath, hasConfidentCause, noConfidentCauseLine, percent } from "./present.js";
import type { Cause, Diagnosis } from "./types.js";

/** A terminal shows a screenful; the full evidence list is in `--format md` and `json`. */
const TOP_EVIDENCE_LINES = 5;

const ANSI = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
type Style = keyof typeof ANSI;

export interface TextOptions {
  color: boolean;
}

type Paint = (style: Style, text: string) => string;

function painter(color: boolean): Paint {
  return color ? (style, text) => `\x1b[${ANSI[style]}m${text}\x1b[0m` : (_style, text) => text;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function causeBlock(cause: Cause, paint: Paint): string[] {
  const confidence = percent(cause.confidence);
  const lines = [
    `${paint("bold", `#${cause.rank}`)} ${paint("yellow", cause.kind)} on ${paint("cyan", cause.entity)} — confidence ${paint(cause.confidence >= CONFIDENT_AT ? "green" : "dim", confidence)}`,
  ];
  if (cause.resource) lines.push(`   resource: ${cause.resource}`);
  lines.push(`   started:  ${cause.start}`);
  if (cause.why) lines.push(`   why:      ${oneLine(cause.why)}`);
  if (cause.chain.length > 0) {
    lines.push(`   chain:    ${chainPath(cause)}`);
    cause.chain.forEach((link, i) => {
      const cites = link.evidence.length > 0 ? paint("dim", ` [${link.evidence.join(", ")}]`) : "";
      lines.push(`     ${i === 0 ? " " : "→"} ${paint("cyan", link.entity)}: ${oneLine(link.effect)}${cites}`);
    });
  }
  if (cause.evidence.length > 0) {
    lines.push("   evidence:");
    for (const e of cause.evidence.slice(0, TOP_EVIDENCE_LINES)) {
      const excerpt = e.excerpt ? paint("dim", ` — ${oneLine(e.excerpt)}`) : "";
      lines.push(`     ${e.id} ${e.type} ${e.entity} ${e.signal}: ${oneLine(e.detail)}${excerpt}`);
    }
    const more = cause.evidence.length - TOP_EVIDENCE_LINES;
    if (more > 0) lines.push(paint("dim", `     … and ${more} more (see --format md or json)`));
  }
  for (const action of cause.remediation.now) lines.push(`   ${paint("bold", "now:")} ${oneLine(action)}`);
  for (const action of cause.remediation.fix) lines.push(`   fix: ${oneLine(action)}`);
  return lines;
}

function candidateLine(cause: Cause, paint: Paint): string {
  const why = cause.why ? ` — ${oneLine(cause.why)}` : "";
  return `  #${cause.rank} ${cause.kind} on ${paint("cyan", cause.entity)} (${percent(cause.confidence)})${why}`;
}

function section(title: string, items: string[], paint: Paint): string[] {
  return items.length === 0 ? [] : ["", paint("bold", title), ...items.map((item) => `  - ${oneLine(item)}`)];
}

export function renderText(diagnosis: Diagnosis, options: TextOptions): string {
  const d = escapeStrings(diagnosis);
  const paint = painter(options.color);
  const causes = byRank(d);
  const lines: string[] = [];
  if (hasConfidentCause(d)) {
    lines.push(paint("bold", oneLine(d.summary)));
    for (const cause of causes) lines.push("", ...causeBlock(cause, paint));
  } else {
    lines.push(paint("bold", noConfidentCauseLine(d)), oneLine(d.summary));
    if (causes.length > 0)
      lines.push("", paint("bold", "Leading candidates:"), ...causes.map((c) => candidateLine(c, paint)));
  }
  lines.push(
    ...section(
      "Ruled out:",
      d.ruled_out.map((r) => `${r.kind} on ${r.entity}: ${r.why}`),
      paint,
    ),
    ...section("Missing data that would help:", d.missing_data, paint),
    ...section(
      "Skipped inputs:",
      d.input.skipped.map((s) => `${s.file}: ${s.where}: ${s.reason}`),
      paint,
    ),
    "",
    paint(
      "dim",
      `window ${d.input.window.start} → ${d.input.window.end}; read ${Math.round(d.timing.read_ms)} ms, analysed ${Math.round(d.timing.analyze_ms)} ms`,
    ),
  );
  return `${lines.join("\n")}\n`;
}
