/**
 * Database connections against `max_connections`, and who holds them (catalogue: db.connection-hoarding).
 * Reads mysqld_exporter and postgres_exporter names; holders from the server's processlist split by user
 * or client address (mapped to workloads through pod IPs) and from the clients' own pool gauges.
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
import type { Evidence } from "./types.js";

/** At this share of max_connections the next connect is refused (reserved slots aside). */
export const AT_LIMIT_SHARE = 0.95;

/** The words of one database technology's exporter. */
interface DatabaseNames {
  technology: string;
  used: string;
  limit: string;
  refused?: { metric: string; labels: Record<string, string> };
  /** Server-side split of connections by client: metric and the label that names the client. */
  byUser?: { metric: string; label: string };
  byHost?: { metric: string; label: string };
  /** Connections doing nothing (Sleep / idle), server side. */
  idle?: { metric: string; labels: Record<string, string> };
}

const DATABASES: DatabaseNames[] = [
  {
    technology: "MySQL",
    used: "mysql_global_status_threads_connected",
    limit: "mysql_global_variables_max_connections",
    refused: { metric: "mysql_global_status_connection_errors_total", labels: { error: "max_connections" } },
    byUser: { metric: "mysql_info_schema_processlist_processes_by_user", label: "mysql_user" },
    byHost: { metric: "mysql_info_schema_processlist_processes_by_host", label: "client_host" },
    idle: { metric: "mysql_info_schema_processlist_threads", labels: { command: "sleep" } },
  },
  {
    technology: "PostgreSQL",
    used: "pg_stat_activity_count",
    limit: "pg_settings_max_connections",
    byUser: { metric: "pg_stat_activity_count", label: "usename" },
    byHost: { metric: "pg_stat_activity_count", label: "client_addr" },
    idle: { metric: "pg_stat_activity_count", labels: { state: "idle" } },
  },
];

/** Client-side pool gauges: connections a pool holds, and how many of them are idle. */
const CLIENT_POOLS = [
  { held: "hikaricp_connections", idle: "hikaricp_connections_idle" },
  { held: "ruby_active_record_connection_pool_connections", idle: "ruby_active_record_connection_pool_idle" },
  { held: "db_client_connections_usage", idle: "db_client_connections_idle" },
];

export interface Holder {
  entity: string;
  held: number;
  reference: number;
  idle?: number;
}

/** Maps a database user name to a workload: the entity of that name, when the Case has one. */
function workloadOfUser(c: Case, user: string): string | undefined {
  const id = `service:${user}`;
  return c.entities.has(id) ? id : undefined;
}

/** Holders at `t` from one server-side split, mapped to workloads; unmapped clients stay as they are named. */
function holdersFromSplit(
  series: Series[],
  label: string,
  mapName: (name: string) => string | undefined,
  t: number,
  span: ResourceSpan,
): Holder[] {
  const byClient = groupBy(series, (s) => {
    const name = s.labels[label];
    return name ? (mapName(name) ?? `client:${name}`) : undefined;
  });
  return [...byClient].map(([entity, list]) => ({
    entity,
    held: sumAt(list, t),
    reference: sumOfMedians(list, span.referenceStart, span.referenceEnd),
  }));
}

function holdersFromPools(c: Case, t: number, span: ResourceSpan): Holder[] {
  const holders: Holder[] = [];
  for (const pool of CLIENT_POOLS) {
    for (const [entity, list] of groupBy(seriesNamed(c, pool.held), (s) => s.entity)) {
      const idle = c.series.filter((s) => s.metric === pool.idle && s.entity === entity);
      holders.push({
        entity,
        held: sumAt(list, t),
        reference: sumOfMedians(list, span.referenceStart, span.referenceEnd),
        idle: idle.length > 0 ? sumAt(idle, t) : undefined,
      });
    }
  }
  return holders;
}

/** The server-side or client-side split that accounts for most of the connections at `t`. */
function bestHolders(
  c: Case,
  names: DatabaseNames,
  entity: string,
  topology: Topology,
  t: number,
  used: number,
  span: ResourceSpan,
): Holder[] {
  const own = (metric: string) => c.series.filter((s) => s.metric === metric && s.entity === entity);
  const splits: Holder[][] = [holdersFromPools(c, t, span)];
  if (names.byUser)
    splits.push(holdersFromSplit(own(names.byUser.metric), names.byUser.label, (u) => workloadOfUser(c, u), t, span));
  if (names.byHost)
    splits.push(
      holdersFromSplit(own(names.byHost.metric), names.byHost.label, (ip) => topology.workloadByIp.get(ip), t, span),
    );
  const coverage = (holders: Holder[]) =>
    Math.min(
      used,
      holders.reduce((sum, h) => sum + (h.entity.startsWith("client:") ? 0 : h.held), 0),
    );
  const best = splits.sort((a, b) => coverage(b) - coverage(a))[0];
  return best.filter((h) => h.held > 0).sort((a, b) => b.held - a.held);
}

export function detectDbConnections(c: Case, topology: Topology, span: ResourceSpan, nextId: () => string): Evidence[] {
  const out: Evidence[] = [];
  for (const names of DATABASES) {
    for (const [entity, usedSeries] of groupBy(seriesNamed(c, names.used), (s) => s.entity)) {
      const limitSeries = c.series.filter((s) => s.metric === names.limit && s.entity === entity);
      if (limitSeries.length === 0) continue;
      const times = unionTimes(usedSeries, span.from, span.to);
      let peak = { used: 0, limit: 0, t: Number.NaN };
      let since: number | undefined;
      for (const t of times) {
        const used = sumAt(usedSeries, t);
        const limit = Math.max(...limitSeries.map((s) => valueAt(s, t) ?? 0));
        if (limit <= 0) continue;
        if (since === undefined && used >= AT_LIMIT_SHARE * limit) since = t;
        if (used / limit > peak.used / (peak.limit || 1)) peak = { used, limit, t };
      }
      if (since === undefined || !Number.isFinite(peak.t)) continue;
      const refused = names.refused
        ? seriesNamed(c, names.refused.metric, names.refused.labels).filter((s) => s.entity === entity)
        : [];
      const refusals = refused.reduce((sum, s) => sum + countIn(s, since as number, span.to), 0);
      const running = c.series.filter((s) => s.metric === "mysql_global_status_threads_running" && s.entity === entity);
      const idleServer = names.idle
        ? seriesNamed(c, names.idle.metric, names.idle.labels).filter((s) => s.entity === entity)
        : [];
      const facts: Record<string, number | string> = {
        technology: names.technology,
        used: peak.used,
        limit: peak.limit,
        since: toIso(since),
      };
      if (refusals > 0) facts.refused = Math.round(refusals);
      if (running.length > 0) facts.running = sumAt(running, since);
      if (idleServer.length > 0) facts.idle = sumAt(idleServer, since);
      out.push({
        id: nextId(),
        entity,
        signal: `${names.used} / ${names.limit}`,
        type: "limit",
        family: "resource",
        check: "db.connections-at-limit",
        start: since,
        strength: 0.97,
        detail: `${names.technology} connections reached ${formatValue(peak.used)} of ${formatValue(peak.limit)} (max_connections)${refusals > 0 ? `; ${Math.round(refusals)} connections refused` : ""}`,
        excerpt: `${names.used} ${formatValue(peak.used)} vs ${names.limit} ${formatValue(peak.limit)} since ${toIso(since)}`,
        value: peak.used,
        limit: peak.limit,
        unit: "connections",
        series: { metric: names.used, labels: usedSeries[0].labels },
        facts,
      });
      const holders = bestHolders(c, names, entity, topology, since, peak.used, span);
      const totalGrowth = holders.reduce((sum, h) => sum + Math.max(0, h.held - h.reference), 0);
      for (const found of holders.slice(0, 3)) {
        if (found.entity.startsWith("client:")) continue;
        // A client's pool can count a few connections the server has already refused or closed.
        const h = { ...found, held: Math.min(found.held, peak.used) };
        const share = h.held / Math.max(peak.used, 1);
        const growthShare = totalGrowth > 0 ? Math.max(0, h.held - h.reference) / totalGrowth : 0;
        const holderFacts: Record<string, number | string> = {
          held: h.held,
          reference: h.reference,
          share,
          growthShare,
          database: entity,
        };
        if (h.idle !== undefined) holderFacts.idleShare = h.idle / Math.max(h.held, 1);
        out.push({
          id: nextId(),
          entity: h.entity,
          about: entity,
          signal: `connections held on ${entity}`,
          type: "limit",
          family: "resource",
          check: "db.connections-holder",
          start: since,
          strength: Math.max(share, growthShare),
          detail: `holds ${formatValue(h.held)} of ${entity}'s ${formatValue(peak.used)} connections (${Math.round(share * 100)}%, ${formatValue(h.reference)} at the start)${h.idle !== undefined ? `, ${formatValue(h.idle)} idle` : ""}`,
          excerpt: `${formatValue(h.held)} held at ${toIso(since)}, ${formatValue(h.reference)} before`,
          value: h.held,
          baseline: h.reference,
          limit: peak.limit,
          unit: "connections",
          facts: holderFacts,
        });
      }
    }
  }
  return out;
}
