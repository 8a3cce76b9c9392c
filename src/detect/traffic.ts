/**
 * How much the load changed: the request rate summed over every service that counts its requests, in
 * the incident against the baseline. When load rose, whatever rose in proportion to it (throughput, INFO
 * lines, memory and connections that follow the request rate) is a traffic change, not a fault.
 */
import type { Case, Series } from "../case/model.js";
import { groupBy, sumOfMedians } from "./resourceSeries.js";
import type { Evidence, Window } from "./types.js";
import { baselineEndOf } from "./window.js";

/** Request counters as their exporters name them (after the Case turned counters into rates). */
const REQUESTS = /(_requests_total|_requests_seconds_count|_request_duration_seconds_count|_requests_count)$/;
/** Load that rose by at least this factor is a traffic change worth naming. */
export const SURGE_RATIO = 1.5;
/**
 * A measurement that rose by at most this multiple of the load's own rise followed the load: per-request
 * cost unchanged, give or take the slack of queues and pools that grow a little faster than linearly.
 */
const LOAD_SLACK = 1.5;

export interface TrafficChange {
  ratio: number;
  services: number;
}

/** The summed rate of `series` in the incident over the same before it; undefined with nothing before. */
function loadRatio(series: Series[], window: Window): number | undefined {
  const before = sumOfMedians(series, window.baselineStart, baselineEndOf(window));
  const during = sumOfMedians(series, window.at, window.end + 1e-9);
  return before > 0 ? during / before : undefined;
}

export function trafficChange(c: Case, window: Window): TrafficChange | undefined {
  const requests = c.series.filter(
    (s) => REQUESTS.test(s.metric) && s.unit === "per second" && !/error|fail/i.test(JSON.stringify(s.labels)),
  );
  const ratio = loadRatio(requests, window);
  return ratio !== undefined && ratio >= SURGE_RATIO
    ? { ratio, services: groupBy(requests, (s) => s.entity).size }
    : undefined;
}

/** What an entity is asked to do: its own request or job counters, else the bytes it receives. */
const WORK =
  /(_requests_total|_requests_seconds_count|_request_duration_seconds_count|_requests_count|_jobs_total|_messages_(delivered|consumed|received)_total)$/;
const RECEIVED = /^container_network_receive_bytes_total$/;

/** How much an entity's own load changed (incident over baseline), or undefined when nothing measures it. */
export function ownLoadRatio(c: Case, entity: string, window: Window): number | undefined {
  const own = c.series.filter((s) => s.entity === entity && s.unit === "per second");
  const work = own.filter((s) => WORK.test(s.metric));
  const measured = work.length > 0 ? work : own.filter((s) => RECEIVED.test(s.metric));
  return loadRatio(measured, window);
}

/** A resource that rose no more than its entity's own load: per-request cost unchanged. */
export function followsOwnLoad(e: Evidence, loadRatio: number | undefined): boolean {
  if (loadRatio === undefined || e.value === undefined || e.baseline === undefined || !(e.baseline > 0)) return false;
  return e.value / e.baseline <= Math.max(1, loadRatio) * LOAD_SLACK;
}

/** Evidence that moved no more than the load did: it follows the traffic, it is not a fault. */
export function followsLoad(e: Evidence, traffic: TrafficChange | undefined): boolean {
  if (!traffic || e.family === "errors" || e.family === "resource" || e.type === "limit" || e.type === "lifecycle")
    return false;
  if (e.family === "log") return /^(info|debug|trace)$/.test(String(e.facts?.level ?? ""));
  if (e.value === undefined || e.baseline === undefined || !(Math.abs(e.baseline) > 0)) return false;
  return Math.abs(e.value / e.baseline) <= traffic.ratio * LOAD_SLACK;
}
