/**
 * One pod of a job worker, run as its own process by `beneath lab`: it takes jobs (GET /jobs/<id>,
 * queued at once, as a push to Sidekiq's Redis list is), works on `concurrency` of them at a time,
 * each running a statement through PgBouncer with node-postgres at its defaults — no connection
 * timeout, no statement or query timeout, no TCP keepalive, as the seed incident's workers ran libpq.
 * Its metrics are named as the Ruby prometheus_exporter names Sidekiq's (the workers it stands for)
 * and ActiveRecord's pool; its JSON-lines log has Sidekiq's `done`/`fail` lines.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import pg from "pg";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { LOOPBACK } from "../net.js";
import { JsonLogger } from "./log.js";
import { readWorkerConfig } from "./workerConfig.js";

/** Jobs queued at most per pod; beyond it a push is refused (503), so a stalled run's memory stays bounded. */
const MAX_BACKLOG = 50_000;

const config = readWorkerConfig(process.env);
const logger = new JsonLogger(
  config.logFile,
  { service: config.service, pod: config.pod, namespace: config.namespace },
  config.logLevel,
);

/**
 * Each thread's own connection, as a Rails thread keeps the ActiveRecord connection it checked out:
 * opened on the thread's first job, dropped when it fails or the pooler closes it, reopened (through
 * the pooler's Service) on the next job.
 */
const connections: (pg.Client | undefined)[] = Array.from({ length: config.concurrency }, () => undefined);

/** When each thread's connection was opened (ms). */
const openedAt: number[] = connections.map(() => 0);

async function connectionOf(thread: number): Promise<pg.Client> {
  const open = connections[thread];
  if (open && Date.now() - openedAt[thread] < config.connectionLifetimeSeconds * 1000) return open;
  if (open) dropConnection(thread);
  const client = new pg.Client({ ...config.db, query_timeout: config.queryTimeoutMs });
  // The pooler closed it (a safe shutdown, a restart): the thread reconnects on its next job.
  client.on("error", (err) => {
    logger.log("WARN", `PG::ConnectionBad: ${err.message}`);
    if (connections[thread] === client) connections[thread] = undefined;
  });
  client.on("end", () => {
    if (connections[thread] === client) connections[thread] = undefined;
  });
  connections[thread] = client;
  openedAt[thread] = Date.now();
  try {
    await client.connect();
  } catch (err) {
    connections[thread] = undefined;
    throw err;
  }
  return client;
}

function dropConnection(thread: number): void {
  const client = connections[thread];
  connections[thread] = undefined;
  client?.end().catch(() => {});
}

const queued: { id: number; at: number }[] = [];
const waiting: (() => void)[] = [];
let busy = 0;
let stopping = false;

const registry = new Registry();
registry.setDefaultLabels({ service: config.service, pod: config.pod, namespace: config.namespace });
collectDefaultMetrics({ register: registry });
const jobLabels = { job_name: config.jobClass };
const jobs = new Counter({
  name: "ruby_sidekiq_jobs_total",
  help: "Total number of sidekiq jobs executed",
  labelNames: ["job_name"],
  registers: [registry],
});
const failedJobs = new Counter({
  name: "ruby_sidekiq_failed_jobs_total",
  help: "Total number of failed sidekiq jobs",
  labelNames: ["job_name"],
  registers: [registry],
});
const jobSeconds = new Counter({
  name: "ruby_sidekiq_job_duration_seconds",
  help: "Total time spent in sidekiq jobs",
  labelNames: ["job_name"],
  registers: [registry],
});
const processLabels = { queues: config.queue, hostname: config.pod, identity: `${config.pod}:1` };
const gauge = (name: string, help: string, labels: Record<string, string>, read: () => number) =>
  new Gauge({
    name,
    help,
    labelNames: Object.keys(labels),
    registers: [registry],
    collect() {
      this.set(labels, read());
    },
  });
gauge("ruby_sidekiq_process_busy", "Number of busy workers for this process", processLabels, () => busy);
gauge("ruby_sidekiq_process_concurrency", "Concurrency for this process", processLabels, () => config.concurrency);
gauge("ruby_sidekiq_queue_backlog", "Size of the sidekiq queue", { queue: config.queue }, () => queued.length);
gauge("ruby_sidekiq_queue_latency_seconds", "Latency of the sidekiq queue", { queue: config.queue }, () =>
  queued.length > 0 ? Date.now() / 1000 - queued[0].at : 0,
);
const poolLabels = { pool_name: "primary" };
const openConnectionCount = () => connections.filter((c) => c !== undefined).length;
gauge("ruby_active_record_connection_pool_size", "Size of the connection pool", poolLabels, () => config.concurrency);
gauge("ruby_active_record_connection_pool_connections", "Connections in the pool", poolLabels, openConnectionCount);
gauge("ruby_active_record_connection_pool_busy", "Connections in use in the pool", poolLabels, () => busy);
gauge("ruby_active_record_connection_pool_idle", "Idle connections in the pool", poolLabels, () =>
  Math.max(0, openConnectionCount() - busy),
);

/** The job's work: one lookup that takes `jobMs` on the server and reads back `payloadBytes` (32-byte md5s repeated). */
const JOB_SQL = "SELECT name, price, repeat(md5(name), $3) AS body, pg_sleep($1) FROM items WHERE id = $2";
const MD5_HEX_BYTES = 32;

function take(): Promise<{ id: number; at: number }> {
  const job = queued.shift();
  if (job) return Promise.resolve(job);
  return new Promise((resolve) => waiting.push(() => resolve(take())));
}

async function processJobs(thread: number): Promise<void> {
  while (!stopping) {
    const job = await take();
    busy++;
    const jid = randomBytes(12).toString("hex");
    const started = process.hrtime.bigint();
    try {
      const repeats = Math.ceil(config.payloadBytes / MD5_HEX_BYTES);
      await (await connectionOf(thread)).query(JOB_SQL, [config.jobMs / 1000, job.id, repeats]);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      jobs.inc(jobLabels);
      jobSeconds.inc(jobLabels, seconds);
      logger.log("INFO", `done: ${seconds.toFixed(3)} sec`, { class: config.jobClass, jid });
    } catch (err) {
      // A connection a statement failed on (timed out, cut) is not trusted again: the next job reconnects.
      dropConnection(thread);
      jobs.inc(jobLabels);
      failedJobs.inc(jobLabels);
      const message = err instanceof Error ? err.message : String(err);
      logger.log("WARN", `fail: ${message}`, { class: config.jobClass, jid, error_class: "PG::ConnectionBad" });
    } finally {
      busy--;
    }
  }
}

const server = createServer((req, res) => {
  const url = req.url ?? "/";
  if (url === "/metrics") {
    registry.metrics().then((text) => res.writeHead(200, { "Content-Type": registry.contentType }).end(text));
    return;
  }
  const id = Number(url.slice("/jobs/".length));
  if (!url.startsWith("/jobs/") || !Number.isInteger(id)) {
    res.writeHead(404).end();
    return;
  }
  if (queued.length >= MAX_BACKLOG) {
    res.writeHead(503).end();
    return;
  }
  queued.push({ id, at: Date.now() / 1000 });
  waiting.shift()?.();
  res.writeHead(202).end();
});
server.keepAliveTimeout = 5_000;
/** Each thread's connection opened at boot (Sidekiq's threads check theirs out on their first job; this is that, at once). */
async function openConnections(): Promise<void> {
  await Promise.all(connections.map((_, thread) => connectionOf(thread)));
}

server.listen(config.port, LOOPBACK, () => {
  openConnections().then(
    () => {
      logger.log("INFO", `Booted Sidekiq-style worker with concurrency ${config.concurrency} (pod ${config.pod})`);
      for (let thread = 0; thread < config.concurrency; thread++) void processJobs(thread);
    },
    (err: Error) => {
      logger.log("ERROR", `could not connect to the database: ${err.message}`);
      process.exit(1);
    },
  );
});

/** Sidekiq's shutdown: stop fetching, give running jobs a few seconds, then exit (hung ones are abandoned). */
const SHUTDOWN_GRACE_MS = 5_000;

async function shutdown(): Promise<void> {
  stopping = true;
  logger.log("INFO", "Shutting down");
  server.close();
  server.closeAllConnections();
  const closing = connections.map((c) => c?.end().catch(() => {}));
  await Promise.race([Promise.all(closing), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS))]);
  await logger.close();
  process.exit(0);
}
process.once("SIGTERM", () => void shutdown());
process.once("SIGINT", () => void shutdown());
