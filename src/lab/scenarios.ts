/**
 * The lab's scenarios: a shop topology, the versions it starts with, the fault (or the look-alike)
 * applied after a healthy baseline, and the truth the recording is judged against.
 */

import { BROKER_SCENARIOS } from "./brokerScenarios.js";
import type { LabFault } from "./faults.js";
import { nodeName } from "./netns.js";
import type { ServerSpec } from "./servers.js";
import type { PoolSpec } from "./shop/pool.js";
import type { ServiceDef, ServiceVersion } from "./shop.js";

export interface LabTruth {
  root_cause: { entity: string; kind: string } | null;
  notes: string;
}

export interface LabScenario {
  name: string;
  description: string;
  /** The servers and exporters it runs, started in this order (each maps to Debian packages). */
  servers: ServerSpec[];
  namespace: string;
  services: ServiceDef[];
  versions: Record<string, ServiceVersion>;
  /** Requests per second at the front door before the fault. */
  rps: number;
  fault: LabFault;
  /**
   * When the on-call is paged: when the front door's 5xx share crosses the error alert, when a PromQL
   * alert expression first returns something (a backlog that grows with no error), or (for a
   * look-alike with no errors) a fixed delay after the change, as a traffic alert would fire.
   */
  alert: { errors: true } | { afterSeconds: number } | { rule: string; forSeconds?: number };
  truth: LabTruth;
}

/** A healthy Spring-style pool: HikariCP's defaults scaled to minutes-long runs (idle connections retired after 30 s, lifetimes bounded). */
const HEALTHY_POOL: PoolSpec = {
  max: 10,
  min: 2,
  idleTimeoutMs: 30_000,
  maxLifetimeMs: 30_000,
  connectionTimeoutMs: 2_000,
};

/** Statement time (ms) of a lookup: enough that pools hold connections concurrently at a few requests per second. */
const QUERY_MS = 15;

const SHOP_SERVICES: ServiceDef[] = [
  { name: "web", path: "/api/order", calls: ["shipping", "ratings"] },
  { name: "shipping", path: "/shipping/calc", calls: [] },
  { name: "ratings", path: "/ratings/api/rate", calls: [] },
];

const SHOP_VERSIONS: Record<string, ServiceVersion> = {
  web: { replicas: 1 },
  shipping: { replicas: 2, db: { pool: HEALTHY_POOL, queryMs: QUERY_MS } },
  // Robot-Shop's ratings is PHP: PDO opens a connection for each request and closes it after.
  ratings: { replicas: 2, db: { pool: null, queryMs: QUERY_MS } },
};

/** Host collectors kept: CPU, memory and load are what a database scenario can change; the rest would only add series. */
const HOST_COLLECTORS = ["cpu", "meminfo", "loadavg"];

const SHOP = {
  servers: [
    // Shipping's two pods × up to 10 connections and ratings' per-request ones fit with room to spare; a pool that keeps 40 per pod does not.
    { kind: "mariadb", maxConnections: 60 },
    { kind: "node-exporter", collectors: HOST_COLLECTORS },
  ] satisfies ServerSpec[],
  namespace: "shop",
  services: SHOP_SERVICES,
  versions: SHOP_VERSIONS,
  rps: 10,
};

/**
 * The faulty shipping release, scaled from two pods to three: HikariCP's default minimumIdle equal to
 * maximumPoolSize (40), so each pod keeps opening connections until it holds 40, idle or not, and
 * never retires them (no idle timeout, no max lifetime). Three pods want 120 of MariaDB's 60.
 */
const HOARDING_SHIPPING: ServiceVersion = {
  replicas: 3,
  db: {
    pool: { max: 40, min: 40, idleTimeoutMs: null, maxLifetimeMs: null, connectionTimeoutMs: 2_000 },
    queryMs: QUERY_MS,
  },
};

/** How long after a surge starts a traffic alert pages someone (a one-minute `for:` on a rate rule). */
const SURGE_ALERT_SECONDS = 60;

/**
 * Sidekiq-style workers (two pods × 5 threads, jobs of 50 ms) whose database is PostgreSQL through
 * PgBouncer on a lab node; 20 jobs/s keep about one thread of ten busy.
 */
const POOLER_SHOP = {
  servers: [
    { kind: "pooler", nodes: 2, maxConnections: 50, poolSize: 20, maxClientConn: 100, namespace: "shop" },
  ] satisfies ServerSpec[],
  namespace: "shop",
  services: [{ name: "worker", path: "/jobs", calls: [] }],
  versions: {
    worker: {
      replicas: 2,
      worker: {
        concurrency: 5,
        jobMs: 50,
        // Shorter than the drain's preStop, so every thread has moved to the new pod before the old one stops.
        connectionLifetimeSeconds: 20,
        payloadBytes: 256,
        jobClass: "OrderSyncJob",
        queue: "default",
      },
    },
  } satisfies Record<string, ServiceVersion>,
  rps: 20,
};
/**
 * The same workers reading 16 KiB per job (about 2.6 Mbit/s out of PgBouncer's node at 20 jobs/s), with
 * a one-second client timeout on each statement: what a rate limit under the pooler turns into errors.
 */
const HEAVY_WORKER: ServiceVersion = {
  replicas: 2,
  worker: { ...POOLER_SHOP.versions.worker.worker, payloadBytes: 16_384, queryTimeoutMs: 1_000 },
};
const ALLOWANCE_SHOP = { ...POOLER_SHOP, versions: { worker: HEAVY_WORKER } };
/** A queue of 100 ms at the rate: what a cloud shaper buffers before it drops. */
const SHAPER_QUEUE_MS = 100;
/** Failed jobs alert: a few a second over the last half minute, for a minute (the rule's `for:`). */
const FAILED_JOBS_ALERT = { rule: "sum(rate(ruby_sidekiq_failed_jobs_total[30s])) > 0.5", forSeconds: 60 };
/** A capacity alert's delay after the change in the look-alike (it never fires: nothing fails). */
const HEADROOM_ALERT_SECONDS = 90;

/** The queue alert of the seed incident (backlog over a threshold), at the lab's scale: half a minute of jobs. */
const BACKLOG_ALERT = "sum(ruby_sidekiq_queue_backlog) > 600";
/** How long after a planned drain starts a maintenance notice would page (it never does: nothing breaks). */
const DRAIN_ALERT_SECONDS = 30;
/** The host's disks too: a flood's cost is the bytes written as much as the CPU that formats them. */
const FLOOD_HOST_COLLECTORS = [...HOST_COLLECTORS, "diskstats"];
/**
 * DEBUG lines ratings writes per request: its driver's trace of every row and value it reads. At the
 * shop's 10 requests/s that is tens of thousands of lines a second, the seed's flood scaled to one service.
 */
const RATINGS_DEBUG_LINES = 3000;
/** DEBUG lines shipping writes per request: its HTTP and pool trace, a few hundred lines a second in all. */
const SHIPPING_DEBUG_LINES = 60;
/** How long after the level change a latency alert pages (a one-minute `for:` on a latency rule). */
const LATENCY_ALERT_SECONDS = 60;
/** The look-alike's DEBUG window, and when a log-volume alert (`for: 30s`) pages during it. */
const DEBUG_WINDOW_SECONDS = 90;
const LOG_VOLUME_ALERT_SECONDS = 30;

const FLOOD_SHOP = {
  ...SHOP,
  servers: [SHOP.servers[0], { kind: "node-exporter", collectors: FLOOD_HOST_COLLECTORS }] satisfies ServerSpec[],
  versions: {
    ...SHOP_VERSIONS,
    shipping: { ...SHOP_VERSIONS.shipping, debugLinesPerRequest: SHIPPING_DEBUG_LINES },
    ratings: { ...SHOP_VERSIONS.ratings, debugLinesPerRequest: RATINGS_DEBUG_LINES },
  } satisfies Record<string, ServiceVersion>,
};

export const LAB_SCENARIOS: LabScenario[] = [
  {
    name: "connection-collapse",
    description:
      "shipping is redeployed with a pool that fills to 40 connections per pod and never releases idle ones; MariaDB's max_connections runs out, ratings fails with Too many connections, web's 5xx rises",
    ...SHOP,
    fault: { kind: "redeploy", service: "shipping", version: HOARDING_SHIPPING },
    alert: { errors: true },
    truth: {
      root_cause: { entity: "service:shipping", kind: "db.connection-hoarding" },
      notes:
        "Rolling update of shipping (2 to 3 pods) at fault_start to a release whose pool fills to 40 connections per pod and never retires idle ones; ratings (a connection per request) is then refused; alert_time is when web's 5xx share over 10 s first reached the error alert.",
    },
  },
  {
    name: "connection-collapse-surge",
    description: "a threefold traffic surge at the front door that every pool and MariaDB absorb within their limits",
    ...SHOP,
    fault: { kind: "surge", factor: 3 },
    alert: { afterSeconds: SURGE_ALERT_SECONDS },
    truth: {
      root_cause: null,
      notes: `Request rate tripled at fault_start and stayed within every limit; alert_time is ${SURGE_ALERT_SECONDS} s later, when a traffic alert would page.`,
    },
  },
  {
    name: "pooler-node-vanished",
    description:
      "the node under PgBouncer is terminated without drain (its packets dropped, its processes killed, no FIN or RST); the workers' connections hang with no timeout or keepalive, jobs stop with no error and the queue backs up",
    ...POOLER_SHOP,
    fault: { kind: "node-vanish" },
    alert: { rule: BACKLOG_ALERT },
    truth: {
      root_cause: { entity: `node:${nodeName(0)}`, kind: "node.terminated-without-drain" },
      notes:
        "At fault_start the node running PgBouncer was cut off (every packet dropped inside it) and its processes killed; PgBouncer was rescheduled on the other node 40 s later, but the workers' threads stayed hung on their connections to the dead one (contributing: client.no-timeout on service:worker); alert_time is when the queue backlog first passed 600 jobs.",
    },
  },
  {
    name: "pooler-node-drained",
    description:
      "a planned drain of the node under PgBouncer: a new pod on another node takes the Service, the old PgBouncer stops gracefully (SIGINT), the workers reconnect, then the node is terminated and deleted",
    ...POOLER_SHOP,
    fault: { kind: "node-drain" },
    alert: { afterSeconds: DRAIN_ALERT_SECONDS },
    truth: {
      root_cause: null,
      notes: `PgBouncer was moved to another node, stopped gracefully and its node removed, as planned maintenance does it; the workers kept working; alert_time is ${DRAIN_ALERT_SECONDS} s after the drain finished, when someone would look.`,
    },
  },
  {
    name: "network-allowance",
    description:
      "the node under PgBouncer is limited to 1 Mbit/s out (tbf), under 2.6 Mbit/s of results: its queue drops packets, TCP retransmits, statements pass the workers' 1 s timeout and jobs fail",
    ...ALLOWANCE_SHOP,
    fault: { kind: "node-rate-limit", rateKbit: 1_000, burstBytes: 16_384, latencyMs: SHAPER_QUEUE_MS },
    alert: FAILED_JOBS_ALERT,
    truth: {
      root_cause: { entity: `node:${nodeName(0)}`, kind: "node.network-allowance" },
      notes:
        "At fault_start a token-bucket filter limited what the node running PgBouncer sends to 1 Mbit/s (100 ms of queue), below the workers' 2.6 Mbit/s of results; alert_time is when failed jobs had stayed above 0.5/s (over 30 s) for a minute.",
    },
  },
  {
    name: "network-allowance-headroom",
    description:
      "the same node is limited to 40 Mbit/s out, far above the 2.6 Mbit/s it sends: nothing queues or drops",
    ...ALLOWANCE_SHOP,
    fault: { kind: "node-rate-limit", rateKbit: 40_000, burstBytes: 65_536, latencyMs: SHAPER_QUEUE_MS },
    alert: { afterSeconds: HEADROOM_ALERT_SECONDS },
    truth: {
      root_cause: null,
      notes: `At fault_start a token-bucket filter limited what the node running PgBouncer sends to 40 Mbit/s, fifteen times what it sends; alert_time is ${HEADROOM_ALERT_SECONDS} s later.`,
    },
  },
  {
    name: "log-flood",
    description:
      "ratings' log level is switched to DEBUG on every pod and stays there: tens of thousands of lines a second, its CPU, disk writes and latency rise",
    ...FLOOD_SHOP,
    fault: { kind: "log-level", service: "ratings", level: "DEBUG" },
    alert: { afterSeconds: LATENCY_ALERT_SECONDS },
    truth: {
      root_cause: { entity: "service:ratings", kind: "logging.flood" },
      notes: `ratings' ROOT log level set to DEBUG on every pod at fault_start (Spring Boot's /actuator/loggers), writing about ${RATINGS_DEBUG_LINES} lines per request; alert_time is ${LATENCY_ALERT_SECONDS} s later, when a latency alert would page.`,
    },
  },
  {
    name: "log-flood-debug-window",
    description: `shipping's log level is DEBUG for ${DEBUG_WINDOW_SECONDS} s (a few hundred lines a second) and set back to INFO; nothing slows down`,
    ...FLOOD_SHOP,
    fault: { kind: "log-level", service: "shipping", level: "DEBUG", forSeconds: DEBUG_WINDOW_SECONDS },
    alert: { afterSeconds: LOG_VOLUME_ALERT_SECONDS },
    truth: {
      root_cause: null,
      notes: `shipping's ROOT log level set to DEBUG on every pod at fault_start and back to INFO ${DEBUG_WINDOW_SECONDS} s later, about ${SHIPPING_DEBUG_LINES} lines per request, within what it writes without slowing down; alert_time is ${LOG_VOLUME_ALERT_SECONDS} s after the change, when a log-volume alert would page.`,
    },
  },
  ...BROKER_SCENARIOS,
];

export function labScenario(name: string): LabScenario | undefined {
  return LAB_SCENARIOS.find((s) => s.name === name);
}
