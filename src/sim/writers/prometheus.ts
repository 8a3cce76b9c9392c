/** Series as Prometheus HTTP API `query_range` responses (matrix), one file per scrape job. */
import type { MetricSeries } from "../telemetry.js";

/** Seven significant digits: what a dashboard shows, and files a third the size of full doubles. */
function sampleValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(7)));
}

export function queryRangeJson(series: MetricSeries[]): string {
  const result = series.map((s) => ({
    metric: { __name__: s.metric, job: s.job, ...s.labels },
    values: s.t.map((t, i) => [Number(t.toFixed(3)), sampleValue(s.v[i])]),
  }));
  return JSON.stringify({ status: "success", data: { resultType: "matrix", result } });
}

/** Series grouped by job: the file name per job. */
export function byJob(series: MetricSeries[]): Map<string, MetricSeries[]> {
  const jobs = new Map<string, MetricSeries[]>();
  for (const s of series) {
    const list = jobs.get(s.job) ?? [];
    list.push(s);
    jobs.set(s.job, list);
  }
  return jobs;
}
