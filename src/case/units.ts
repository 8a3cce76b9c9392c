/**
 * What a series measures, from the Prometheus naming conventions and what the reader knew: a report
 * says "48 s" or "1.2 GiB/s" only when the unit is known. Presentation only; scores stay unit-free.
 */
import { COUNTER_RATE_UNIT } from "./builder.js";

/** The unit a counter's rate carries when its name says what it counts (`_bytes_total` → bytes per second). */
export function perSecond(base: string): string {
  return `${base} ${COUNTER_RATE_UNIT}`;
}

/** Base units a metric name ends in, before a counter or histogram suffix or a `_max`-style aggregate. */
const BASE_UNIT = /_(bytes|seconds|ratio|percent)(?:_(?:max|min|avg|mean|median|p\d+))?$/;
/** Suffixes of counters and of the series of a histogram or summary. */
const SERIES_SUFFIX = /_(total|sum|count|bucket)$/;
/** Series that count events (requests, observations), whatever unit their family observes. */
const COUNTS_EVENTS = /_(count|bucket)$/;

/** The base unit in a metric's name: `http_request_duration_seconds_sum` → seconds. */
export function baseUnitOfName(metric: string): string | undefined {
  return BASE_UNIT.exec(metric.replace(SERIES_SUFFIX, ""))?.[1];
}

/**
 * The unit of a Case series: a raw counter turned into its rate (`unit` "per second") is "<base> per
 * second" when its name says what it counts and plain "per second" when it counts events; otherwise the
 * unit the source stated, else the one the name carries.
 */
export function unitOfSeries(metric: string, unit?: string): string | undefined {
  const base = baseUnitOfName(metric);
  if (unit === COUNTER_RATE_UNIT) return base && !COUNTS_EVENTS.test(metric) ? perSecond(base) : COUNTER_RATE_UNIT;
  return unit ?? base;
}
