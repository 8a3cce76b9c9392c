/**
 * Pulls an incident from a live Prometheus-compatible server: the baseline hour before the alert and
 * the incident window after it, one range query per metric, at the stored resolution. Counters are
 * pulled raw, as files hold them, because the Case builder turns them into rates (src/case/counters.ts);
 * a `rate()` here would be rated twice and lose its metric name. What cuts the volume is the step, the
 * selectors and the series limit, and each limit that bites is said.
 */
import { toIso } from "../case/time.js";
import { BASELINE_OBSERVED_SECONDS } from "../detect/window.js";
import { EXPORT_INDEX_FILE } from "../read/exportIndex.js";
import { DEFAULT_MAX_SERIES } from "./defaults.js";
import { discover, type Skip } from "./discover.js";
import { LiveError } from "./errors.js";
import { nameSeries, quantileQuery, rateWindow } from "./histograms.js";
import { displayUrl, type HttpOptions } from "./http.js";
import { inParallel } from "./parallel.js";
import { PrometheusApi } from "./prometheusApi.js";
import { chooseStep, storedInterval } from "./step.js";

export { DEFAULT_MAX_SERIES };

export interface LiveSourceOptions {
  url: URL;
  http: HttpOptions;
  /** Alert time, unix seconds; without it the range ends now and the incident start is detected. */
  at?: number;
  /** Incident window after `at`, seconds. */
  window: number;
  /** Series selectors; every series when empty. */
  match: string[];
  maxSeries: number;
  /** Resolution, seconds; the stored interval when absent. */
  step?: number;
  /** Pull classic histograms as their p50 and p99 instead of their buckets. */
  histogramQuantiles?: boolean;
  /** Unix seconds treated as the present (tests pin it). */
  now?: number;
}

export interface PulledMetric {
  name: string;
  /** File name in an export; also orders the metrics as a folder read would. */
  file: string;
  query: string;
  /** Series in the answer that hold samples. */
  series: number;
  /** The answer exactly as the server sent it. */
  text: string;
}

export interface Pull {
  /** The server, without credentials. */
  source: string;
  start: number;
  end: number;
  step: number;
  at?: number;
  window: number;
  match: string[];
  maxSeries: number;
  discovered: number;
  metrics: PulledMetric[];
  leftOut: { name: string; series: number }[];
  unexamined: string[];
  skipped: Skip[];
  /** Time spent pulling, milliseconds. */
  ms: number;
}

/** `node_cpu_seconds_total` -> `node_cpu_seconds_total.json`; characters unsafe in a file name become `_`. */
function fileNameFor(name: string, used: Set<string>): string {
  const base = name.replace(/[^A-Za-z0-9_.-]/g, "_") || "unnamed";
  let file = `${base}.json`;
  for (let n = 2; used.has(file); n++) file = `${base}-${n}.json`;
  used.add(file);
  return file;
}

function nothingHeld(source: string, start: number, end: number, match: string[], what: string): LiveError {
  const matching = match.length > 0 ? ` matching ${match.join(" or ")}` : "";
  return new LiveError(`${source} holds no ${what} between ${toIso(start)} and ${toIso(end)}${matching}`);
}

export async function pullIncident(options: LiveSourceOptions): Promise<Pull> {
  const began = performance.now();
  const api = new PrometheusApi(options.url, options.http);
  const source = displayUrl(options.url);
  const now = options.now ?? Date.now() / 1000;
  if (options.at !== undefined && options.at > now) {
    throw new LiveError(`--at ${toIso(options.at)} is in the future; the server holds nothing after ${toIso(now)}`);
  }
  const end = Math.min(now, options.at === undefined ? now : options.at + options.window);
  const from = (options.at ?? end - options.window) - BASELINE_OBSERVED_SECONDS;
  const found = await discover(api, options, from, end);
  if (found.discovered === 0) throw nothingHeld(source, from, end, options.match, "series");
  const interval = await storedInterval(api, found.examples, from, end);
  const step = options.step ?? chooseStep(from, end, interval);
  // Whole multiples of the step, so the evaluation times fall on the scrape times.
  const start = Math.floor(from / step) * step;
  const last = Math.floor(end / step) * step;
  const used = new Set([EXPORT_INDEX_FILE]);
  const plans = found.metrics.map((m) => ({ ...m, file: fileNameFor(m.name, used) }));
  const metrics = await inParallel(plans, async (plan) => {
    const quantile = plan.quantile;
    const query =
      quantile === undefined
        ? plan.selectors.join(" or ")
        : quantileQuery(plan.selectors, quantile, rateWindow(interval, step));
    const answer = await api.queryRange(query, start, last, step);
    const series = answer.series.filter((s) => (s.values?.length ?? 0) > 0).length;
    const text = quantile === undefined ? answer.text : nameSeries(answer.text, plan.name);
    return { name: plan.name, file: plan.file, query, series, text };
  });
  if (metrics.every((m) => m.series === 0)) throw nothingHeld(source, start, last, options.match, "samples");
  metrics.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return {
    source,
    start,
    end: last,
    step,
    at: options.at,
    window: options.window,
    match: options.match,
    maxSeries: options.maxSeries,
    discovered: found.discovered,
    metrics,
    leftOut: found.leftOut,
    unexamined: found.unexamined,
    skipped: found.skipped,
    ms: performance.now() - began,
  };
}
