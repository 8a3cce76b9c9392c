/**
 * Containers killed at their memory limit (catalogue: memory.leak): the kernel's OOM kills as
 * kube-state-metrics (`kube_pod_container_status_last_terminated_reason{reason="OOMKilled"}` with the
 * restarts they caused), cAdvisor (`container_oom_events_total`) and `kubectl get pods` (a container's
 * `lastState.terminated.reason`) record them, with the working set against its limit.
 */

import type { Case, Series } from "../case/model.js";
import { toIso } from "../case/time.js";
import { formatQuantity } from "../diagnosis/units.js";
import { groupBy, increaseIn, peakIn, type ResourceSpan, seriesNamed, valueAt } from "./resourceSeries.js";
import type { Evidence } from "./types.js";

const OOM_REASON = "kube_pod_container_status_last_terminated_reason";
const RESTARTS = "kube_pod_container_status_restarts_total";
const OOM_EVENTS = "container_oom_events_total";
const WORKING_SET = "container_memory_working_set_bytes";
/** cAdvisor's limit (0 when none is set) and kube-state-metrics' view of the same pod spec. */
const LIMITS: { metric: string; labels: Record<string, string> }[] = [
  { metric: "container_spec_memory_limit_bytes", labels: {} },
  { metric: "kube_pod_container_resource_limits", labels: { resource: "memory" } },
];
/** Kills that began in the incident with none before it: the memory ran out, and that is new. */
const NEW_KILLS_STRENGTH = 0.9;
/**
 * Kills that also happened before: a container that keeps dying at its limit is a fault, but an old
 * one, which may not be what changed at the alert.
 */
const CHRONIC_KILLS_STRENGTH = 0.4;

interface Kills {
  count: number;
  first?: number;
}

/**
 * One container of one pod: the unit kube-state-metrics and cAdvisor count restarts and kills by (the
 * Case keeps `container` only where it does not name the entity itself).
 */
function containerKey(s: { entity: string; labels: Record<string, string> }): string | undefined {
  const { pod, container } = s.labels;
  return pod ? `${s.entity}\u0000${pod}\u0000${container ?? ""}` : undefined;
}

/** The first time in [from, to] a counter grew: its rate above zero, or a raw sample above the one before. */
function firstIncrease(s: Series, from: number, to: number): number | undefined {
  for (let i = 1; i < s.t.length && s.t[i] <= to; i++) {
    if (s.t[i] < from) continue;
    // Read raw, any step counts: a drop is a reset, after which it counted again.
    const grew = s.unit === "per second" ? s.v[i] > 0 : Number.isFinite(s.v[i]) && s.v[i] !== s.v[i - 1];
    if (grew) return s.t[i];
  }
  return undefined;
}

/**
 * A container's OOM kills in [from, to]: its restarts while its last termination reads OOMKilled, or
 * cAdvisor's OOM events, whichever counted more (they record the same kills).
 */
function containerKills(series: Series[], from: number, to: number): Kills {
  const reason = series.find((s) => s.metric === OOM_REASON && s.labels.reason === "OOMKilled");
  const restarts = series.find((s) => s.metric === RESTARTS);
  const events = series.find((s) => s.metric === OOM_EVENTS);
  let count = 0;
  let first: number | undefined;
  if (reason && restarts && (peakIn(reason, from, to)?.value ?? 0) > 0) {
    count = Math.round(increaseIn(restarts, from, to));
    first = count > 0 ? firstIncrease(restarts, from, to) : undefined;
  }
  if (events) {
    const oom = Math.round(increaseIn(events, from, to));
    if (oom > count) {
      count = oom;
      first = firstIncrease(events, from, to);
    }
  }
  return { count, first };
}

/** OOM kills `kubectl get pods` recorded: each container's last termination, when the kernel killed it. */
function objectKills(c: Case, from: number, to: number): Map<string, number[]> {
  const byEntity = new Map<string, number[]>();
  for (const o of c.objects) {
    if (o.kind !== "Pod") continue;
    const statuses = (o.status as { containerStatuses?: unknown } | undefined)?.containerStatuses;
    if (!Array.isArray(statuses)) continue;
    for (const status of statuses) {
      const terminated = (status as { lastState?: { terminated?: { reason?: unknown; finishedAt?: unknown } } })
        ?.lastState?.terminated;
      if (terminated?.reason !== "OOMKilled" || typeof terminated.finishedAt !== "string") continue;
      const t = Date.parse(terminated.finishedAt) / 1000;
      if (!(t >= from && t <= to)) continue;
      const list = byEntity.get(o.entity) ?? [];
      list.push(t);
      byEntity.set(o.entity, list);
    }
  }
  return byEntity;
}

/** The highest working set against its container's limit in [from, to], where a limit is set. */
function peakAgainstLimit(c: Case, entity: string, from: number, to: number) {
  let best: { used: number; limit: number } | undefined;
  const limits = LIMITS.flatMap(({ metric, labels }) =>
    seriesNamed(c, metric, labels).filter((s) => s.entity === entity),
  );
  for (const used of c.series.filter((s) => s.entity === entity && s.metric === WORKING_SET)) {
    const limitSeries = limits.find((l) => containerKey(l) === containerKey(used));
    const peak = peakIn(used, from, to);
    const limit = limitSeries ? valueAt(limitSeries, peak?.t ?? to) : undefined;
    if (!peak || !limit || limit <= 0) continue;
    if (!best || peak.value / limit > best.used / best.limit) best = { used: peak.value, limit };
  }
  return best;
}

export function detectMemoryLimits(c: Case, span: ResourceSpan, nextId: () => string): Evidence[] {
  const relevant = c.series.filter((s) => s.metric === OOM_REASON || s.metric === RESTARTS || s.metric === OOM_EVENTS);
  const byContainer = groupBy(relevant, containerKey);
  const incident = new Map<string, Kills>();
  const before = new Map<string, number>();
  for (const [key, series] of byContainer) {
    const entity = key.slice(0, key.indexOf("\u0000"));
    const now = containerKills(series, span.from, span.to);
    const earlier = containerKills(series, span.referenceStart, span.referenceEnd);
    const sum = incident.get(entity) ?? { count: 0 };
    incident.set(entity, {
      count: sum.count + now.count,
      first: Math.min(sum.first ?? Number.POSITIVE_INFINITY, now.first ?? Number.POSITIVE_INFINITY),
    });
    before.set(entity, (before.get(entity) ?? 0) + earlier.count);
  }
  // kubectl's snapshot holds only each container's last termination: it adds a kill the metrics lack.
  for (const [entity, times] of objectKills(c, span.from, span.to)) {
    const sum = incident.get(entity) ?? { count: 0 };
    if (sum.count === 0) incident.set(entity, { count: times.length, first: Math.min(...times) });
  }
  const out: Evidence[] = [];
  for (const [entity, kills] of incident) {
    if (kills.count === 0 || kills.first === undefined || !Number.isFinite(kills.first)) continue;
    const earlier = before.get(entity) ?? 0;
    const atLimit = peakAgainstLimit(c, entity, span.referenceStart, span.to);
    const limitText = atLimit
      ? `, its working set reaching ${formatQuantity(atLimit.used, "bytes")} of a ${formatQuantity(atLimit.limit, "bytes")} limit`
      : "";
    const facts: Record<string, number | string> = {
      kills: kills.count,
      killsBefore: earlier,
      since: toIso(kills.first),
    };
    if (atLimit) Object.assign(facts, { used: atLimit.used, limit: atLimit.limit });
    out.push({
      id: nextId(),
      entity,
      signal: "containers OOMKilled at their memory limit",
      type: "limit",
      family: "memory",
      check: "container.memory-oom-killed",
      start: kills.first,
      strength: earlier === 0 ? NEW_KILLS_STRENGTH : CHRONIC_KILLS_STRENGTH,
      detail: `its containers were OOMKilled ${kills.count} time${kills.count === 1 ? "" : "s"} since ${toIso(kills.first)}${limitText}${earlier > 0 ? `; ${earlier} before the incident too` : ", none before"}`,
      excerpt: `last terminated: OOMKilled (exit 137), ${kills.count} restart${kills.count === 1 ? "" : "s"} from ${toIso(kills.first)}`,
      value: atLimit?.used,
      limit: atLimit?.limit,
      unit: atLimit ? "bytes" : undefined,
      facts,
    });
  }
  return out;
}
