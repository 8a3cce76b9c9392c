/**
 * A message broker against its memory limit, and who opened its connections (catalogue:
 * broker.connection-storm). Reads rabbitmq_prometheus names; the clients behind the connections from
 * series that carry a source workload on the way to the broker (a service mesh's TCP metrics), from
 * the gauges clients export of the connections they hold (Micrometer's RabbitMQ binder), and
 * workloads that did not exist at the start of the recording.
 */
import type { Case, Series } from "../case/model.js";
import { toIso } from "../case/time.js";
import type { Topology } from "../case/topology.js";
import { formatValue } from "./format.js";
import {
  countIn,
  groupBy,
  type ResourceSpan,
  seriesNamed,
  sumAt,
  sumOfMedians,
  unionTimes,
  valueAt,
} from "./resourceSeries.js";
import { median } from "./robust.js";
import type { Evidence } from "./types.js";

/** RabbitMQ blocks publishers at its watermark; at this share of it memory is as good as there. */
export const NEAR_WATERMARK_SHARE = 0.9;
/** A source of connections counts as a storm when it opened at least this share of all new connections. */
const STORM_SHARE = 0.5;

/** Labels a mesh or flow exporter uses to name the client workload of a connection. */
const SOURCE_LABELS = ["source_workload", "source_app", "src_workload"];
/**
 * Gauges in which a client reports the connections it holds to its broker: Micrometer's RabbitMQ
 * binder (`rabbitmq.connections`) as Prometheus names it. The broker's own series share the name and
 * are told apart by their entity.
 */
const CLIENT_HELD_GAUGES = ["rabbitmq_connections"];

interface ConnectionSource {
  entity: string;
  /** Connections it opened in the incident (counted from a mesh's counter, or added to what it held). */
  opened: number;
  /** What it did in the reference: connections opened per second, or connections held. */
  referenceRate: number;
  firstSeen: number;
  /** Its namespace, where its series carry one. */
  namespace?: string;
}

interface BrokerState {
  memory: number;
  limit: number;
  alarmSince?: number;
  since?: number;
  connections: number;
  referenceConnections: number;
}

function brokerState(c: Case, entity: string, span: ResourceSpan): BrokerState | undefined {
  const own = (metric: string) => c.series.filter((s) => s.metric === metric && s.entity === entity);
  const memory = own("rabbitmq_process_resident_memory_bytes");
  const limits = own("rabbitmq_resident_memory_limit_bytes");
  const alarm = own("rabbitmq_alarms_memory_used_watermark");
  const connections = own("rabbitmq_connections");
  if (memory.length === 0 && alarm.length === 0) return undefined;
  const state: BrokerState = { memory: 0, limit: 0, connections: 0, referenceConnections: 0 };
  for (const t of unionTimes([...memory, ...alarm], span.from, span.to)) {
    // Per broker node: the worst node's memory share decides (each node raises its own alarm).
    for (const m of memory) {
      const used = valueAt(m, t) ?? 0;
      const limit = limits.find((l) => l.labels.pod === m.labels.pod);
      const cap = limit ? (valueAt(limit, t) ?? 0) : 0;
      if (cap > 0 && used / cap > state.memory / (state.limit || Number.POSITIVE_INFINITY)) {
        state.memory = used;
        state.limit = cap;
      }
      if (cap > 0 && state.since === undefined && used >= NEAR_WATERMARK_SHARE * cap) state.since = t;
    }
    if (state.alarmSince === undefined && alarm.some((a) => (valueAt(a, t) ?? 0) >= 1)) state.alarmSince = t;
    state.connections = Math.max(state.connections, sumAt(connections, t));
  }
  state.referenceConnections = sumOfMedians(connections, span.referenceStart, span.referenceEnd);
  return state;
}

/** Connections opened toward the broker per client workload, in the incident and at the start. */
function connectionSources(c: Case, broker: string, span: ResourceSpan): ConnectionSource[] {
  const opened = c.series.filter(
    (s: Series) => s.entity === broker && /connections_opened/.test(s.metric) && SOURCE_LABELS.some((l) => s.labels[l]),
  );
  const bySource = groupBy(opened, (s) => {
    const label = SOURCE_LABELS.find((l) => s.labels[l]) as string;
    return `service:${s.labels[label]}`;
  });
  const referenceSeconds = Math.max(1, span.referenceEnd - span.referenceStart);
  return [...bySource].map(([entity, list]) => {
    const first = Math.min(...list.map((s) => s.t[0] ?? Number.POSITIVE_INFINITY));
    return {
      entity,
      opened: list.reduce((sum, s) => sum + countIn(s, span.from, span.to), 0),
      referenceRate:
        list.reduce((sum, s) => sum + countIn(s, span.referenceStart, span.referenceEnd), 0) / referenceSeconds,
      firstSeen: first,
    };
  });
}

/**
 * Connections each client workload added to those it held, from the gauges clients export. The gauges
 * do not name the broker, so they count only in a case with one broker. A client absent for part of
 * the reference held none then: a batch that started minutes before the alert has a reference of 0.
 */
function clientHeldSources(c: Case, brokers: Set<string>, span: ResourceSpan): ConnectionSource[] {
  if (brokers.size !== 1) return [];
  const held = c.series.filter((s) => CLIENT_HELD_GAUGES.includes(s.metric) && !brokers.has(s.entity));
  const referenceTimes = unionTimes(held, span.referenceStart, span.referenceEnd);
  return [...groupBy(held, (s) => s.entity)].map(([entity, list]) => {
    let peak = 0;
    for (const t of unionTimes(list, span.from, span.to)) peak = Math.max(peak, sumAt(list, t));
    const reference = referenceTimes.length > 0 ? median(referenceTimes.map((t) => sumAt(list, t))) : 0;
    return {
      entity,
      opened: Math.max(0, peak - reference),
      referenceRate: reference,
      firstSeen: Math.min(...list.map((s) => s.t[0] ?? Number.POSITIVE_INFINITY)),
      namespace: list.find((s) => s.labels.namespace)?.labels.namespace,
    };
  });
}

export function detectBrokerStorm(c: Case, topology: Topology, span: ResourceSpan, nextId: () => string): Evidence[] {
  const out: Evidence[] = [];
  const brokers = new Set(seriesNamed(c, "rabbitmq_process_resident_memory_bytes").map((s) => s.entity));
  for (const s of seriesNamed(c, "rabbitmq_alarms_memory_used_watermark")) brokers.add(s.entity);
  for (const broker of brokers) {
    const state = brokerState(c, broker, span);
    if (!state) continue;
    const since = state.alarmSince ?? state.since;
    if (since === undefined) continue;
    const share = state.limit > 0 ? state.memory / state.limit : 1;
    out.push({
      id: nextId(),
      entity: broker,
      signal: "rabbitmq_process_resident_memory_bytes / rabbitmq_resident_memory_limit_bytes",
      type: "limit",
      family: "resource",
      check: "broker.memory-at-watermark",
      start: since,
      strength: state.alarmSince !== undefined ? 0.97 : 0.8,
      detail: `broker memory reached ${Math.round(share * 100)}% of its high watermark${state.alarmSince !== undefined ? "; the memory alarm blocked every publisher" : ""}; connections ${formatValue(state.referenceConnections)} → ${formatValue(state.connections)}`,
      excerpt: `${formatValue(state.memory)} bytes of ${formatValue(state.limit)} allowed${state.alarmSince !== undefined ? `, rabbitmq_alarms_memory_used_watermark = 1 since ${toIso(state.alarmSince)}` : ""}`,
      value: state.memory,
      limit: state.limit,
      unit: "bytes",
      series: { metric: "rabbitmq_process_resident_memory_bytes", labels: {} },
      facts: {
        memory: state.memory,
        limit: state.limit,
        connections: state.connections,
        referenceConnections: state.referenceConnections,
        alarm: state.alarmSince !== undefined ? toIso(state.alarmSince) : "",
      },
    });
    const sources = [...connectionSources(c, broker, span), ...clientHeldSources(c, brokers, span)];
    const total = sources.reduce((sum, s) => sum + s.opened, 0);
    for (const source of sources.sort((a, b) => b.opened - a.opened).slice(0, 3)) {
      const shareOpened = total > 0 ? source.opened / total : 0;
      const isNew = source.firstSeen >= span.referenceEnd || source.referenceRate === 0;
      const pods = [...topology.pods.values()].filter((p) => p.workload === source.entity).length;
      if (shareOpened < STORM_SHARE && !isNew) continue;
      out.push({
        id: nextId(),
        entity: source.entity,
        about: broker,
        signal: `connections opened to ${broker}`,
        type: "limit",
        family: "resource",
        check: "broker.connections-source",
        start: Math.max(source.firstSeen, span.from),
        strength: Math.max(shareOpened, isNew ? 0.6 : 0),
        detail: `opened ${formatValue(source.opened)} of the ${formatValue(total)} connections to ${broker} (${Math.round(shareOpened * 100)}%)${isNew ? ", and did not connect at all before" : ""}${pods > 0 ? ` from ${pods} pods` : ""}`,
        excerpt: `${formatValue(source.opened)} connections opened since ${toIso(span.from)}`,
        value: source.opened,
        baseline: source.referenceRate,
        unit: "connections",
        facts: {
          opened: source.opened,
          share: shareOpened,
          new: isNew ? 1 : 0,
          pods,
          broker,
          ...(source.namespace ? { namespace: source.namespace } : {}),
        },
      });
    }
  }
  return out;
}
