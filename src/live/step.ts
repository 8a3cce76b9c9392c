/**
 * The resolution to pull at. A step finer than the scrape interval repeats stored samples (flat runs,
 * then jumps) that the detectors would read as behaviour; a coarser one than needed only loses detail.
 * So: the stored interval, coarsened only when the range would otherwise hold too many points.
 */
import { median } from "../detect/robust.js";
import type { Labels, PrometheusApi } from "./prometheusApi.js";
import { promqlString } from "./prometheusApi.js";

/**
 * Points per series at most: an hour's baseline at 15 s is 240 points, so 1500 keeps full resolution
 * for ranges up to six hours and stays far below Prometheus' own limit of 11,000 points per series.
 */
export const MAX_POINTS_PER_SERIES = 1500;
/** When the stored interval cannot be measured: the scrape interval most Prometheus setups use. */
export const FALLBACK_STEP_SECONDS = 15;

/** The exact selector of one series. */
function exactSelector(labels: Labels): string {
  const matchers = Object.entries(labels).map(([k, v]) => `${k}=${promqlString(v)}`);
  return `{${matchers.join(", ")}}`;
}

/**
 * The stored sample interval: per series, the median spacing of its raw samples over the range (a range
 * selector in an instant query returns samples as stored); over the series, the median of those, so a
 * job scraped unusually often or rarely does not set it alone. Undefined when none can be read.
 */
export async function storedInterval(
  api: PrometheusApi,
  examples: Labels[],
  start: number,
  end: number,
): Promise<number | undefined> {
  const intervals: number[] = [];
  const range = Math.max(1, Math.ceil(end - start));
  for (const labels of examples) {
    for (const series of await api.rawSamples(`${exactSelector(labels)}[${range}s]`, end)) {
      const values = series.values ?? [];
      const spacings = values.slice(1).map(([t], i) => Number(t) - Number(values[i][0]));
      if (spacings.length > 0) intervals.push(median(spacings));
    }
  }
  const interval = intervals.length > 0 ? median(intervals) : Number.NaN;
  // Rounded, not raised: real scrapes jitter by milliseconds, and 15.001 s must give a 15 s step.
  return interval > 0 ? Math.max(1, Math.round(interval)) : undefined;
}

/** The step for [start, end]: the stored interval, coarsened to stay within MAX_POINTS_PER_SERIES. */
export function chooseStep(start: number, end: number, interval: number | undefined): number {
  const coarsest = Math.ceil((end - start) / MAX_POINTS_PER_SERIES);
  return Math.max(1, interval ?? FALLBACK_STEP_SECONDS, coarsest);
}
