/**
 * Work that stopped with no error (catalogue: client.no-timeout): a workload's throughput falls to
 * near zero while its errors stay flat and its backlog grows — threads blocked on connections that will
 * never answer.
 */
import type { Case, Series } from "../case/model.js";
import { formatValue } from "./format.js";
import { groupBy, type ResourceSpan, sumOfMedians } from "./resourceSeries.js";
import type { Evidence } from "./types.js";

/** Throughput counters (after the Case turned them into rates): jobs and requests done. */
const DONE =
  /(jobs|requests|messages|tasks)_(total|processed_total|completed_total)$|_requests_seconds_count$|_duration_seconds_count$/;
const FAILED = /(error|fail|exception)/i;
const BACKLOG = /(backlog|queue_(size|length|depth|latency)|messages_ready|waiting)/;
/** Work at this share of its usual rate or below has stopped, not slowed. */
const SILENT_SHARE = 0.2;
/** Judged over the end of the span: a stall that lasts, not a dip. */
const STALL_SECONDS = 300;
/** Busy threads against the thread count: all of them busy is a pool that cannot take more work. */
const BUSY = /_busy$|_threads_busy$|_active_threads$/;
const CAPACITY = /_concurrency$|_max_threads$|_threads_max$/;
/** Every thread busy... */
const ALL_BUSY_SHARE = 0.9;
/** ...while the process burns at most this share of its usual CPU: the threads are waiting, not working. */
const WAITING_CPU_SHARE = 0.6;

/** All threads busy while CPU fell and the backlog grew: work blocked on something that never answers. */
function blockedThreads(entity: string, list: Series[], span: ResourceSpan, stallFrom: number, nextId: () => string) {
  const busy = list.filter((s) => BUSY.test(s.metric));
  const capacity = list.filter((s) => CAPACITY.test(s.metric));
  const cpu = list.filter(
    (s) => s.metric === "container_cpu_usage_seconds_total" || s.metric === "process_cpu_seconds_total",
  );
  const backlog = list.filter((s) => BACKLOG.test(s.metric));
  if (busy.length === 0 || capacity.length === 0 || cpu.length === 0 || backlog.length === 0) return undefined;
  const busyNow = sumOfMedians(busy, stallFrom, span.to);
  const capacityNow = sumOfMedians(capacity, stallFrom, span.to);
  const busyBefore = sumOfMedians(busy, span.referenceStart, span.referenceEnd);
  const capacityBefore = sumOfMedians(capacity, span.referenceStart, span.referenceEnd);
  const cpuBefore = sumOfMedians(cpu, span.referenceStart, span.referenceEnd);
  const cpuNow = sumOfMedians(cpu, stallFrom, span.to);
  const backlogBefore = sumOfMedians(backlog, span.referenceStart, span.referenceEnd);
  const backlogNow = sumOfMedians(backlog, stallFrom, span.to);
  if (!(capacityNow > 0) || busyNow < ALL_BUSY_SHARE * capacityNow) return undefined;
  if (busyBefore >= ALL_BUSY_SHARE * capacityBefore || !(cpuBefore > 0) || cpuNow > WAITING_CPU_SHARE * cpuBefore)
    return undefined;
  if (!(backlogNow > backlogBefore)) return undefined;
  return {
    id: nextId(),
    entity,
    signal: busy[0].metric,
    type: "silence",
    family: "throughput",
    check: "work.stalled-silently",
    start: stallFrom,
    strength: 0.85,
    detail: `all ${formatValue(capacityNow)} worker threads busy (${formatValue(busyBefore)} before) while CPU fell from ${formatValue(cpuBefore)} to ${formatValue(cpuNow)} cores and the backlog grew ${formatValue(backlogBefore)} → ${formatValue(backlogNow)}: threads waiting on something that never answers`,
    excerpt: `${busy[0].metric} ${formatValue(busyNow)} of ${formatValue(capacityNow)}; ${backlog[0].metric} ${formatValue(backlogNow)}`,
    value: busyNow,
    baseline: busyBefore,
    limit: capacityNow,
    unit: "threads",
    series: { metric: backlog[0].metric, labels: backlog[0].labels },
    facts: { busy: busyNow, threads: capacityNow, cpuBefore, cpuNow, backlogBefore, backlogNow },
  } satisfies Evidence;
}

export function detectSilence(c: Case, span: ResourceSpan, nextId: () => string): Evidence[] {
  const out: Evidence[] = [];
  const stallFrom = Math.max(span.from, span.to - STALL_SECONDS);
  for (const [entity, list] of groupBy(c.series, (s) => (s.entity.startsWith("service:") ? s.entity : undefined))) {
    const blocked = blockedThreads(entity, list, span, stallFrom, nextId);
    if (blocked) {
      out.push(blocked);
      continue;
    }
    const done = list.filter(
      (s) => DONE.test(s.metric) && !FAILED.test(s.metric) && !FAILED.test(Object.values(s.labels).join(" ")),
    );
    if (done.length === 0) continue;
    const before = sumOfMedians(done, span.referenceStart, span.referenceEnd);
    const now = sumOfMedians(done, stallFrom, span.to);
    if (!(before > 0) || now > SILENT_SHARE * before) continue;
    const failed = list.filter((s) => FAILED.test(s.metric));
    const failedBefore = sumOfMedians(failed, span.referenceStart, span.referenceEnd);
    const failedNow = sumOfMedians(failed, stallFrom, span.to);
    if (failedNow > 2 * failedBefore + 0.05 * before) continue;
    const backlog = list.filter((s) => BACKLOG.test(s.metric));
    const backlogBefore = sumOfMedians(backlog, span.referenceStart, span.referenceEnd);
    const backlogNow = sumOfMedians(backlog, stallFrom, span.to);
    out.push({
      id: nextId(),
      entity,
      signal: done[0].metric,
      type: "silence",
      family: "throughput",
      check: "work.stalled-silently",
      start: stallFrom,
      strength: 0.8,
      detail: `work done fell from ${formatValue(before)}/s to ${formatValue(now)}/s with no rise in errors${backlog.length > 0 ? `; backlog ${formatValue(backlogBefore)} → ${formatValue(backlogNow)}` : ""}`,
      excerpt: `${done[0].metric} ${formatValue(before)}/s → ${formatValue(now)}/s`,
      value: now,
      baseline: before,
      unit: "per second",
      series: { metric: done[0].metric, labels: done[0].labels },
      facts: { before, now, backlogBefore, backlogNow },
    });
  }
  return out;
}
