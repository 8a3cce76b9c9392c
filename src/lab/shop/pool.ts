/**
 * A JDBC-style connection pool over mysql2 connections that behaves as HikariCP does: its knobs
 * (maximum size, minimum idle, idle timeout, max lifetime, connection timeout), its counts (total,
 * active, idle, pending), and its way of borrowing: a borrower with no idle connection waits while
 * the pool adds one in the background, gets whichever connection comes first (added or returned),
 * and after the connection timeout fails with "Connection is not available, request timed out",
 * caused by the last connect failure (e.g. mysql2's ER_CON_COUNT_ERROR "Too many connections").
 * mysql2's own pool has no acquire timeout and keeps its counts private, hence this one.
 */
import mysql from "mysql2/promise";

export interface PoolSpec {
  /** maximumPoolSize. */
  max: number;
  /** minimumIdle: connections kept open even when idle. */
  min: number;
  /** Idle connections above `min` are closed after this long; null never closes them. */
  idleTimeoutMs: number | null;
  /** A connection older than this is closed when next returned or found idle; null keeps it forever. */
  maxLifetimeMs: number | null;
  /** How long a borrower waits for a connection when the pool is at its maximum. */
  connectionTimeoutMs: number;
}

export interface ConnectOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

interface Pooled {
  conn: mysql.Connection;
  createdAt: number;
  idleSince: number;
}

interface Waiter {
  resolve(p: Pooled): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** How often idle and expired connections are retired (HikariCP's housekeeper runs every 30 s; the lab's runs are minutes long). */
const HOUSEKEEPING_MS = 5_000;
/**
 * While below its minimum, a pool opens one connection per this interval, and retries a refused one
 * as often (HikariCP fills at once and retries within a second): a pool that wants more than the
 * server has left takes every slot that frees up.
 */
const FILL_INTERVAL_MS = 1_000;
/** A connect attempt that takes longer than this fails (mysql2's connectTimeout). */
const CONNECT_TIMEOUT_MS = 5_000;

/** HikariCP's SQLTransientConnectionException: the timeout, with the last connect failure as its cause (and its codes). */
export class PoolTimeoutError extends Error {
  readonly code?: string;
  readonly errno?: number;
  readonly sqlState?: string;
  constructor(pool: string, ms: number, cause: Error | undefined) {
    const because = cause ? ` Caused by: ${cause.name}: ${cause.message}` : "";
    super(`${pool} - Connection is not available, request timed out after ${ms}ms.${because}`, { cause });
    this.name = "PoolTimeoutError";
    const codes = cause as (Error & { code?: string; errno?: number; sqlState?: string }) | undefined;
    this.code = codes?.code;
    this.errno = codes?.errno;
    this.sqlState = codes?.sqlState;
  }
}

export class ConnectionPool {
  private readonly idle: Pooled[] = [];
  private readonly active = new Map<mysql.Connection, Pooled>();
  private readonly waiters: Waiter[] = [];
  private creating = 0;
  /** The last connect failure, reported as the cause of borrowers' timeouts; cleared by a success. */
  private lastFailure?: Error;
  private readonly housekeeper: NodeJS.Timeout;
  private filler?: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly name: string,
    readonly spec: PoolSpec,
    private readonly connect: ConnectOptions,
    /** Called with each failed connect (they happen in the background; borrowers only see timeouts). */
    private readonly onConnectError: (err: Error) => void,
  ) {
    this.housekeeper = setInterval(() => this.retire(), HOUSEKEEPING_MS);
    this.scheduleFill();
    this.fill();
  }

  get total(): number {
    return this.idle.length + this.active.size;
  }
  get activeCount(): number {
    return this.active.size;
  }
  get idleCount(): number {
    return this.idle.length;
  }
  get pending(): number {
    return this.waiters.length;
  }

  /** Borrows a connection: an idle one, or else the first one added or returned within the connection timeout. */
  async acquire(): Promise<mysql.Connection> {
    for (let p = this.idle.pop(); p; p = this.idle.pop()) {
      if (!this.expired(p)) return this.activate(p);
      void p.conn.end().catch(() => {});
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (p) => resolve(this.activate(p)),
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new PoolTimeoutError(this.name, this.spec.connectionTimeoutMs, this.lastFailure));
        }, this.spec.connectionTimeoutMs),
      };
      this.waiters.push(waiter);
      this.fill();
    });
  }

  /** Returns a connection: to the next waiter, or to the idle list (closed instead when past its lifetime). */
  release(conn: mysql.Connection): void {
    const p = this.active.get(conn);
    if (!p) return;
    this.active.delete(conn);
    if (this.expired(p) || this.closed) {
      void conn.end().catch(() => {});
      // Replaced now only for a borrower who is waiting; otherwise at the next fill round, so a
      // pool at the server's limit can lose the slot to a hungrier one, as victims do in production.
      if (this.waiters.length > 0) this.fill();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(p);
      return;
    }
    p.idleSince = Date.now();
    this.idle.push(p);
  }

  /** A connection that failed mid-query is not reused. */
  discard(conn: mysql.Connection): void {
    if (!this.active.delete(conn)) return;
    conn.destroy();
    if (this.waiters.length > 0) this.fill();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.housekeeper);
    clearTimeout(this.filler);
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error(`${this.name} - pool is closing`));
    }
    const all = [...this.idle.splice(0), ...this.active.values()];
    this.active.clear();
    await Promise.all(all.map((p) => p.conn.end().catch(() => p.conn.destroy())));
  }

  private activate(p: Pooled): mysql.Connection {
    this.active.set(p.conn, p);
    return p.conn;
  }

  private expired(p: Pooled): boolean {
    return this.spec.maxLifetimeMs !== null && Date.now() - p.createdAt >= this.spec.maxLifetimeMs;
  }

  private async create(): Promise<Pooled> {
    this.creating++;
    try {
      const conn = await mysql.createConnection({ ...this.connect, connectTimeout: CONNECT_TIMEOUT_MS });
      // A server-side close (restart, kill) surfaces here; the connection is dropped from the pool.
      conn.on("error", () => this.forget(conn));
      const now = Date.now();
      return { conn, createdAt: now, idleSince: now };
    } finally {
      this.creating--;
    }
  }

  private forget(conn: mysql.Connection): void {
    this.active.delete(conn);
    const i = this.idle.findIndex((p) => p.conn === conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Retires idle connections past their idle timeout (above the minimum) or their lifetime. */
  private retire(): void {
    if (this.closed) return;
    const now = Date.now();
    const idleTimeout = this.spec.idleTimeoutMs;
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const p = this.idle[i] as Pooled;
      const idleTooLong = idleTimeout !== null && now - p.idleSince >= idleTimeout && this.total > this.spec.min;
      if (idleTooLong || this.expired(p)) {
        this.idle.splice(i, 1);
        void p.conn.end().catch(() => {});
      }
    }
  }

  /**
   * The next fill round, at a jittered interval: rounds at fixed phases would line up with the
   * housekeeper's and always replace a retired connection first, which no real pool can count on.
   */
  private scheduleFill(): void {
    if (this.closed) return;
    this.filler = setTimeout(
      () => {
        this.fill();
        this.scheduleFill();
      },
      FILL_INTERVAL_MS * (0.5 + Math.random()),
    );
  }

  /** Opens one connection when the pool holds fewer than its minimum, or than its borrowers need (up to its maximum). */
  private fill(): void {
    if (this.closed) return;
    const wanted = Math.min(this.spec.max, Math.max(this.spec.min, this.total + this.waiters.length));
    if (this.total + this.creating >= wanted) return;
    this.create().then(
      (p) => {
        this.lastFailure = undefined;
        // Through release, so a borrower already waiting gets it.
        this.active.set(p.conn, p);
        this.release(p.conn);
      },
      (err: Error) => {
        this.lastFailure = err;
        this.onConnectError(err);
      },
    );
  }
}
