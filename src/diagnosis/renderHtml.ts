/**
 * The Diagnosis as one self-contained HTML page that opens offline: the verdict, the chain with a chart
 * per link (its series against the baseline's normal range and its limit, onset and alert marked), the
 * log templates with their counts, trace excerpts, the timeline, what to do, and the inputs. Charts are
 * drawn by uPlot, whose script and stylesheet are inlined from the installed package.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Case, Span } from "../case/model.js";
import { type Chart, chainCharts } from "./charts.js";
import { clip, describeEvidence, describeGroup, subjectOf } from "./describe.js";
import { type EvidenceGroup, groupEvidence } from "./group.js";
import {
  byRank,
  CONFIDENT_AT,
  hasConfidentCause,
  noConfidentCauseLine,
  nothingToActOnLine,
  percent,
  worthActingOn,
} from "./present.js";
import { foldedLines, sourceLines } from "./sources.js";
import { clockTime, linkEffect, roleOf, shortEntity, timeline, usageLine } from "./story.js";
import type { Cause, Diagnosis, DiagnosisEvidence } from "./types.js";
import { axisScale, formatNumber, formatPair, formatQuantity, plainText } from "./units.js";

/** Spans shown per trace excerpt: a request's first calls tell its shape. */
const SPANS_PER_TRACE = 15;
/** Trace excerpts shown: one per service whose traces are evidence, the strongest first. */
const MAX_TRACES = 4;
/** Log templates listed: the strongest; the rest are in the JSON. */
const MAX_TEMPLATES = 12;

const require = createRequire(import.meta.url);

/** uPlot's script and stylesheet, read from the installed package so the page needs no network. */
function uplotAssets(): { js: string; css: string } {
  const read = (file: string) => readFileSync(require.resolve(`uplot/dist/${file}`), "utf8");
  return { js: read("uPlot.iife.min.js"), css: read("uPlot.min.css") };
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Prose from the engine, escaped and made plain (no σ, no e-notation). */
function prose(text: string): string {
  return esc(plainText(text));
}

/** JSON inside a <script> element: `<` escaped so no string in it can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

function list(items: string[], ordered = false): string {
  const tag = ordered ? "ol" : "ul";
  return items.length === 0 ? "" : `<${tag}>${items.map((i) => `<li>${i}</li>`).join("")}</${tag}>`;
}

function table(header: string[], rows: string[][]): string {
  if (rows.length === 0) return "";
  const head = header.map((h) => `<th>${h}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function section(title: string, body: string): string {
  return body === "" ? "" : `<section><h2>${title}</h2>${body}</section>`;
}

function verdict(d: Diagnosis, lead: Cause | undefined): string {
  const confident = hasConfidentCause(d) && lead !== undefined && lead.confidence >= CONFIDENT_AT;
  const head = confident
    ? `${esc(shortEntity(lead.entity))} is the root cause: <code>${esc(lead.kind)}</code> <span class="conf">${percent(lead.confidence)} confidence</span>`
    : esc(noConfidentCauseLine(d));
  const usage = lead?.resource_usage ? `<p class="usage">${esc(usageLine(lead.resource_usage))}</p>` : "";
  const arithmetic = lead?.resource_usage?.arithmetic
    ? `<p class="arith">${esc(lead.resource_usage.arithmetic)}</p>`
    : "";
  return `<header class="${confident ? "confident" : "unsure"}"><h1>${head}</h1>${usage}${arithmetic}<p>${prose(d.summary)}</p></header>`;
}

/** The chart's data scaled to one readable axis unit, for the page's script. */
function chartPayload(chart: Chart) {
  const values = chart.lines.flatMap((l) => l.v.filter((v): v is number => v !== null));
  const max = Math.max(0, ...values.map(Math.abs), Math.abs(chart.limit ?? 0));
  const { divisor, label } = axisScale(chart.unit, max);
  const scale = (v: number) => v / divisor;
  return {
    axis: label,
    lines: chart.lines.map((l) => ({ label: l.label, t: l.t, v: l.v.map((v) => (v === null ? null : scale(v))) })),
    band: chart.band && { low: scale(chart.band.low), high: scale(chart.band.high) },
    limit: chart.limit === undefined ? undefined : scale(chart.limit),
    onset: chart.onset,
    alert: chart.alert,
  };
}

/** Share of a limit at which a usage bar turns red: the resource is as good as exhausted. */
const EXHAUSTED_SHARE = 0.95;

/**
 * Usage against a limit as a bar, for a link with no series to draw: its evidence's value and limit, or
 * the cause's resource usage when the link is that resource.
 */
function usageBar(entity: string, groups: EvidenceGroup[], cause: Cause): string {
  const limited = groups.map((g) => g.lead).find((e) => e.value !== undefined && e.limit !== undefined && e.limit > 0);
  const u = cause.resource_usage;
  const usage = limited
    ? { used: limited.value as number, limit: limited.limit as number, unit: limited.unit, name: subjectOf(limited) }
    : u && (u.entity === entity || cause.chain[0]?.entity === entity)
      ? { used: u.used, limit: u.limit, unit: u.unit, name: u.name }
      : undefined;
  if (!usage || !(usage.limit > 0)) return "";
  const share = Math.min(1, Math.max(0, usage.used / usage.limit));
  const [used, limit] = formatPair(usage.used, usage.limit, usage.unit);
  return `<div class="usage-bar${share >= EXHAUSTED_SHARE ? " full" : ""}" title="${esc(usage.name)}"><div style="width:${(share * 100).toFixed(1)}%"></div></div><p class="muted">${esc(usage.name)}: ${esc(used)} of ${esc(limit)} (${formatNumber(share * 100)}%)</p>`;
}

function chainSection(cause: Cause, charts: Chart[]): string {
  const cards = cause.chain.map((link, i) => {
    const cited = new Set(link.evidence);
    const groups = groupEvidence(cause.evidence.filter((e) => cited.has(e.id)));
    const role = roleOf(link, i, cause.chain.length);
    const index = charts.findIndex((c) => c.entity === link.entity && c.role === role);
    const chart =
      index >= 0
        ? `<figure><div class="chart" id="chart-${index}"></div><figcaption>${esc(charts[index].title)}</figcaption></figure>`
        : usageBar(link.entity, groups, cause);
    const evidence = list(groups.slice(0, 3).map((g) => esc(describeGroup(g))));
    return `<div class="link"><div class="role ${role}">${role}</div><div class="body"><h3>${esc(shortEntity(link.entity))}</h3><p>${prose(linkEffect(link, cause))}</p>${evidence}${chart}</div></div>`;
  });
  const contributing = (cause.contributing ?? []).map(
    (c) => `<code>${esc(c.kind)}</code> on ${esc(shortEntity(c.entity))}: ${prose(c.why)}`,
  );
  return section(
    "How it spread: root cause → what users saw",
    `<p class="muted">Charts: the green band is the normal range (the middle half of the values before the onset, or of the baseline), the red dashed line the limit where one is known; onset and alert are marked.</p><div class="chain">${cards.join("")}</div>${contributing.length > 0 ? `<h3>Contributing</h3>${list(contributing)}` : ""}`,
  );
}

function othersSection(d: Diagnosis, causes: Cause[]): string {
  const rows = [
    ...causes.slice(1).map((c) => [esc(`${c.kind} on ${shortEntity(c.entity)}`), percent(c.confidence), prose(c.why)]),
    ...d.ruled_out.map((r) => [esc(`${r.kind} on ${shortEntity(r.entity)}`), "ruled out", prose(r.why)]),
  ];
  return section("Also considered", table(["candidate", "confidence", "why it lost"], rows));
}

function actionsSection(lead: Cause | undefined, confident: boolean): string {
  if (!lead) return "";
  if (!worthActingOn(lead)) return section("What to do", `<p class="note">${esc(nothingToActOnLine(lead))}</p>`);
  const now = lead.remediation.now.map(prose);
  const fix = lead.remediation.fix.map(prose);
  const caveat = confident
    ? ""
    : `<p class="note">Only if the candidate is confirmed: it is below ${percent(CONFIDENT_AT)}.</p>`;
  return section(
    "What to do",
    `${caveat}${now.length > 0 ? `<h3>Now (P0)</h3>${list(now, true)}` : ""}${fix.length > 0 ? `<h3>For good (P1)</h3>${list(fix, true)}` : ""}`,
  );
}

/** Log evidence by template, once each, strongest first. */
function logsSection(causes: Cause[]): string {
  const seen = new Set<string>();
  const rows: string[][] = [];
  const logs = causes
    .flatMap((c) => c.evidence)
    .filter((e) => e.type === "log" && e.template)
    .sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
  for (const e of logs) {
    const key = `${e.entity}\u0000${e.template}`;
    if (seen.has(key) || rows.length >= MAX_TEMPLATES) continue;
    seen.add(key);
    const counts =
      e.unit === "lines"
        ? [formatNumber(e.value ?? 0), e.baseline === undefined ? "" : formatNumber(e.baseline)]
        : [formatQuantity(e.value ?? 0, e.unit), e.baseline === undefined ? "" : formatQuantity(e.baseline, e.unit)];
    rows.push([
      esc(shortEntity(e.entity)),
      `<code>${esc(clip(e.template ?? "", 160))}</code>`,
      ...counts,
      `<code>${esc(clip(e.excerpt, 200))}</code>`,
    ]);
  }
  return section(
    "Log templates",
    table(["entity", "template", "in the incident", "expected (baseline)", "example line"], rows),
  );
}

const TRACE_ID = /trace ([0-9a-fA-F]+)/;

/** The spans of one trace, in start order, indented by depth. */
function traceRows(spans: Span[]): string[][] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const depth = (s: Span): number => {
    let d = 0;
    for (let p = s.parent && byId.get(s.parent); p && d < SPANS_PER_TRACE; p = p.parent && byId.get(p.parent)) d++;
    return d;
  };
  const t0 = Math.min(...spans.map((s) => s.start));
  return [...spans]
    .sort((a, b) => a.start - b.start)
    .slice(0, SPANS_PER_TRACE)
    .map((s) => [
      `${"&nbsp;&nbsp;".repeat(depth(s))}${esc(shortEntity(s.service))}`,
      esc(s.operation),
      `+${formatQuantity(s.start - t0, "seconds")}`,
      formatQuantity(s.duration, "seconds"),
      s.error ? '<span class="err">error</span>' : "",
    ]);
}

function tracesSection(causes: Cause[], c: Case | undefined): string {
  if (!c || c.spans.length === 0) return "";
  const shown = new Set<string>();
  const blocks: string[] = [];
  const traced = causes
    .flatMap((cause) => cause.evidence)
    .filter((e) => e.type === "trace")
    .sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
  for (const e of traced) {
    const id = TRACE_ID.exec(e.excerpt)?.[1];
    if (!id || shown.has(id) || blocks.length >= MAX_TRACES) continue;
    shown.add(id);
    const spans = c.spans.trace(id);
    if (spans.length === 0) continue;
    blocks.push(
      `<h3>${esc(shortEntity(e.entity))}: ${esc(describeEvidence(e))}</h3><p class="muted">trace <code>${esc(id)}</code>, ${spans.length} spans</p>${table(["service", "operation", "start", "duration", ""], traceRows(spans))}`,
    );
  }
  return section("Trace excerpts", blocks.join(""));
}

function timelineSection(d: Diagnosis, causes: Cause[]): string {
  const rows = timeline(causes, d.input.alert_time).map((t) => [
    clockTime(t.time),
    esc(shortEntity(t.entity)),
    esc(t.what),
  ]);
  return section("Timeline", table(["time", "entity", "what"], rows));
}

function evidenceSection(causes: Cause[]): string {
  const blocks = causes.map((c) => {
    const rows = groupEvidence(c.evidence).map((g) => [
      esc(g.lead.type),
      esc(shortEntity(g.lead.entity)),
      esc(describeGroup(g)),
      strengthCell(g.lead),
    ]);
    return `<details${c.rank === 1 ? " open" : ""}><summary>#${c.rank} <code>${esc(c.kind)}</code> on ${esc(shortEntity(c.entity))} (${percent(c.confidence)})</summary>${table(["type", "entity", "what", "strength"], rows)}</details>`;
  });
  return section("All evidence", blocks.join(""));
}

function strengthCell(e: DiagnosisEvidence): string {
  return e.score === undefined ? "" : `<meter min="0" max="1" value="${e.score}"></meter>`;
}

function inputsSection(d: Diagnosis): string {
  const facts = [
    `window ${esc(d.input.window.start)} → ${esc(d.input.window.end)}`,
    ...(d.input.alert_time ? [`alert ${esc(d.input.alert_time)}`] : []),
    ...(d.baseline ? [`baseline ${esc(d.baseline.start)} → ${esc(d.baseline.end)}: ${prose(d.baseline.why)}`] : []),
    ...sourceLines(d.input).map(esc),
    ...foldedLines(d.input).map(esc),
    ...(d.input.skipped.length > 0 ? [`${d.input.skipped.length} inputs skipped (listed in the JSON)`] : []),
    `read ${Math.round(d.timing.read_ms)} ms, analysed ${Math.round(d.timing.analyze_ms)} ms`,
  ];
  const missing = d.missing_data.length > 0 ? `<h3>Data that would help</h3>${list(d.missing_data.map(prose))}` : "";
  const context =
    (d.context ?? []).length > 0 ? `<h3>Context (not a fault)</h3>${list((d.context ?? []).map(prose))}` : "";
  return section("Inputs", `${list(facts)}${context}${missing}`);
}

/** Draws every chart from the JSON beside it; times in UTC, as the rest of the report. */
const CHART_SCRIPT = `
(function () {
  var specs = JSON.parse(document.getElementById("chart-data").textContent);
  var colors = ["#1f6feb", "#d97706", "#7c3aed", "#059669", "#db2777"];
  function marks(spec) {
    return { hooks: { draw: [function (u) {
      var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
      if (spec.band) {
        var hi = u.valToPos(spec.band.high, "y", true), lo = u.valToPos(spec.band.low, "y", true);
        ctx.save(); ctx.fillStyle = "rgba(22,163,74,0.14)";
        ctx.fillRect(u.bbox.left, hi, u.bbox.width, Math.max(lo - hi, 2 * devicePixelRatio)); ctx.restore();
      }
      [["onset", spec.onset, "#b45309", -1], ["alert", spec.alert, "#b91c1c", 1]].forEach(function (m) {
        if (m[1] == null) return;
        var x = Math.round(u.valToPos(m[1], "x", true));
        if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
        ctx.save(); ctx.strokeStyle = m[2]; ctx.fillStyle = m[2]; ctx.lineWidth = 1.5 * devicePixelRatio;
        ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
        ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
        ctx.font = (11 * devicePixelRatio) + "px sans-serif"; ctx.textAlign = m[3] < 0 ? "right" : "left";
        ctx.fillText(m[0], x + m[3] * 4 * devicePixelRatio, top + height - 6 * devicePixelRatio);
        ctx.restore();
      });
    }] } };
  }
  specs.forEach(function (spec, i) {
    var el = document.getElementById("chart-" + i);
    if (!el) return;
    var data = uPlot.join(spec.lines.map(function (l) { return [l.t, l.v]; }));
    var x = data[0];
    var series = [{}].concat(spec.lines.map(function (l, j) {
      return { label: l.label, stroke: colors[j % colors.length], width: 1.5 };
    }));
    if (spec.limit != null) {
      data.push(x.map(function () { return spec.limit; }));
      series.push({ label: "limit", stroke: "#dc2626", width: 2, dash: [8, 4] });
    }
    new uPlot({
      width: Math.max(320, el.clientWidth), height: 220, series: series,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); },
      axes: [{ values: function (u, splits) { return splits.map(function (ts) { return new Date(ts * 1e3).toISOString().slice(11, 16); }); } },
             { label: spec.axis, size: 60 }],
      plugins: [marks(spec)],
    }, data, el);
  });
})();
`;

const STYLE = `
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0; background: #f6f8fa; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; }
header { background: #fff; border-left: 6px solid #dc2626; padding: 12px 20px; border-radius: 6px; margin: 16px 0; }
header.unsure { border-left-color: #9ca3af; }
h1 { font-size: 22px; margin: 4px 0; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 15px; margin: 10px 0 4px; }
.conf { font-size: 15px; color: #57606a; font-weight: normal; }
.usage { font-size: 17px; font-weight: 600; margin: 4px 0; } .arith { font-family: ui-monospace, monospace; color: #57606a; margin: 0; }
section { background: #fff; padding: 4px 20px 12px; border-radius: 6px; margin: 12px 0; }
.link { display: flex; gap: 12px; border-top: 1px solid #eaeef2; padding: 8px 0; }
.role { flex: 0 0 80px; font-weight: 700; text-transform: uppercase; font-size: 12px; padding-top: 12px; color: #57606a; }
.role.cause { color: #b91c1c; } .role.resource { color: #b45309; } .role.symptom { color: #7c3aed; }
.body { flex: 1; min-width: 0; } .body p, .body ul { margin: 2px 0; }
figure { margin: 8px 0; } figcaption { font-size: 12px; color: #57606a; font-family: ui-monospace, monospace; }
table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
code { font-family: ui-monospace, monospace; font-size: 12px; background: #f6f8fa; padding: 0 3px; border-radius: 3px; word-break: break-word; }
.err { color: #b91c1c; font-weight: 600; } .muted, .note { color: #57606a; font-size: 13px; }
details summary { cursor: pointer; margin: 6px 0; }
.usage-bar { height: 18px; background: #eaeef2; border-radius: 4px; margin: 8px 0 2px; overflow: hidden; max-width: 600px; }
.usage-bar div { height: 100%; background: #d97706; } .usage-bar.full div { background: #dc2626; }
`;

/** The page; `c` is the Case the Diagnosis was made from, for the charts and trace excerpts (without it, neither). */
export function renderHtml(d: Diagnosis, c?: Case): string {
  const causes = byRank(d);
  const lead = causes[0];
  const alertAt = Date.parse(d.input.alert_time ?? d.input.window.start) / 1e3;
  const baselineEnd = d.baseline ? Date.parse(d.baseline.end) / 1e3 : undefined;
  const charts = lead && c ? chainCharts(lead, c, alertAt, baselineEnd) : [];
  const { js, css } = uplotAssets();
  const body = [
    verdict(d, lead),
    lead ? chainSection(lead, charts) : "",
    actionsSection(lead, hasConfidentCause(d)),
    othersSection(d, causes),
    logsSection(causes),
    tracesSection(causes, c),
    timelineSection(d, lead ? [lead] : []),
    evidenceSection(causes),
    inputsSection(d),
  ].join("\n");
  const title = lead ? `${shortEntity(lead.entity)}: ${lead.kind}` : "no confident cause";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>beneath — ${esc(title)}</title>
<style>${css}</style><style>${STYLE}</style></head>
<body><main>
${body}
<p class="muted">Generated ${esc(d.generated_at)} by beneath (${esc(d.schema)}). Times are UTC.</p>
</main>
<script id="chart-data" type="application/json">${scriptJson(charts.map(chartPayload))}</script>
<script>${js}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}
