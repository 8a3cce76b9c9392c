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

/** Steps that rise and steps that reset; undefined when a step falls without resetting (a gauge). */
function counterSteps(v: Float64Array): { rising: number; resets: number } | undefined {
  let rising = 0;
  let resets = 0;
  for (let i = 1; i < v.length; i++) {
    if (v[i] < 0) return undefined;
    if (v[i] > v[i - 1]) rising++;
    else if (v[i] < v[i - 1]) {
      if (v[i] >= v[i - 1] * RESET_FALLS_BELOW) return undefined;
      resets++;
    }
  }
  return { rising, resets };
}

/** Resets are rare; more of them means a gauge that happens to dip to near zero. */
function fewResets(resets: number, steps: number): boolean {
  return resets <= Math.max(1, steps * SHAPE_MAX_RESET_SHARE);
}

/**
 * Counters named without a counter suffix (mysqld_exporter's `mysql_global_status_*`, node_exporter's
 * `node_netstat_*`) are known by shape: rising in most intervals, never falling except to a reset.
 */
export function looksLikeCounter(v: Float64Array): boolean {
  if (v.length < SHAPE_MIN_SAMPLES) return false;
  const steps = counterSteps(v);
  return (
    steps !== undefined &&
    steps.rising >= (v.length - 1) * SHAPE_MIN_RISING_SHARE &&
    fewResets(steps.resets, v.length - 1)
  );
}

/**
 * A series named like a counter is one unless its values say otherwise: a gauge that happens to end
 * in `_count` (postgres_exporter's `pg_stat_activity_count`) falls without resetting.
 */
function behavesLikeCounter(v: Float64Array): boolean {
  const steps = counterSteps(v);
  return steps !== undefined && fewResets(steps.resets, v.length - 1);
}

/**
 * A name ending in a base unit without `_total` is a gauge by the Prometheus naming conventions
 * (`process_resident_memory_bytes`): a leak that rises at every scrape must stay a level.
 */
const GAUGE_UNIT_SUFFIX = /_(bytes|seconds|ratio|percent|celsius|volts|meters|grams|amperes|joules)$/;

/** The per-second rate of a counter (by name or by shape); undefined for anything else. */
export function rateIfCounter(metric: string, t: Float64Array, v: Float64Array) {
  const counter = isCounterName(metric)
    ? behavesLikeCounter(v)
    : !GAUGE_UNIT_SUFFIX.test(metric) && looksLikeCounter(v);
  return counter ? counterRate(t, v) : undefined;
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
