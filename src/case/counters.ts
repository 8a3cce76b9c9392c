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

/** Samples needed before a series' shape alone can say it is a counter. */
const SHAPE_MIN_SAMPLES = 20;
/** A counter rises in most scrape intervals of a busy system; a gauge at a plateau does not. */
const SHAPE_MIN_RISING_SHARE = 0.5;
/** Resets are rare: a restart or two in a recording. */
const SHAPE_MAX_RESET_SHARE = 0.02;
/** A reset falls near zero; a gauge's dip does not. */
const RESET_FALLS_BELOW = 0.5;

/**
 * Counters named without a counter suffix (mysqld_exporter's `mysql_global_status_*`, node_exporter's
 * `node_netstat_*`) are known by shape: rising in most intervals, never falling except to a reset.
 */
export function looksLikeCounter(v: Float64Array): boolean {
  if (v.length < SHAPE_MIN_SAMPLES) return false;
  let rising = 0;
  let resets = 0;
  for (let i = 1; i < v.length; i++) {
    if (v[i] < 0) return false;
    if (v[i] > v[i - 1]) rising++;
    else if (v[i] < v[i - 1]) {
      if (v[i] >= v[i - 1] * RESET_FALLS_BELOW) return false;
      resets++;
    }
  }
  const steps = v.length - 1;
  return rising >= steps * SHAPE_MIN_RISING_SHARE && resets <= steps * SHAPE_MAX_RESET_SHARE;
}

/** The per-second rate of a counter (by name or by shape); undefined for anything else. */
export function rateIfCounter(metric: string, t: Float64Array, v: Float64Array) {
  return isCounterName(metric) || looksLikeCounter(v) ? counterRate(t, v) : undefined;
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
