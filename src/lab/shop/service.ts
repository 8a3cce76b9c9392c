/**
 * One pod of a shop service, run as its own process by `beneath lab`: answers GET `<path>/<id>` by
 * querying MariaDB through its pool and/or calling its upstream services, exports prom-client metrics
 * named as Spring Boot's Micrometer and HikariCP export them, and writes JSON-lines logs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import mysql from "mysql2/promise";
import { LOOPBACK } from "../net.js";
import { debugTrace } from "./debugTrace.js";
import { JsonLogger, LEVELS, type Level } from "./log.js";
import { podMetrics } from "./metrics.js";
import { type PodConfig, readPodConfig } from "./podConfig.js";
import { ConnectionPool, PoolTimeoutError } from "./pool.js";

const config = readPodConfig(process.env);
const identity = { service: config.service, pod: config.pod, namespace: config.namespace };
const logger = new JsonLogger(config.logFile, identity, config.logLevel, (level) => metrics.countLogLine(level));
const pool = config.db?.pool
  ? new ConnectionPool(`${config.service}-pool`, config.db.pool, config.db.connect, (err) =>
      // HikariCP logs a failed background fill at DEBUG ("Cannot acquire connection from data source").
      logger.log(
        "DEBUG",
        `${config.service}-pool - Cannot acquire connection from data source: ${driverMessage(err)}`,
        errorFields(err),
      ),
    )
  : undefined;
const metrics = podMetrics(config, pool);
const route = `${config.path}/{id}`;

/** The driver's message with its code, as a Node service would log it (`Error: Too many connections`). */
function driverMessage(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function errorFields(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return {};
  const { code, errno, sqlState } = err as Error & { code?: string; errno?: number; sqlState?: string };
  return { error: { type: err.name, code, errno, sqlState } };
}

/** The statement every request runs; SLEEP stands for the statement's work, so pools see real concurrency at modest rates. */
const LOOKUP = "SELECT name, price, rating, SLEEP(?) FROM items WHERE id = ?";

async function queryPooled(queryMs: number, poolOf: ConnectionPool, id: number): Promise<void> {
  const conn = await poolOf.acquire().catch((err: unknown) => {
    if (err instanceof PoolTimeoutError) metrics.countPoolTimeout();
    throw err;
  });
  try {
    await conn.query(LOOKUP, [queryMs / 1000, id]);
  } catch (err) {
    poolOf.discard(conn);
    throw err;
  }
  poolOf.release(conn);
}

/** A client without a pool (PHP's PDO, a script): its own connection for each request, closed after it. */
async function queryUnpooled(db: NonNullable<PodConfig["db"]>, id: number): Promise<void> {
  const conn = await mysql.createConnection(db.connect);
  try {
    await conn.query(LOOKUP, [db.queryMs / 1000, id]);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

async function callUpstream(url: string, id: number): Promise<void> {
  const response = await fetch(`${url}/${id}`, { signal: AbortSignal.timeout(config.upstreamTimeoutMs) });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${url}/${id} returned ${response.status}`);
}

async function handle(id: number): Promise<void> {
  const work: Promise<void>[] = [];
  if (config.db) work.push(pool ? queryPooled(config.db.queryMs, pool, id) : queryUnpooled(config.db, id));
  for (const upstream of config.upstreams) work.push(callUpstream(upstream.url, id));
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** Spring Boot's `POST /actuator/loggers/ROOT {"configuredLevel": "DEBUG"}`: the pod's log level, changed while it runs. */
const LOGGERS_ENDPOINT = "/actuator/loggers/ROOT";

function setLogLevel(req: IncomingMessage, res: ServerResponse): void {
  let body = "";
  req.on("data", (chunk: Buffer) => {
    body += chunk.toString();
  });
  req.on("end", () => {
    let level: unknown;
    try {
      level = (JSON.parse(body) as { configuredLevel?: unknown }).configuredLevel;
    } catch {
      level = undefined;
    }
    if (!LEVELS.includes(level as Level)) {
      res.writeHead(400).end(`configuredLevel must be one of ${LEVELS.join(", ")}`);
      return;
    }
    logger.log("INFO", `Log level of ROOT changed from ${logger.level} to ${level}`);
    logger.setLevel(level as Level);
    res.writeHead(204).end();
  });
}

function respond(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? "/";
  if (url === LOGGERS_ENDPOINT && req.method === "POST") {
    setLogLevel(req, res);
    return;
  }
  if (url === "/metrics") {
    metrics.registry.metrics().then((text) => {
      res.writeHead(200, { "Content-Type": metrics.registry.contentType }).end(text);
    });
    return;
  }
  const id = Number(url.slice(config.path.length + 1));
  if (req.method !== "GET" || !url.startsWith(`${config.path}/`) || !Number.isInteger(id)) {
    res.writeHead(404).end();
    return;
  }
  const started = process.hrtime.bigint();
  // As real code guards its DEBUG statements: the trace is built only when it will be written.
  if (logger.enabled("DEBUG"))
    for (const line of debugTrace(url, id, config.debugLinesPerRequest)) logger.log("DEBUG", line);
  const finish = (status: number, err?: unknown) => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.observeRequest(route, status, seconds);
    const line = `Completed GET ${url} with status ${status} in ${Math.round(seconds * 1000)} ms`;
    if (err === undefined) logger.log("INFO", line);
    else logger.log("ERROR", `${line}: ${driverMessage(err)}`, errorFields(err));
    res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify({ id, ok: status === 200 }));
  };
  handle(id).then(
    () => finish(200),
    // A callee that failed makes this a bad gateway; our own database failing is our error.
    (err) => finish(config.upstreams.length > 0 && !config.db ? 502 : 500, err),
  );
}

const server = createServer(respond);
server.keepAliveTimeout = 5_000;
server.listen(config.port, LOOPBACK, () => {
  logger.log("INFO", `Started ${config.service} on ${LOOPBACK}:${config.port} (pod ${config.pod})`);
});

/** Requests in flight get this long to finish after SIGTERM (Spring's graceful shutdown, shortened). */
const SHUTDOWN_GRACE_MS = 5_000;

async function shutdown(): Promise<void> {
  logger.log("INFO", "Received SIGTERM, shutting down gracefully");
  const drained = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS))]);
  server.closeAllConnections();
  await pool?.close();
  await logger.close();
  process.exit(0);
}
process.once("SIGTERM", () => void shutdown());
process.once("SIGINT", () => void shutdown());
