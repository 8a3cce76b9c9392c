/**
 * A client-side JDBC connection pool in one pod (HikariCP semantics, Micrometer metric names): it
 * opens connections when requests need them, keeps idle ones up to `maxIdle` (closing the rest after
 * `idleTimeout`), retires connections at `maxLifetime`, and makes requests wait up to
 * `connectionTimeout` when none is free. A leak keeps borrowed connections forever: they sleep on
 * the server and count against both the pool and `max_connections`.
 */
import type { Rng } from "../rng.js";
import type { Spec } from "../spec.js";
import type { MetricRecorder } from "../telemetry.js";
import type { MySqlServer } from "./mysql.js";

/** HikariCP's defaults (its README): maximumPoolSize 10, minimumIdle = max, 10 min idle, 30 min life, 30 s wait. */
const DEFAULT_MAX_SIZE = 10;
const DEFAULT_IDLE_TIMEOUT = 600;
const DEFAULT_MAX_LIFETIME = 1800;
const DEFAULT_CONNECTION_TIMEOUT = 30;
/** Requests arrive in bursts: the pool sizes for the mean concurrency plus this many standard deviations. */
const BURST_SIGMAS = 3;
/** How far back the connections of a pool found running were opened, at most (an hour of uptime). */
const WARM_AGE_SPAN = 3600;
/** Above this utilisation of the usable connections, waits grow without bound (the queue never drains). */
const SATURATED = 0.999;

export interface PoolOutcome {
  /** Mean wait of requests that got a connection, seconds. */
  wait: number;
  /** Share of requests that gave up after connectionTimeout. */
  timedOut: number;
  /** Share of requests that failed at once because the server refused a new connection. */
  refused: number;
}

export class ConnectionPool {
  /** Connections open on the server, as this pool counts them (oldest first: their open times). */
  private opened: number[] = [];
  private leaked = 0;
  private idleSince = Number.NaN;
  private timeouts = 0;
  private started = false;
  private readonly poolName = "HikariPool-1";

  constructor(
    private readonly spec: Spec,
    private readonly server: MySqlServer,
    private readonly user: string,
    private readonly host: string,
    private readonly metrics: MetricRecorder,
    private readonly job: string,
    private readonly metricLabels: Record<string, string>,
    private readonly rng: Rng,
  ) {}

  private maxSize(): number {
    return this.spec.num("maxSize", DEFAULT_MAX_SIZE);
  }

  /** A restarted process starts with an empty pool; its server connections are closed by the kernel. */
  reset(): void {
    this.server.close(this.user, this.host, this.opened.length);
    this.opened = [];
    this.leaked = 0;
  }

  /**
   * A pool found running when the recording starts: its minimumIdle connections were opened at
   * various times before, so they do not all reach maxLifetime at once.
   */
  private warmStart(minIdle: number, maxLifetime: number, t: number): void {
    this.started = true;
    const span = Math.min(maxLifetime, WARM_AGE_SPAN);
    const openedAt = Array.from({ length: minIdle }, () => t - this.rng.next() * span).sort((a, b) => a - b);
    const granted = this.server.open(this.user, this.host, minIdle, openedAt);
    this.opened.push(...openedAt.slice(0, granted));
  }

  private openMore(n: number, t: number): number {
    const granted = n > 0 ? this.server.open(this.user, this.host, n) : 0;
    for (let i = 0; i < granted; i++) this.opened.push(t);
    return granted;
  }

  private closeOldest(n: number): void {
    const k = Math.min(n, this.opened.length);
    this.opened.splice(0, k);
    this.server.close(this.user, this.host, k);
  }

  /**
   * One tick of requests: `rps` requests each holding a connection for `hold` seconds, of which the
   * share `leakShare` never return theirs.
   */
  serve(rps: number, hold: number, leakShare: number, t: number, dt: number): PoolOutcome {
    const maxSize = this.maxSize();
    const minIdle = this.spec.num("minIdle", maxSize);
    const maxIdle = this.spec.num("maxIdle", maxSize);
    const idleTimeout = this.spec.seconds("idleTimeout", DEFAULT_IDLE_TIMEOUT);
    const maxLifetime = this.spec.seconds("maxLifetime", DEFAULT_MAX_LIFETIME);
    const connectionTimeout = this.spec.seconds("connectionTimeout", DEFAULT_CONNECTION_TIMEOUT);
    if (!this.started) this.warmStart(minIdle, maxLifetime, t);

    // Retire connections past maxLifetime (leaked ones are borrowed, so the pool cannot retire them).
    let retiring = 0;
    while (retiring < this.opened.length - this.leaked && t - this.opened[retiring] > maxLifetime) retiring++;
    if (retiring > 0) this.closeOldest(retiring);

    const concurrency = rps * hold;
    const peak = concurrency + BURST_SIGMAS * Math.sqrt(concurrency);
    const usable = () => this.opened.length - this.leaked;
    // Keep minimumIdle and grow towards the burst peak, within maximumPoolSize.
    const want = Math.min(maxSize, this.leaked + Math.max(minIdle, Math.ceil(peak)));
    const wanted = Math.max(0, want - this.opened.length);
    const refusedOpens = wanted - this.openMore(wanted, t);

    // Leaks: each leaking request keeps its connection; the pool replaces it if it can.
    const leaks = Math.min(usable(), rps * dt * leakShare);
    this.leaked += leaks;
    const replace = Math.min(Math.ceil(leaks), maxSize - this.opened.length);
    this.openMore(replace, t);

    // Idle connections above maxIdle close after idleTimeout (a hoarding pool sets maxIdle = max).
    const idle = usable() - concurrency;
    if (idle > maxIdle) {
      if (Number.isNaN(this.idleSince)) this.idleSince = t;
      if (t - this.idleSince >= idleTimeout) this.closeOldest(Math.floor(idle - maxIdle));
    } else this.idleSince = Number.NaN;

    const slots = usable();
    const utilisation = slots > 0 ? concurrency / slots : Number.POSITIVE_INFINITY;
    let outcome: PoolOutcome;
    if (utilisation >= SATURATED) {
      // More requests than connections can serve: the excess waits out connectionTimeout and fails.
      const served = slots > 0 ? 1 / utilisation : 0;
      outcome = { wait: Math.min(connectionTimeout, hold * slots), timedOut: 1 - served, refused: 0 };
    } else {
      // Sakasegawa's M/M/c approximation of the mean wait.
      const c = Math.max(1, slots);
      const wq = (hold * utilisation ** Math.sqrt(2 * (c + 1))) / (c * (1 - utilisation));
      const timedOut = wq > connectionTimeout ? Math.min(1, (wq - connectionTimeout) / wq) : 0;
      outcome = { wait: Math.min(wq, connectionTimeout), timedOut, refused: 0 };
    }
    // A pool that could not open what the burst needed makes the burst wait for the server's refusal.
    if (refusedOpens > 0 && slots === 0) outcome.refused = 1 - outcome.timedOut;
    this.timeouts += outcome.timedOut * rps * dt;
    // Leaked connections are borrowed but idle: on the server they sleep.
    this.server.setActive(this.user, this.host, Math.round(concurrency));
    this.observe(concurrency, rps, dt, outcome, connectionTimeout);
    return outcome;
  }

  private observe(concurrency: number, rps: number, dt: number, outcome: PoolOutcome, connectionTimeout: number): void {
    const m = this.metrics;
    const labels = { ...this.metricLabels, pool: this.poolName };
    const total = this.opened.length;
    const active = Math.min(total, Math.round(concurrency + this.leaked));
    // Little's law: threads waiting = arrival rate x time each waits (the full timeout for those that give up).
    const pending = Math.round(rps * (outcome.timedOut * connectionTimeout + (1 - outcome.timedOut) * outcome.wait));
    m.get(this.job, "hikaricp_connections", labels).set(total);
    m.get(this.job, "hikaricp_connections_active", labels).set(active);
    m.get(this.job, "hikaricp_connections_idle", labels).set(total - active);
    m.get(this.job, "hikaricp_connections_pending", labels).set(pending);
    m.get(this.job, "hikaricp_connections_max", labels).set(this.maxSize());
    m.get(this.job, "hikaricp_connections_min", labels).set(this.spec.num("minIdle", this.maxSize()));
    m.get(this.job, "hikaricp_connections_timeout_total", labels).set(Math.round(this.timeouts));
    m.get(this.job, "hikaricp_connections_acquire_seconds_count", labels).add(rps * dt);
    m.get(this.job, "hikaricp_connections_acquire_seconds_sum", labels).add(rps * dt * outcome.wait);
  }
}
