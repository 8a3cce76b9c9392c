/**
 * Which series exist around the incident, and which of them to pull: counted per metric name, then
 * whole metrics kept under the series limit. A metric is kept or left out whole, so what is read of it
 * is never a biased part.
 */
import { HISTOGRAM_QUANTILES, histogramKey, isBucketSeries, quantileName } from "./histograms.js";
import { inParallel } from "./parallel.js";
import type { Labels, PrometheusApi } from "./prometheusApi.js";
import { promqlString } from "./prometheusApi.js";

/** Metric names per `/api/v1/series` request: one form stays well within any proxy's body limit. */
const NAMES_PER_SERIES_CALL = 100;
/** Counting stops once this many times the limit is found: a huge server is not listed to the end. */
const DISCOVERY_LIMIT_FACTOR = 10;
/**
 * Label sets kept per discovery, each from a different scrape job where there are several, to measure
 * the stored interval from their raw samples: enough that one odd job does not set the step alone.
 */
const EXAMPLES_KEPT = 5;
/** Names of metrics left out, quoted in the one-line note; the export's index lists them all. */
const NAMES_QUOTED = 10;

export interface MetricPlan {
  name: string;
  /** Series it gives in the range. */
  series: number;
  /** Selectors whose union is exactly those series (for a quantile: their buckets). */
  selectors: string[];
  /** Set when the metric is a quantile computed from a histogram's buckets. */
  quantile?: number;
}

export interface DiscoverOptions {
  match: string[];
  maxSeries: number;
  /** Pull classic histograms as quantiles instead of their buckets. */
  histogramQuantiles?: boolean;
}

export interface Skip {
  where: string;
  reason: string;
}

export interface Discovery {
  metrics: MetricPlan[];
  /** Series found in all, kept or not. */
  discovered: number;
  /** Metrics left out by the limit, with their series counts. */
  leftOut: { name: string; series: number }[];
  /** Metric names not counted at all: discovery stopped early on a very large server. */
  unexamined: string[];
  skipped: Skip[];
  /** A few label sets of kept series. */
  examples: Labels[];
}

/** `name{...}` or `{...}`: the shape `--match` takes, split into the metric name and the braces' content. */
const SELECTOR = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(.*)\})?\s*$/s;

/**
 * The selectors for one metric restricted to the user's selectors (to be joined by `or`), or the whole
 * metric when there are none. A selector naming another metric does not apply.
 */
export function metricSelectors(name: string, match: string[]): string[] {
  const nameMatcher = `__name__=${promqlString(name)}`;
  const parts: string[] = [];
  for (const selector of match) {
    const parsed = SELECTOR.exec(selector);
    if (!parsed) continue;
    const [, selectorName, inner = ""] = parsed;
    if (selectorName !== undefined && selectorName !== name) continue;
    parts.push(`{${[nameMatcher, inner.trim()].filter((p) => p !== "").join(", ")}}`);
  }
  return parts.length === 0 ? [`{${nameMatcher}}`] : parts;
}

/**
 * The order metrics are kept in under the limit. Histogram buckets come last: they multiply a metric's
 * series by its bucket count and repeat what `_sum` and `_count` say. Otherwise the smallest first: each
 * metric is a different signal, so the limit keeps as many kinds of signal as it can, and the few
 * high-cardinality metrics it leaves out are named, to be asked for with --match.
 */
function pullOrder(a: { name: string; series: number }, b: { name: string; series: number }): number {
  const bucket = (n: string) => (n.endsWith("_bucket") ? 1 : 0);
  return bucket(a.name) - bucket(b.name) || a.series - b.series || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

interface Counted {
  counts: Map<string, number>;
  examples: Map<string, Labels>;
  /** Per classic histogram's `_bucket` name: its series apart from `le`. */
  histograms: Map<string, Set<string>>;
  unexamined: string[];
}

/** Series per metric name in [start, end]: from the user's selectors, or every name the server holds. */
async function countSeries(
  api: PrometheusApi,
  match: string[],
  start: number,
  end: number,
  limit: number,
): Promise<Counted> {
  const counted: Counted = { counts: new Map(), examples: new Map(), histograms: new Map(), unexamined: [] };
  const { counts, examples, histograms } = counted;
  let found = 0;
  const tally = (sets: Labels[]) => {
    for (const labels of sets) {
      const name = labels.__name__ ?? "";
      counts.set(name, (counts.get(name) ?? 0) + 1);
      if (!examples.has(name)) examples.set(name, labels);
      if (isBucketSeries(labels)) histograms.set(name, (histograms.get(name) ?? new Set()).add(histogramKey(labels)));
      found++;
    }
  };
  if (match.length > 0) {
    tally(await api.series(match, start, end));
    return counted;
  }
  const names = (await api.labelValues("__name__", start, end)).sort();
  const batches: string[][] = [];
  for (let i = 0; i < names.length; i += NAMES_PER_SERIES_CALL) batches.push(names.slice(i, i + NAMES_PER_SERIES_CALL));
  const unexamined: string[] = [];
  await inParallel(batches, async (batch) => {
    if (found > limit * DISCOVERY_LIMIT_FACTOR) unexamined.push(...batch);
    else
      tally(
        await api.series(
          batch.map((n) => `{__name__=${promqlString(n)}}`),
          start,
          end,
        ),
      );
  });
  counted.unexamined = unexamined.sort();
  return counted;
}

function quoteNames(names: string[]): string {
  const quoted = names.slice(0, NAMES_QUOTED).join(", ");
  return names.length > NAMES_QUOTED ? `${quoted} and ${names.length - NAMES_QUOTED} more` : quoted;
}

/** Up to EXAMPLES_KEPT label sets of kept, stored metrics: a different job for each while there are others. */
function examplesByJob(metrics: MetricPlan[], examples: Map<string, Labels>): Labels[] {
  const stored = metrics
    .filter((m) => m.quantile === undefined)
    .map((m) => examples.get(m.name))
    .filter((labels): labels is Labels => labels !== undefined);
  const jobs = new Set<string | undefined>();
  const firstOfJob = stored.filter((labels) => !jobs.has(labels.job) && jobs.add(labels.job));
  const rest = stored.filter((labels) => !firstOfJob.includes(labels));
  return [...firstOfJob, ...rest].slice(0, EXAMPLES_KEPT);
}

/** What can be pulled: each metric as stored, or a histogram's buckets as its quantiles. */
function candidates(counted: Counted, options: DiscoverOptions): MetricPlan[] {
  const plans: MetricPlan[] = [];
  for (const [name, series] of counted.counts) {
    if (name === "") continue;
    const selectors = metricSelectors(name, options.match);
    const groups = counted.histograms.get(name);
    if (options.histogramQuantiles && groups) {
      for (const quantile of HISTOGRAM_QUANTILES) {
        plans.push({ name: quantileName(name, quantile), series: groups.size, selectors, quantile });
      }
    } else plans.push({ name, series, selectors });
  }
  return plans.sort(pullOrder);
}

/** Finds the series in [start, end] and keeps whole metrics, in pull order, while they fit under `maxSeries`. */
export async function discover(
  api: PrometheusApi,
  options: DiscoverOptions,
  start: number,
  end: number,
): Promise<Discovery> {
  const { match, maxSeries } = options;
  const counted = await countSeries(api, match, start, end, maxSeries);
  const { examples, unexamined } = counted;
  const metrics: MetricPlan[] = [];
  const leftOut: Discovery["leftOut"] = [];
  let kept = 0;
  for (const plan of candidates(counted, options)) {
    if (kept + plan.series > maxSeries) {
      leftOut.push({ name: plan.name, series: plan.series });
      continue;
    }
    kept += plan.series;
    metrics.push(plan);
  }
  const discovered = [...counted.counts.values()].reduce((sum, n) => sum + n, 0);
  const skipped: Skip[] = [];
  if (leftOut.length > 0) {
    const series = leftOut.reduce((sum, m) => sum + m.series, 0);
    skipped.push({
      where: "series limit",
      reason:
        `${series} of ${discovered} series (${leftOut.length} metric${leftOut.length === 1 ? "" : "s"}) left out to stay within --max-series ${maxSeries}: ` +
        `${quoteNames(leftOut.map((m) => m.name))}; narrow the selection with --match or raise --max-series`,
    });
  }
  if (unexamined.length > 0) {
    skipped.push({
      where: "discovery",
      reason: `${unexamined.length} metric names not examined, more than ${DISCOVERY_LIMIT_FACTOR}x --max-series series were already found: ${quoteNames(unexamined)}`,
    });
  }
  return { metrics, discovered, leftOut, unexamined, skipped, examples: examplesByJob(metrics, examples) };
}
