/**
 * Small-multiple line charts (SVG) of a scenario's key series, with the fault start and the alert
 * marked: how a person checks that a simulated incident looks like the real one (limits hit when the
 * write-up says, not before). Counters are charted as per-second rates, as a dashboard would.
 */

import { rateIfCounter } from "../../case/counters.js";
import { workloadOfPod } from "../../case/entity.js";
import type { Scenario } from "../scenario.js";
import type { MetricSeries } from "../telemetry.js";

const WIDTH = 760;
const PANEL_HEIGHT = 150;
const MARGIN = { left: 70, right: 170, top: 28, bottom: 22 };
/** More lines than this in one panel are unreadable: the largest are kept. */
const MAX_LINES = 8;
/** A missing sample is a gap when the next one is more than this many steps away. */
const GAP_STEPS = 1.5;
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
/** Labels that name what a line is about, most specific first; pods fold to their workload. */
const GROUP_LABELS = ["mysql_user", "client_host", "queue", "service", "deployment", "pod", "node", "instance", "job"];

interface Line {
  name: string;
  /** A counter charted as its rate. */
  rate: boolean;
  t: Float64Array;
  v: Float64Array;
}

function groupName(s: MetricSeries): string {
  const label = GROUP_LABELS.find((l) => s.labels[l] !== undefined) ?? "job";
  const value = label === "job" ? s.job : s.labels[label];
  const extra = ["status", "code", "command", "reason", "mode", "resource"].find((l) => s.labels[l] !== undefined);
  const name = label === "pod" ? workloadOfPod(value) : value;
  return extra ? `${name} ${extra}=${s.labels[extra]}` : name;
}

/** Series of one metric summed per group (per workload, per user...), counters as rates. */
function linesOf(series: MetricSeries[]): Line[] {
  const groups = new Map<string, Map<number, number>>();
  let rate = false;
  for (const s of series) {
    const t = Float64Array.from(s.t);
    const v = Float64Array.from(s.v);
    const counter = rateIfCounter(s.metric, t, v);
    rate ||= counter !== undefined;
    const values = counter ?? { t, v };
    const sums = groups.get(groupName(s)) ?? new Map<number, number>();
    for (let i = 0; i < values.t.length; i++) sums.set(values.t[i], (sums.get(values.t[i]) ?? 0) + values.v[i]);
    groups.set(groupName(s), sums);
  }
  const lines = [...groups].map(([name, sums]) => {
    const t = Float64Array.from([...sums.keys()].sort((a, b) => a - b));
    return { name, rate, t, v: t.map((x) => sums.get(x) ?? 0) };
  });
  const peak = (l: Line) => l.v.reduce((m, x) => Math.max(m, x), 0);
  return lines.sort((a, b) => peak(b) - peak(a)).slice(0, MAX_LINES);
}

/** Sample indexes split where a scrape was missed: a gap in the data is drawn as a gap. */
function runsWithoutGaps(line: Line, step: number): number[][] {
  const runs: number[][] = [];
  let run: number[] = [];
  line.t.forEach((t, k) => {
    if (k > 0 && t - line.t[k - 1] > step * GAP_STEPS) {
      runs.push(run);
      run = [];
    }
    run.push(k);
  });
  runs.push(run);
  return runs;
}

function formatValue(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${(v / 1e3).toPrecision(3)}k`;
  return Number(v.toPrecision(3)).toString();
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function panel(metric: string, lines: Line[], scenario: Scenario, top: number): string {
  const x0 = MARGIN.left;
  const x1 = WIDTH - MARGIN.right;
  const y0 = top + MARGIN.top;
  const y1 = top + PANEL_HEIGHT - MARGIN.bottom;
  const start = scenario.start;
  const end = scenario.start + scenario.duration;
  const max = Math.max(1e-12, ...lines.flatMap((l) => [...l.v]));
  const x = (t: number) => x0 + ((t - start) / (end - start)) * (x1 - x0);
  const y = (v: number) => y1 - (v / max) * (y1 - y0);
  const parts = [
    `<text x="${x0}" y="${top + 16}" font-size="13" font-weight="bold">${escapeXml(metric)}${lines.some((l) => l.rate) ? " (per second)" : ""}</text>`,
    `<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="none" stroke="#ccc"/>`,
    `<text x="${x0 - 6}" y="${y0 + 4}" font-size="10" text-anchor="end">${formatValue(max)}</text>`,
    `<text x="${x0 - 6}" y="${y1}" font-size="10" text-anchor="end">0</text>`,
  ];
  for (let m = 0; m <= scenario.duration / 60; m += 10) {
    parts.push(`<text x="${x(start + m * 60)}" y="${y1 + 14}" font-size="10" text-anchor="middle">${m}m</text>`);
  }
  const marks: [number | undefined, string, string][] = [
    [scenario.truth.start, "fault", "#d62728"],
    [scenario.alert, "alert", "#555"],
  ];
  for (const [offset, label, colour] of marks) {
    if (offset === undefined) continue;
    const xm = x(start + offset);
    parts.push(`<line x1="${xm}" y1="${y0}" x2="${xm}" y2="${y1}" stroke="${colour}" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${xm + 3}" y="${y0 + 10}" font-size="10" fill="${colour}">${label}</text>`);
  }
  lines.forEach((line, i) => {
    const colour = COLOURS[i % COLOURS.length];
    for (const run of runsWithoutGaps(line, scenario.step)) {
      const points = run.map((k) => `${x(line.t[k]).toFixed(1)},${y(line.v[k]).toFixed(1)}`).join(" ");
      parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.4" points="${points}"/>`);
    }
    parts.push(
      `<text x="${x1 + 8}" y="${y0 + 10 + i * 13}" font-size="10" fill="${colour}">${escapeXml(line.name.slice(0, 28))}</text>`,
    );
  });
  return parts.join("\n");
}

/** One SVG with a panel per metric of the scenario's `plot` list; undefined when it lists none. */
export function chartsSvg(scenario: Scenario, series: MetricSeries[]): string | undefined {
  const panels = scenario.plot
    .map((metric) => ({ metric, lines: linesOf(series.filter((s) => s.metric === metric)) }))
    .filter((p) => p.lines.length > 0);
  if (panels.length === 0) return undefined;
  const height = panels.length * PANEL_HEIGHT + 30;
  const body = panels.map((p, i) => panel(p.metric, p.lines, scenario, 30 + i * PANEL_HEIGHT)).join("\n");
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n` +
    `<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(scenario.name)}: ${escapeXml(scenario.description.slice(0, 90))}</text>\n` +
    `${body}\n</svg>\n`
  );
}
