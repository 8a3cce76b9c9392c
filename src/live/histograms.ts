/**
 * Histograms pulled as quantiles (`--histogram-quantiles`): a latency histogram's buckets, a dozen
 * counters per series, become the two numbers a person watches, computed by the server. That cuts
 * the volume by the bucket count, and what the engine then sees moving is latency, not the request
 * rate every bucket also follows.
 */
/** The typical request and the tail an SLO watches. */
export const HISTOGRAM_QUANTILES = [0.5, 0.99] as const;
/** rate() over four stored intervals survives a missed scrape, as Prometheus' documentation advises. */
const RATE_WINDOW_INTERVALS = 4;

/** `http_request_duration_seconds_bucket`, 0.99 -> `http_request_duration_seconds_p99`. */
export function quantileName(bucketName: string, quantile: number): string {
  return `${bucketName.replace(/_bucket$/, "")}_p${Math.round(quantile * 100)}`;
}

/** The rate window for quantiles: four stored intervals, and never shorter than the step. */
export function rateWindow(interval: number | undefined, step: number): number {
  return Math.max(step, (interval ?? step) * RATE_WINDOW_INTERVALS);
}

/** The quantile over the buckets matched by `selectors` (their union), per series apart from `le`. */
export function quantileQuery(selectors: string[], quantile: number, windowSeconds: number): string {
  const rates = selectors.map((s) => `rate(${s}[${windowSeconds}s])`).join(" or ");
  return `histogram_quantile(${quantile}, ${rates})`;
}

/** histogram_quantile drops the metric name; the answer gets the quantile's name back, as a file would hold it. */
export function nameSeries(text: string, name: string): string {
  const answer = JSON.parse(text) as { data: { result: { metric: Record<string, string> }[] } };
  for (const series of answer.data.result) series.metric = { __name__: name, ...series.metric };
  return JSON.stringify(answer);
}

/** A series of a classic histogram: named `_bucket` with an `le` label. */
export function isBucketSeries(labels: Record<string, string>): boolean {
  return labels.__name__?.endsWith("_bucket") === true && labels.le !== undefined;
}

/** The series a bucket series belongs to (all labels but `le`), as a key. */
export function histogramKey(labels: Record<string, string>): string {
  const { le: _, ...rest } = labels;
  return JSON.stringify(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1)));
}
