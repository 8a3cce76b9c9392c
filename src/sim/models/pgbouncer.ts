/**
 * PgBouncer as a Deployment in front of PostgreSQL, in transaction pooling mode: clients connect
 * through the Service (kube-proxy picks a ready endpoint per connection, and the connection stays
 * there), each pod keeps its own server connections, and pgbouncer_exporter runs beside it. A pod
 * stopped gracefully runs its preStop hook (SIGINT: finish transactions, then exit and close every
 * client); a pod whose node vanished simply stops answering — its clients are not told.
 */
import type { Rng } from "../rng.js";
import { ScenarioError } from "../scenario.js";
import type { Spec } from "../spec.js";
import type { LogSource } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import { type Cluster, logSourceOf, type Pod, resourcesFromSpec, type Workload, zeroUsage } from "./cluster.js";
import { PostgresServer } from "./postgres.js";

/** pgbouncer's defaults (pgbouncer.ini docs): default_pool_size 20, max_client_conn 100, stats every 60 s. */
const DEFAULT_POOL_SIZE = 20;
const DEFAULT_MAX_CLIENT_CONN = 100;
const STATS_PERIOD = 60;
/** server_idle_timeout default: server connections unused this long are closed. */
const SERVER_IDLE_TIMEOUT = 600;
/** Seconds from SIGINT until the last transaction finishes and pgbouncer exits (short web/job transactions). */
const SIGINT_DRAIN_SECONDS = 1;
/** pgbouncer's own CPU: a fixed event loop plus tens of microseconds per query forwarded. */
const IDLE_CPU = 0.002;
const CPU_PER_QUERY = 2e-5;
const BASE_MEMORY = 12 * 2 ** 20;
const MEMORY_PER_CLIENT = 4096;
/** Bytes through pgbouncer per query, each way on average (small OLTP statements and rows). */
const BYTES_IN_PER_QUERY = 400;
const BYTES_OUT_PER_QUERY = 1500;

/** What a client sees of the pgbouncer pod its connection is bound to. */
export type Fate = { state: "up" } | { state: "closed" | "vanished"; at: number };

/** What the clients of one pgbouncer pod did this tick. */
export interface ClientLoad {
  /** Client connections bound to the pod. */
  clients: number;
  /** Of those, inside a transaction on a server connection. */
  active: number;
  queries: number;
  xacts: number;
}

interface Process {
  pod: Pod;
  state: "up" | "stopping" | "closed" | "vanished";
  /** When it stopped answering (closed, vanished), or will exit (stopping). */
  at: number;
  load: ClientLoad;
  logins: string[];
  serverConns: number;
  surplusSince: number;
  lastStats: number;
  sinceStats: { queries: number; xacts: number };
}

function emptyLoad(): ClientLoad {
  return { clients: 0, active: 0, queries: 0, xacts: 0 };
}

export class PgBouncer implements Model {
  readonly phase = PHASE.datastore;
  readonly workload: Workload;
  private readonly cluster: Cluster;
  private readonly processes = new Map<string, Process>();
  private readonly rng: Rng;
  /** The ClusterIP of the pgbouncer Service, as clients' connection errors name it. */
  readonly serviceIp: string;

  constructor(
    readonly name: string,
    private readonly spec: Spec,
    private readonly world: World,
  ) {
    this.rng = world.rng.fork(name);
    this.cluster = world.get<Cluster>("cluster", spec.path);
    this.serviceIp = `10.100.${Math.floor(this.rng.uniform(1, 255))}.${Math.floor(this.rng.uniform(2, 255))}`;
    const namespace = spec.str("namespace", "default");
    this.workload = this.cluster.workload(name, {
      kind: "Deployment",
      namespace,
      replicas: spec.num("replicas", 2),
      container: "pgbouncer",
      ...resourcesFromSpec(spec, {
        cpuRequest: 0.1,
        cpuLimit: 0.5,
        memoryRequest: 64 * 2 ** 20,
        memoryLimit: 128 * 2 ** 20,
      }),
      version: spec.str("version", "1.21.0"),
      image: spec.str("image", "edoburu/pgbouncer"),
      zones: spec.has("zones") ? spec.strings("zones") : undefined,
      stopSeconds: spec.seconds("preStop.sleep", 0) + SIGINT_DRAIN_SECONDS,
      onStop: (pod, how, t) => this.stopped(pod, how, t),
    });
  }

  /** The PostgreSQL server behind (looked up on use: components may be declared in any order). */
  private get server(): PostgresServer {
    const target = this.spec.str("target");
    const server = this.world.get(target, `${this.spec.path}.target`);
    if (!(server instanceof PostgresServer)) {
      throw new ScenarioError(`${this.spec.path}.target: ${target} is not a postgres component`);
    }
    return server;
  }

  private database(): string {
    return this.server.database;
  }

  private user(): string {
    return this.server.user;
  }

  /** The Service's DNS name. */
  serviceHost(): string {
    return `${this.name}.${this.workload.namespace}.svc.cluster.local`;
  }

  /** The Service's endpoints: pods the API says are ready (a pod on a vanished node stays one until NodeNotReady). */
  endpoints(): Pod[] {
    return this.workload.pods.filter((p) => p.ready && p.phase === "Running");
  }

  /**
   * A new client connection through the Service: kube-proxy's random pick; undefined when no endpoint
   * is ready. `opened` false for connections already open when the recording starts (no login logged).
   */
  connect(clientIp: string, opened = true): string | undefined {
    const endpoints = this.endpoints();
    if (endpoints.length === 0) return undefined;
    const pod = this.rng.pick(endpoints);
    const process = this.process(pod);
    if (process.state === "up" && opened) process.logins.push(clientIp);
    return pod.name;
  }

  /** How the pod a client connection is bound to is doing. */
  fate(podName: string): Fate {
    const p = this.processes.get(podName);
    if (!p) throw new Error(`${this.name}: no connection was ever made to ${podName}`);
    if (p.state === "closed" || p.state === "vanished") return { state: p.state, at: p.at };
    return { state: "up" };
  }

  /** A client's use of one pod this tick. */
  report(podName: string, load: ClientLoad): void {
    const p = this.processes.get(podName);
    if (!p || (p.state !== "up" && p.state !== "stopping")) return;
    p.load.clients += load.clients;
    p.load.active += load.active;
    p.load.queries += load.queries;
    p.load.xacts += load.xacts;
  }

  private process(pod: Pod): Process {
    let p = this.processes.get(pod.name);
    if (!p) {
      p = {
        pod,
        state: "up",
        at: Number.POSITIVE_INFINITY,
        load: emptyLoad(),
        logins: [],
        serverConns: 0,
        surplusSince: Number.NaN,
        lastStats: pod.started ?? pod.created,
        sinceStats: { queries: 0, xacts: 0 },
      };
      this.processes.set(pod.name, p);
    }
    return p;
  }

  private stopped(pod: Pod, how: "graceful" | "lost", t: number): void {
    const p = this.process(pod);
    if (p.state !== "up") return;
    if (how === "lost") {
      p.state = "vanished";
      p.at = t;
      return;
    }
    // preStop: sleep while the endpoint is removed, then SIGINT (safe shutdown: PAUSE, then exit).
    const sigint = t + this.spec.seconds("preStop.sleep", 0);
    p.state = "stopping";
    p.at = sigint + SIGINT_DRAIN_SECONDS;
    this.log(p, "INFO", "got SIGINT, shutting down, waiting for all servers connections to be released", sigint);
  }

  step(tick: Tick): void {
    this.cluster.scale(this.workload, this.spec.num("replicas", 2), tick.t);
    for (const pod of this.workload.pods) if (pod.phase === "Running") this.process(pod);
    for (const p of this.processes.values()) {
      if (p.state === "stopping" && p.at <= tick.t + tick.dt) {
        p.state = "closed";
        this.log(p, "INFO", "server connections dropped, exiting", p.at);
        this.server.close(p.pod.ip ?? p.pod.name);
      }
      p.load = emptyLoad();
    }
  }

  private source(pod: Pod): LogSource {
    return logSourceOf(pod, this.name);
  }

  private log(p: Process, level: "INFO" | "WARN", message: string, t: number): void {
    this.world.logs.line({ t, level, message, source: this.source(p.pod) });
  }

  observe(tick: Tick): void {
    for (const p of this.processes.values()) {
      if (p.state !== "up" && p.state !== "stopping") continue;
      this.serve(p, tick);
    }
  }

  /** Server connections, the exporter's series, the log and the pod's usage for one running process. */
  private serve(p: Process, tick: Tick): void {
    const { load } = p;
    const poolSize = this.spec.num("defaultPoolSize", DEFAULT_POOL_SIZE);
    // Transaction pooling: server connections for the transactions in flight, with room for bursts.
    const needed = Math.min(poolSize, Math.ceil(load.active + 3 * Math.sqrt(load.active)));
    if (needed >= p.serverConns) {
      p.serverConns = needed;
      p.surplusSince = Number.NaN;
    } else if (Number.isNaN(p.surplusSince)) p.surplusSince = tick.t;
    else if (tick.t - p.surplusSince >= SERVER_IDLE_TIMEOUT) {
      p.serverConns = needed;
      p.surplusSince = Number.NaN;
    }
    const waiting = Math.max(0, load.active - poolSize);
    const active = Math.min(load.active, poolSize);
    this.server.report(
      p.pod.ip ?? p.pod.name,
      { conns: p.serverConns, inTransaction: active, xacts: load.xacts },
      tick.t,
    );
    this.observeExporter(p, active, waiting, tick);
    this.observeLog(p, tick);
    const qps = load.queries / tick.dt;
    p.pod.usage = {
      ...zeroUsage(),
      cpu: this.rng.jitter(IDLE_CPU + qps * CPU_PER_QUERY, 0.05),
      memory: BASE_MEMORY + MEMORY_PER_CLIENT * load.clients,
      rxBytes: qps * (BYTES_IN_PER_QUERY + BYTES_OUT_PER_QUERY),
      txBytes: qps * (BYTES_IN_PER_QUERY + BYTES_OUT_PER_QUERY),
    };
  }

  private observeExporter(p: Process, active: number, waiting: number, tick: Tick): void {
    const m = this.world.metrics;
    const { load } = p;
    const base = { namespace: p.pod.namespace, pod: p.pod.name };
    const pool = { ...base, database: this.database(), user: this.user() };
    m.get(this.name, "pgbouncer_up", base).set(1);
    m.get(this.name, "pgbouncer_version_info", { ...base, version: this.workload.version }).set(1);
    m.get(this.name, "pgbouncer_config_max_client_connections", base).set(
      this.spec.num("maxClientConn", DEFAULT_MAX_CLIENT_CONN),
    );
    m.get(this.name, "pgbouncer_used_clients", base).set(Math.round(load.clients));
    m.get(this.name, "pgbouncer_pools_client_active_connections", pool).set(Math.round(load.clients - waiting));
    m.get(this.name, "pgbouncer_pools_client_waiting_connections", pool).set(Math.round(waiting));
    m.get(this.name, "pgbouncer_pools_server_active_connections", pool).set(Math.round(active));
    m.get(this.name, "pgbouncer_pools_server_idle_connections", pool).set(Math.round(p.serverConns - active));
    m.get(this.name, "pgbouncer_pools_server_used_connections", pool).set(0);
    m.get(this.name, "pgbouncer_pools_server_login_connections", pool).set(0);
    m.get(this.name, "pgbouncer_pools_client_maxwait_seconds", pool).set(waiting > 0 ? tick.dt / 2 : 0);
    const db = {
      ...base,
      name: this.database(),
      host: this.server.name,
      port: "5432",
      database: this.database(),
      force_user: "",
      pool_mode: "transaction",
    };
    m.get(this.name, "pgbouncer_databases_current_connections", db).set(p.serverConns);
    m.get(this.name, "pgbouncer_databases_pool_size", db).set(this.spec.num("defaultPoolSize", DEFAULT_POOL_SIZE));
    const stats = { ...base, database: this.database() };
    m.get(this.name, "pgbouncer_stats_queries_pooled_total", stats).add(Math.round(load.queries));
    m.get(this.name, "pgbouncer_stats_sql_transactions_pooled_total", stats).add(Math.round(load.xacts));
    m.get(this.name, "pgbouncer_stats_queries_duration_seconds_total", stats).add(load.active * tick.dt);
    m.get(this.name, "pgbouncer_stats_client_wait_seconds_total", stats).add(waiting * tick.dt);
  }

  /** log_connections (on by default) and the stats line every stats_period. */
  private observeLog(p: Process, tick: Tick): void {
    const db = this.database();
    const user = this.user();
    for (const ip of p.logins) {
      const t = tick.t + this.rng.next() * tick.dt;
      const port = 32768 + Math.floor(this.rng.next() * 28000);
      const text = `C-0x${this.rng.hex(6)}: ${db}/${user}@${ip}:${port} login attempt: db=${db} user=${user} tls=no`;
      this.log(p, "INFO", text, t);
    }
    p.logins = [];
    p.sinceStats.queries += p.load.queries;
    p.sinceStats.xacts += p.load.xacts;
    const elapsed = tick.t + tick.dt - p.lastStats;
    if (elapsed < STATS_PERIOD) return;
    const qps = Math.round(p.sinceStats.queries / elapsed);
    const xps = Math.round(p.sinceStats.xacts / elapsed);
    // Little's law: time in a transaction (or query) = those in flight / their rate.
    const micros = (perTick: number) => (perTick > 0 ? Math.round((p.load.active / (perTick / tick.dt)) * 1e6) : 0);
    this.log(
      p,
      "INFO",
      `stats: ${xps} xacts/s, ${qps} queries/s, in ${qps * BYTES_IN_PER_QUERY} B/s, out ${qps * BYTES_OUT_PER_QUERY} B/s, xact ${micros(p.load.xacts)} us, query ${micros(p.load.queries)} us, wait 0 us`,
      tick.t + tick.dt,
    );
    p.lastStats = tick.t + tick.dt;
    p.sinceStats = { queries: 0, xacts: 0 };
  }
}

export function createPgBouncer(name: string, spec: Spec, world: World): PgBouncer {
  return new PgBouncer(name, spec, world);
}
