/** Series as Prometheus HTTP API `query_range` responses (matrix), one file per scrape job. */
import type { MetricSeries } from "../telemetry.js";

/** Seven significant digits: what a dashboard shows, and files a third the size of full doubles. */
function sampleValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(7)));
}

export function queryRangeJson(series: MetricSeries[]): string {
  return [...queryRangeChunks(series)].join("");
}

/**
 * A `query_range` response in pieces, one series at a time, built as text (the same bytes
 * JSON.stringify gives the document) so files of millions of samples are never one string.
 */
export function* queryRangeChunks(series: MetricSeries[]): Generator<string> {
  yield '{"status":"success","data":{"resultType":"matrix","result":[';
  for (let k = 0; k < series.length; k++) {
    const s = series[k];
    const metric = JSON.stringify({ __name__: s.metric, job: s.job, ...s.labels });
    let values = "";
    for (let i = 0; i < s.t.length; i++) {
      const t = s.t[i];
      values += `${i > 0 ? "," : ""}[${Number.isInteger(t) ? t : Number(t.toFixed(3))},"${sampleValue(s.v[i])}"]`;
    }
    yield `${k > 0 ? "," : ""}{"metric":${metric},"values":[${values}]}`;
  }
  yield "]}}";
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
