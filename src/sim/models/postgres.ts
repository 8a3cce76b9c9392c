/**
 * A PostgreSQL server (RDS) behind connection poolers, as postgres_exporter and its log show it:
 * backends per client host (each pooler pod is one host), what they are doing, and what happens to the
 * backends of a client host that vanished without closing them — they sit idle (or idle in
 * transaction) until TCP keepalive gives up on the peer, and then the server logs the lost client.
 */
import type { Spec } from "../spec.js";
import type { LogSource } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";

/** PostgreSQL's default max_connections (postgresql.conf). */
const DEFAULT_MAX_CONNECTIONS = 100;
/**
 * tcp_keepalives_* of 0 mean the kernel's: 7200 s idle, then 9 probes 75 s apart (Linux defaults), so
 * a silent peer is given up on after 2 h 11 min.
 */
const KERNEL_KEEPALIVE_IDLE = 7200;
const KERNEL_KEEPALIVE_INTERVAL = 75;
const KERNEL_KEEPALIVE_COUNT = 9;
/** postgres_exporter holds one connection of its own while it scrapes. */
const EXPORTER_CONNECTIONS = 1;

/** What one client host (a pooler pod) has open on the server this tick. */
export interface HostBackends {
  /** Server connections open. */
  conns: number;
  /** Of those, inside a transaction now (pgbouncer in transaction mode links only those). */
  inTransaction: number;
  /** Transactions committed this tick. */
  xacts: number;
}

interface Host extends HostBackends {
  lastHeard: number;
  port: number;
}

export class PostgresServer implements Model {
  /** After the poolers (datastore phase) that report their backends to it each tick. */
  readonly phase = PHASE.datastore + 1;
  private readonly hosts = new Map<string, Host>();
  private readonly job: string;
  readonly database: string;
  /** The application's role, which the poolers log in as. */
  readonly user: string;
  private rollbacks = 0;
  private commits = 0;
  private pid = 20000;
  private hostsSeen = 0;

  constructor(
    readonly name: string,
    private readonly spec: Spec,
    private readonly world: World,
  ) {
    this.job = spec.str("job", name);
    this.database = spec.str("database", "app_production");
    this.user = spec.str("user", "app");
    this.maxConnections();
  }

  maxConnections(): number {
    return this.spec.num("maxConnections", DEFAULT_MAX_CONNECTIONS);
  }

  /** Seconds a silent client host keeps its backends: keepalive idle time plus the unanswered probes. */
  private silenceTolerated(): number {
    const idle = this.spec.seconds("tcpKeepalivesIdle", KERNEL_KEEPALIVE_IDLE);
    const interval = this.spec.seconds("tcpKeepalivesInterval", KERNEL_KEEPALIVE_INTERVAL);
    return idle + interval * this.spec.num("tcpKeepalivesCount", KERNEL_KEEPALIVE_COUNT);
  }

  /** A pooler pod reports its backends this tick (each pod is one client host). */
  report(host: string, backends: HostBackends, t: number): void {
    const prior = this.hosts.get(host);
    this.commits += backends.xacts;
    this.hosts.set(host, {
      ...backends,
      lastHeard: t,
      port: prior?.port ?? 32768 + ((this.hostsSeen++ * 1031) % 28000),
    });
  }

  /** A pooler closed its server connections cleanly (Terminate message): nothing is logged by default. */
  close(host: string): void {
    this.hosts.delete(host);
  }

  private source(): LogSource {
    return {
      workload: this.name,
      namespace: this.spec.str("namespace", "rds"),
      pod: this.spec.str("instanceId", `${this.name}-1`),
      container: "postgres",
    };
  }

  /** RDS's log_line_prefix `%t:%r:%u@%d:[%p]:` (the time is the record's own). */
  private logLost(host: string, port: number, text: string, t: number): void {
    const line = `${host}(${port}):${this.user}@${this.database}:[${this.pid++}]:LOG:  ${text}`;
    this.world.logs.line({ t, level: "INFO", message: line, source: this.source() });
  }

  /** Hosts silent longer than keepalive tolerates: their backends are reaped and logged, one line each. */
  private reapSilent(t: number): void {
    for (const [host, h] of this.hosts) {
      if (h.lastHeard >= t || t - h.lastHeard < this.silenceTolerated()) continue;
      for (let i = 0; i < h.conns; i++) {
        const inTx = i < h.inTransaction;
        const text = inTx
          ? "unexpected EOF on client connection with an open transaction"
          : "could not receive data from client: Connection reset by peer";
        this.logLost(host, h.port + i, text, t + (i % 10) * 0.01);
      }
      this.rollbacks += Math.round(h.inTransaction);
      this.hosts.delete(host);
    }
  }

  observe(tick: Tick): void {
    const t = tick.t;
    this.reapSilent(t);
    let active = 0;
    let idleInTx = 0;
    let idle = 0;
    let oldestSilentTx = 0;
    for (const h of this.hosts.values()) {
      if (h.lastHeard >= t) {
        active += h.inTransaction;
        idle += h.conns - h.inTransaction;
        continue;
      }
      // A silent host's last transactions never finish: their backends wait idle in transaction.
      idleInTx += h.inTransaction;
      idle += h.conns - h.inTransaction;
      if (h.inTransaction > 0) oldestSilentTx = Math.max(oldestSilentTx, t - h.lastHeard);
    }
    const m = this.world.metrics;
    const db = { datname: this.database };
    m.get(this.job, "pg_up", {}).set(1);
    m.get(this.job, "pg_settings_max_connections", {}).set(this.maxConnections());
    m.get(this.job, "pg_stat_database_numbackends", db).set(active + idleInTx + idle + EXPORTER_CONNECTIONS);
    m.get(this.job, "pg_stat_database_xact_commit", db).set(Math.round(this.commits));
    m.get(this.job, "pg_stat_database_xact_rollback", db).set(this.rollbacks);
    m.get(this.job, "pg_stat_activity_count", { ...db, state: "active" }).set(
      Math.round(active) + EXPORTER_CONNECTIONS,
    );
    m.get(this.job, "pg_stat_activity_count", { ...db, state: "idle" }).set(Math.round(idle));
    m.get(this.job, "pg_stat_activity_count", { ...db, state: "idle in transaction" }).set(Math.round(idleInTx));
    m.get(this.job, "pg_stat_activity_max_tx_duration", { ...db, state: "idle in transaction" }).set(oldestSilentTx);
  }
}

export function createPostgres(name: string, spec: Spec, world: World): PostgresServer {
  return new PostgresServer(name, spec, world);
}
