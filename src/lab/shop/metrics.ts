/**
 * A shop pod's metrics, named as a Spring Boot service exports them through Micrometer (what the
 * services in the incidents beneath is built for run): `http_server_requests_seconds` with method,
 * uri, status and outcome, and the pool as HikariCP's `hikaricp_connections*`. Every series carries
 * `service`, `pod` and `namespace`, as a Kubernetes scrape would add them.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { LEVELS, type Level } from "./log.js";
import type { PodConfig } from "./podConfig.js";
import type { ConnectionPool } from "./pool.js";

/** Latency buckets (s): from a fast lookup to a request stuck behind a pool's connection timeout. */
const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface PodMetrics {
  registry: Registry;
  observeRequest(uri: string, status: number, seconds: number): void;
  countPoolTimeout(): void;
  /** One log line written at this level (Micrometer's LogbackMetrics: `logback_events_total{level}`). */
  countLogLine(level: Level): void;
}

/** Micrometer's `outcome` tag from a status code. */
function outcomeOf(status: number): string {
  if (status >= 500) return "SERVER_ERROR";
  if (status >= 400) return "CLIENT_ERROR";
  return "SUCCESS";
}

export function podMetrics(config: PodConfig, pool: ConnectionPool | undefined): PodMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: config.service, pod: config.pod, namespace: config.namespace });
  collectDefaultMetrics({ register: registry });
  const requests = new Histogram({
    name: "http_server_requests_seconds",
    help: "Duration of HTTP server request handling",
    labelNames: ["method", "uri", "status", "outcome"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const timeouts = new Counter({
    name: "hikaricp_connections_timeout_total",
    help: "Connection timeout total count",
    labelNames: ["pool"],
    registers: [registry],
  });
  const logLines = new Counter({
    name: "logback_events_total",
    help: "Number of log events that were enabled by the effective log level",
    labelNames: ["level"],
    registers: [registry],
  });
  // Micrometer registers every level's counter up front, so a level that starts being written rises from 0.
  for (const level of LEVELS) logLines.inc({ level: level.toLowerCase() }, 0);
  if (pool) registerPoolGauges(registry, pool);
  return {
    registry,
    observeRequest: (uri, status, seconds) =>
      requests.observe({ method: "GET", uri, status: String(status), outcome: outcomeOf(status) }, seconds),
    countPoolTimeout: () => timeouts.inc({ pool: pool?.name ?? "" }),
    countLogLine: (level) => logLines.inc({ level: level.toLowerCase() }),
  };
}

function registerPoolGauges(registry: Registry, pool: ConnectionPool): void {
  const gauges: [string, string, () => number][] = [
    ["hikaricp_connections", "Total connections", () => pool.total],
    ["hikaricp_connections_active", "Active connections", () => pool.activeCount],
    ["hikaricp_connections_idle", "Idle connections", () => pool.idleCount],
    ["hikaricp_connections_pending", "Pending threads", () => pool.pending],
    ["hikaricp_connections_max", "Max connections", () => pool.spec.max],
    ["hikaricp_connections_min", "Min connections", () => pool.spec.min],
  ];
  for (const [name, help, read] of gauges) {
    new Gauge({
      name,
      help,
      labelNames: ["pool"],
      registers: [registry],
      collect() {
        this.set({ pool: pool.name }, read());
      },
    });
  }
}
