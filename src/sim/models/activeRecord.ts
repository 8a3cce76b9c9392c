/**
 * The ActiveRecord connection pool of one Rails process, talking to PostgreSQL through pgbouncer. Each
 * connection stays bound to the pgbouncer pod kube-proxy picked when it was opened. When that pod shuts
 * down gracefully the connection is closed under it: the next query fails at once and the pool
 * reconnects. When the pod vanishes (its node terminated without drain) nobody closes anything, and
 * what happens depends on what the connection was doing and which timeouts exist:
 * - waiting for a reply (nothing unacknowledged): blocked in read() until TCP keepalive gives up on the
 *   peer, a client read timeout fires, or the application gives up — with none of those, forever;
 * - idle, then used: the query is retransmitted until `tcp_retries2` gives up (about 15 minutes);
 * - opened to the vanished pod while it was still an endpoint: SYN retries, about two minutes.
 * A stuck connection holds its thread. The pool reports itself the way prometheus_exporter's
 * ActiveRecord instrumentation does.
 */
import type { Rng } from "../rng.js";
import { ScenarioError } from "../scenario.js";
import type { Spec } from "../spec.js";
import type { Labels, MetricRecorder } from "../telemetry.js";
import type { World } from "../world.js";
import type { Pod, Resources } from "./cluster.js";
import { type ClientLoad, PgBouncer } from "./pgbouncer.js";

/** A Rails process (Puma or Sidekiq) with its boot footprint: a quarter core, half a GiB, up to twice that. */
export const RAILS_PROCESS_RESOURCES: Resources = {
  cpuRequest: 0.25,
  cpuLimit: 1,
  memoryRequest: 512 * 2 ** 20,
  memoryLimit: 1024 * 2 ** 20,
};

/** Linux tcp_retries2 = 15: retransmissions from a 200 ms RTO doubling up to 120 s add up to 924.6 s. */
const TCP_RETRIES2_SECONDS = 924.6;
/** Linux tcp_syn_retries = 6: 1 + 2 + 4 + ... + 64 s before connect() gives up. */
const TCP_SYN_SECONDS = 127;
/** Linux keepalive defaults (tcp_keepalive_time, _intvl, _probes), what libpq uses unless told otherwise. */
const KEEPALIVE_INTERVAL = 75;
const KEEPALIVE_COUNT = 9;
/** database.yml as `rails new` writes it: `pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>`. */
const DEFAULT_POOL = 5;
/** ActiveRecord's checkout_timeout default. */
const DEFAULT_CHECKOUT_TIMEOUT = 5;

/** How a connection failed the job or request that was using it. */
export type ConnFailure = "closed" | "write-timeout" | "read-timeout" | "connect-timeout" | "refused" | "gave-up";

interface Conn {
  endpoint: string;
  /** Unix seconds a stuck connection fails; 0 while it works. */
  until: number;
  why?: ConnFailure;
}

/** Where a pool reports to: the pgbouncer Deployment named by `db.target`. */
export function bouncerOf(spec: Spec, world: World): PgBouncer {
  const target = spec.str("db.target");
  const bouncer = world.get(target, `${spec.path}.db.target`);
  if (!(bouncer instanceof PgBouncer)) {
    throw new ScenarioError(`${spec.path}.db.target: ${target} is not a pgbouncer component`);
  }
  return bouncer;
}

export class ActiveRecordPool {
  private conns: Conn[] = [];
  /** Whether new connections log in now; not for those a process had open before the recording began. */
  private loggingIn: boolean;

  /**
   * `spec` is the process's `db` block; `giveUpAfter` is how long the application lets one request
   * wait (Rack::Timeout for a web process; Infinity for a Sidekiq job, which has no timeout).
   * `preexisting`: the process was running before the recording began, its connections already open.
   */
  constructor(
    private readonly spec: Spec,
    private readonly bouncer: PgBouncer,
    private readonly clientIp: string,
    private readonly giveUpAfter: number,
    private readonly rng: Rng,
    preexisting: boolean,
  ) {
    this.loggingIn = !preexisting;
  }

  size(): number {
    return this.spec.num("pool", DEFAULT_POOL);
  }

  checkoutTimeout(): number {
    return this.spec.seconds("checkoutTimeout", DEFAULT_CHECKOUT_TIMEOUT);
  }

  /** Connections open now. */
  open(): number {
    return this.conns.length;
  }

  /** Connections stuck on a vanished pgbouncer (each holding the thread that used it). */
  stuck(): number {
    return this.conns.filter((c) => c.until > 0).length;
  }

  /** Connections a thread can check out and use. */
  usable(): number {
    return this.size() - this.stuck();
  }

  /** The process restarted: its sockets died with it. */
  reset(): void {
    this.conns = [];
  }

  /** The earliest of the ways a stuck connection can end, and which one it is. */
  private firstEnd(ends: [number, ConnFailure][]): [number, ConnFailure] {
    return ends.reduce((a, b) => (b[0] < a[0] ? b : a));
  }

  /** The connection's pgbouncer vanished at `at`; `busy` whether a query was waiting for its reply. */
  private strand(c: Conn, at: number, busy: boolean): void {
    const giveUp: [number, ConnFailure] = [at + this.giveUpAfter, "gave-up"];
    const readTimeout = this.spec.seconds("readTimeout", Number.POSITIVE_INFINITY);
    if (busy) {
      const keepalive =
        this.spec.seconds("keepalivesIdle", Number.POSITIVE_INFINITY) +
        this.spec.seconds("keepalivesInterval", KEEPALIVE_INTERVAL) * this.spec.num("keepalivesCount", KEEPALIVE_COUNT);
      [c.until, c.why] = this.firstEnd([giveUp, [at + Math.min(keepalive, readTimeout), "read-timeout"]]);
      return;
    }
    const retries = Math.min(TCP_RETRIES2_SECONDS, readTimeout);
    [c.until, c.why] = this.firstEnd([giveUp, [at + retries, "write-timeout"]]);
  }

  /**
   * One tick: connections learn what became of their pgbouncer pod, stuck ones whose time is up fail,
   * and free slots are connected again. `busyShare` is the share of connections in use right now.
   * Returns how many jobs or requests failed on a connection this tick, by how.
   */
  tick(t: number, dt: number, busyShare: number): Map<ConnFailure, number> {
    const failures = new Map<ConnFailure, number>();
    const fail = (why: ConnFailure) => failures.set(why, (failures.get(why) ?? 0) + 1);
    const end = t + dt;
    const kept: Conn[] = [];
    for (const c of this.conns) {
      if (c.until === 0) {
        const fate = this.bouncer.fate(c.endpoint);
        if (fate.state === "closed" && fate.at < end) {
          fail("closed");
          continue;
        }
        if (fate.state === "vanished" && fate.at < end) this.strand(c, fate.at, this.rng.next() < busyShare);
      }
      if (c.until > 0 && c.until < end) {
        fail(c.why ?? "gave-up");
        continue;
      }
      kept.push(c);
    }
    this.conns = kept;
    while (this.conns.length < this.size()) {
      const endpoint = this.bouncer.connect(this.clientIp, this.loggingIn);
      if (!endpoint) {
        fail("refused");
        break;
      }
      const c: Conn = { endpoint, until: 0 };
      const fate = this.bouncer.fate(endpoint);
      if (fate.state === "vanished") {
        // Still an endpoint, no longer a host: the SYNs go unanswered.
        const connectTimeout = this.spec.seconds("connectTimeout", Number.POSITIVE_INFINITY);
        [c.until, c.why] = this.firstEnd([
          [t + this.giveUpAfter, "gave-up"],
          [t + Math.min(TCP_SYN_SECONDS, connectTimeout), "connect-timeout"],
        ]);
      }
      this.conns.push(c);
    }
    this.loggingIn = true;
    return failures;
  }

  /** The exception the process raises for each way a connection fails (pg gem and ActiveRecord wording). */
  exception(why: ConnFailure): { name: string; message: string } {
    const b = this.bouncer;
    const server = `connection to server at "${b.serviceHost()}" (${b.serviceIp}), port 6432 failed`;
    switch (why) {
      case "closed":
        return {
          name: "ActiveRecord::StatementInvalid",
          message: "PG::ConnectionBad: PQconsumeInput() server closed the connection unexpectedly",
        };
      case "write-timeout":
      case "read-timeout":
        return {
          name: "ActiveRecord::StatementInvalid",
          message: "PG::ConnectionBad: PQconsumeInput() could not receive data from server: Connection timed out",
        };
      case "connect-timeout":
        return { name: "ActiveRecord::ConnectionNotEstablished", message: `${server}: Connection timed out` };
      case "refused":
        return { name: "ActiveRecord::ConnectionNotEstablished", message: `${server}: Connection refused` };
      case "gave-up":
        // rack-timeout's RequestTimeoutException text.
        return {
          name: "Rack::Timeout::RequestTimeoutException",
          message: `Request ran for longer than ${Math.round(this.giveUpAfter * 1000)}ms`,
        };
    }
  }

  /** Reports this tick's use to the pgbouncer pods, spread over the working connections bound to each. */
  report(load: Omit<ClientLoad, "clients">): void {
    const working = this.conns.filter((c) => c.until === 0);
    const perEndpoint = new Map<string, number>();
    for (const c of working) perEndpoint.set(c.endpoint, (perEndpoint.get(c.endpoint) ?? 0) + 1);
    for (const [endpoint, n] of perEndpoint) {
      const share = n / working.length;
      this.bouncer.report(endpoint, {
        clients: n,
        active: load.active * share,
        queries: load.queries * share,
        xacts: load.xacts * share,
      });
    }
  }

  /** prometheus_exporter's `active_record_connection_pool_*` gauges (with its default `ruby_` prefix). */
  observe(metrics: MetricRecorder, job: string, labels: Labels, busy: number, waiting: number): void {
    const l = { ...labels, pool_name: "primary", pid: "1" };
    const open = this.open();
    const inUse = Math.min(open, Math.round(busy));
    metrics.get(job, "ruby_active_record_connection_pool_connections", l).set(open);
    metrics.get(job, "ruby_active_record_connection_pool_busy", l).set(inUse);
    metrics.get(job, "ruby_active_record_connection_pool_dead", l).set(0);
    metrics.get(job, "ruby_active_record_connection_pool_idle", l).set(open - inUse);
    metrics.get(job, "ruby_active_record_connection_pool_waiting", l).set(Math.round(waiting));
    metrics.get(job, "ruby_active_record_connection_pool_size", l).set(this.size());
  }
}

/** One Rails process (a Puma or Sidekiq pod): its pool, and the connections its work held last tick. */
export interface RailsProcess {
  pool: ActiveRecordPool;
  working: number;
}

/** The Rails processes of a component, one per pod, each with a pool bound to the component's pgbouncer. */
export class RailsProcesses {
  private readonly byPod = new Map<Pod, RailsProcess>();

  constructor(
    private readonly spec: Spec,
    private readonly world: World,
    private readonly rng: Rng,
  ) {}

  /** The pod's process, started with a pool that gives up a stuck call after `giveUpAfter` seconds. */
  of(pod: Pod, giveUpAfter: number, preexisting: boolean): RailsProcess {
    let process = this.byPod.get(pod);
    if (!process) {
      const pool = new ActiveRecordPool(
        this.spec.child("db"),
        bouncerOf(this.spec, this.world),
        pod.ip ?? pod.name,
        giveUpAfter,
        this.rng.fork(pod.name),
        preexisting,
      );
      process = { pool, working: 0 };
      this.byPod.set(pod, process);
    }
    return process;
  }

  get(pod: Pod): RailsProcess | undefined {
    return this.byPod.get(pod);
  }

  delete(pod: Pod): void {
    this.byPod.delete(pod);
  }
}
