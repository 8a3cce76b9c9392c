/**
 * Prometheus counters read raw (a `query_range` of `http_requests_total`, not of its `rate()`) only
 * ever grow, so as levels every one of them "moves". They become per-second rates, as PromQL's
 * `rate()` would make them, with resets (a restarted process) counted as starting from zero.
 */

/**
 * Counter names by the Prometheus naming conventions: `_total` for counters, and the `_count`,
 * `_sum` and `_bucket` series of histograms and summaries, which are counters too.
 */
const COUNTER_NAME = /_(total|count|sum|bucket)$/;

export function isCounterName(metric: string): boolean {
  return COUNTER_NAME.test(metric);
}

/** Whether the values look like a counter: never negative (a gauge named like one may be). */
function counterShaped(v: Float64Array): boolean {
  for (const x of v) if (x < 0) return false;
  return true;
}

/**
 * Per-second increase between consecutive samples, stamped at the later one; a drop is a reset, so
 * the increase is the new value itself. Undefined when the series is not counter-shaped or too short.
 */
export function counterRate(t: Float64Array, v: Float64Array): { t: Float64Array; v: Float64Array } | undefined {
  if (t.length < 2 || !counterShaped(v)) return undefined;
  const rt = new Float64Array(t.length - 1);
  const rv = new Float64Array(t.length - 1);
  for (let i = 1; i < t.length; i++) {
    const increase = v[i] >= v[i - 1] ? v[i] - v[i - 1] : v[i];
    rt[i - 1] = t[i];
    rv[i - 1] = increase / (t[i] - t[i - 1]);
  }
  return { t: rt, v: rv };
}
