/**
 * A MySQL server (RDS or self-managed) as its clients and mysqld_exporter see it: connections per
 * user and client host against `max_connections` (one extra slot reserved for a privileged user),
 * sleeping connections that age until `wait_timeout`, refusals with error 1040, and an exporter that
 * is itself a client, so its series vanish when the server is full.
 */
import { rdsMysqlLimits } from "../../catalogue/aws/instanceLimits.js";
import type { Rng } from "../rng.js";
import { ScenarioError } from "../scenario.js";
import type { Spec } from "../spec.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";

/** The self-managed server default of max_connections (MySQL reference manual). */
const DEFAULT_MAX_CONNECTIONS = 151;
/** MySQL's default wait_timeout: sleeping connections live 8 hours. */
const DEFAULT_WAIT_TIMEOUT = 28800;
/** The exporter scrapes as a client of its own: one more connection while it can get one. */
const EXPORTER_CONNECTIONS = 1;

interface ClientConnections {
  user: string;
  host: string;
  /** Open times (unix seconds) of this client's connections, oldest first. */
  opened: number[];
  /** Connections executing a statement now (the rest sleep). */
  active: number;
}

export class MySqlServer implements Model {
  readonly phase = PHASE.datastore;
  private readonly clients = new Map<string, ClientConnections>();
  private refusedThisTick = 0;
  /** Connections asked for this tick and last tick, and the share of requests the free slots covered. */
  private demand = 0;
  private shareOfFree = 1;
  private readonly rng: Rng;
  private maxUsed = 0;
  private now = 0;
  private readonly job: string;
  private readonly instance: string;

  constructor(
    readonly name: string,
    private readonly spec: Spec,
    private readonly world: World,
  ) {
    this.rng = world.rng.fork(name);
    this.job = spec.str("job", name);
    this.instance = spec.str("endpoint", `${name}.cluster-c9akciq32.us-east-1.rds.amazonaws.com:3306`);
    this.maxConnections();
  }

  /** `max_connections`: explicit, or RDS's {DBInstanceClassMemory/12582880} for the instance class. */
  maxConnections(): number {
    if (this.spec.has("maxConnections")) return this.spec.num("maxConnections");
    if (!this.spec.has("instanceClass")) return DEFAULT_MAX_CONNECTIONS;
    const cls = this.spec.str("instanceClass");
    const limits = rdsMysqlLimits(cls);
    if (!limits) throw new ScenarioError(`${this.spec.path}.instanceClass: ${cls} is not in instance-limits.json`);
    return limits.max_connections_estimate;
  }

  private client(user: string, host: string): ClientConnections {
    const key = `${user}@${host}`;
    let c = this.clients.get(key);
    if (!c) {
      c = { user, host, opened: [], active: 0 };
      this.clients.set(key, c);
    }
    return c;
  }

  /** Connections of the applications (the exporter's own comes and goes with each scrape). */
  connected(): number {
    let n = 0;
    for (const c of this.clients.values()) n += c.opened.length;
    return n;
  }

  /**
   * A client asks for `n` new connections; returns how many the server accepted. The rest are refused
   * with error 1040 (Too many connections). `openedAt` backdates connections found open when the
   * recording starts.
   */
  open(user: string, host: string, n: number, openedAt?: number[]): number {
    this.demand += n;
    const free = Math.max(0, this.maxConnections() - this.connected());
    // Near the limit, clients race for the slots that free up: each wins in proportion to how many it asks for.
    const granted = Math.min(free, this.shareOfFree >= 1 ? n : this.rng.binomial(n, this.shareOfFree));
    const c = this.client(user, host);
    for (let i = 0; i < granted; i++) c.opened.push(openedAt?.[i] ?? this.now);
    c.opened.sort((a, b) => a - b);
    this.refusedThisTick += n - granted;
    this.maxUsed = Math.max(this.maxUsed, this.connected() + EXPORTER_CONNECTIONS);
    return granted;
  }

  /** A client closes `n` of its connections, its oldest first (how pools retire them). */
  close(user: string, host: string, n: number): void {
    const c = this.client(user, host);
    c.opened.splice(0, Math.min(n, c.opened.length));
  }

  /** How many of the client's connections run a statement now. */
  setActive(user: string, host: string, active: number): void {
    const c = this.client(user, host);
    c.active = Math.min(active, c.opened.length);
  }

  /** Open connections of a client (the pool asks after the server may have dropped some). */
  openCount(user: string, host: string): number {
    return this.client(user, host).opened.length;
  }

  /** Time a statement takes: the configured query time, longer when many run at once. */
  queryTime(): number {
    return this.spec.seconds("queryTime", 0.004);
  }

  step(tick: Tick): void {
    this.now = tick.t;
    this.refusedThisTick = 0;
    const free = Math.max(0, this.maxConnections() - this.connected());
    this.shareOfFree = this.demand > free ? free / this.demand : 1;
    this.demand = 0;
    const waitTimeout = this.spec.seconds("waitTimeout", DEFAULT_WAIT_TIMEOUT);
    for (const c of this.clients.values()) {
      while (c.opened.length > 0 && tick.t - c.opened[0] > waitTimeout) c.opened.shift();
    }
  }

  observe(tick: Tick): void {
    const m = this.world.metrics;
    const base = { instance: this.instance };
    const max = this.maxConnections();
    m.get(this.job, "mysql_global_status_connection_errors_total", { ...base, error: "max_connections" }).add(
      this.refusedThisTick,
    );
    m.get(this.job, "mysql_global_status_aborted_connects", base).add(this.refusedThisTick);
    // Full server: the exporter's own connection is refused, so it reports mysql_up 0 and nothing else.
    const exporterConnects = this.connected() < max;
    m.get(this.job, "mysql_up", base).set(exporterConnects ? 1 : 0);
    if (!exporterConnects) return;
    let running = 1;
    let sleeping = 0;
    let sleepSeconds = 0;
    let querySeconds = 0;
    const byUser = new Map<string, number>();
    const byHost = new Map<string, number>();
    for (const c of this.clients.values()) {
      const n = c.opened.length;
      if (n === 0) continue;
      running += c.active;
      sleeping += n - c.active;
      // The sleeping ones are the oldest: active statements run on recently used connections.
      for (let i = 0; i < n - c.active; i++) sleepSeconds += tick.t - c.opened[i];
      querySeconds += c.active * this.queryTime();
      byUser.set(c.user, (byUser.get(c.user) ?? 0) + n);
      byHost.set(c.host, (byHost.get(c.host) ?? 0) + n);
    }
    m.get(this.job, "mysql_global_status_threads_connected", base).set(this.connected() + EXPORTER_CONNECTIONS);
    m.get(this.job, "mysql_global_status_threads_running", base).set(running);
    m.get(this.job, "mysql_global_status_max_used_connections", base).set(this.maxUsed);
    m.get(this.job, "mysql_global_variables_max_connections", base).set(max);
    m.get(this.job, "mysql_global_variables_wait_timeout", base).set(
      this.spec.seconds("waitTimeout", DEFAULT_WAIT_TIMEOUT),
    );
    const threads = (command: string, state: string) => ({ ...base, command: command.toLowerCase(), state });
    m.get(this.job, "mysql_info_schema_processlist_threads", threads("Sleep", "")).set(sleeping);
    m.get(this.job, "mysql_info_schema_processlist_threads", threads("Query", "executing")).set(running);
    m.get(this.job, "mysql_info_schema_processlist_seconds", threads("Sleep", "")).set(Math.round(sleepSeconds));
    m.get(this.job, "mysql_info_schema_processlist_seconds", threads("Query", "executing")).set(
      Math.round(querySeconds),
    );
    for (const [user, n] of byUser) {
      m.get(this.job, "mysql_info_schema_processlist_processes_by_user", { ...base, mysql_user: user }).set(n);
    }
    for (const [host, n] of byHost) {
      m.get(this.job, "mysql_info_schema_processlist_processes_by_host", { ...base, client_host: host }).set(n);
    }
  }
}

export function createMySql(name: string, spec: Spec, world: World): MySqlServer {
  return new MySqlServer(name, spec, world);
}
