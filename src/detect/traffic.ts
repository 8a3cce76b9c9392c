/**
 * How much the load changed: the request rate summed over every service that counts its requests, in
 * the incident against the baseline. When load rose, whatever rose in proportion to it (throughput, INFO
 * lines, memory and connections that follow the request rate) is a traffic change, not a fault.
 */
import type { Case } from "../case/model.js";
import { groupBy, medianIn } from "./resourceSeries.js";
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

export function trafficChange(c: Case, window: Window): TrafficChange | undefined {
  const requests = c.series.filter(
    (s) => REQUESTS.test(s.metric) && s.unit === "per second" && !/error|fail/i.test(JSON.stringify(s.labels)),
  );
  if (requests.length === 0) return undefined;
  const end = baselineEndOf(window);
  let before = 0;
  let during = 0;
  for (const s of requests) {
    before += medianIn(s, Number.NEGATIVE_INFINITY, end) ?? 0;
    during += medianIn(s, window.at, window.end + 1e-9) ?? 0;
  }
  if (!(before > 0)) return undefined;
  const ratio = during / before;
  return ratio >= SURGE_RATIO ? { ratio, services: groupBy(requests, (s) => s.entity).size } : undefined;
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
  if (measured.length === 0) return undefined;
  const end = baselineEndOf(window);
  let before = 0;
  let during = 0;
  for (const s of measured) {
    before += medianIn(s, Number.NEGATIVE_INFINITY, end) ?? 0;
    during += medianIn(s, window.at, window.end + 1e-9) ?? 0;
  }
  return before > 0 ? during / before : undefined;
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
