/**
 * A PgBouncer exporter, run by `beneath lab` beside each PgBouncer (its pod's sidecar): on every scrape
 * it reads PgBouncer's admin console (SHOW STATS, SHOW POOLS, SHOW DATABASES) and answers with the
 * metric names of prometheus-community/pgbouncer_exporter. Debian's prometheus-pgbouncer-exporter
 * (1.7) cannot read PgBouncer 1.18's SHOW STATS (it asks for a column removed in 1.8), hence this one.
 */
import { createServer } from "node:http";
import pg from "pg";

/** The environment variable holding the exporter's configuration (JSON). */
export const PGBOUNCER_EXPORTER_ENV = "BENEATH_LAB_PGBOUNCER_EXPORTER";

export interface PgBouncerExporterConfig {
  /** Where the exporter listens. */
  listen: { host: string; port: number };
  /** PgBouncer's address and an admin or stats user. */
  pgbouncer: { host: string; port: number; user: string };
}

/** A scrape gives up on PgBouncer after this long, so Prometheus sees `pgbouncer_up 0`, not a hung scrape. */
const QUERY_TIMEOUT_MS = 1_000;

type Row = Record<string, string | number | null>;

interface Family {
  name: string;
  type: "gauge" | "counter";
  help: string;
  /** The admin command whose rows it reads, the column, the labels taken from other columns, and a scale. */
  from: "STATS" | "POOLS" | "DATABASES";
  column: string;
  labels: Record<string, string>;
  scale?: number;
}

const MICROSECONDS = 1e-6;
const FAMILIES: Family[] = [
  {
    name: "pgbouncer_stats_queries_pooled_total",
    type: "counter",
    help: "Total number of SQL queries pooled",
    from: "STATS",
    column: "total_query_count",
    labels: { database: "database" },
  },
  {
    name: "pgbouncer_stats_sql_transactions_pooled_total",
    type: "counter",
    help: "Total number of SQL transactions pooled",
    from: "STATS",
    column: "total_xact_count",
    labels: { database: "database" },
  },
  {
    name: "pgbouncer_stats_received_bytes_total",
    type: "counter",
    help: "Total volume in bytes of network traffic received by pgbouncer",
    from: "STATS",
    column: "total_received",
    labels: { database: "database" },
  },
  {
    name: "pgbouncer_stats_sent_bytes_total",
    type: "counter",
    help: "Total volume in bytes of network traffic sent by pgbouncer",
    from: "STATS",
    column: "total_sent",
    labels: { database: "database" },
  },
  {
    name: "pgbouncer_stats_queries_duration_seconds_total",
    type: "counter",
    help: "Total number of seconds spent by pgbouncer when actively connected to PostgreSQL, executing queries",
    from: "STATS",
    column: "total_query_time",
    labels: { database: "database" },
    scale: MICROSECONDS,
  },
  {
    name: "pgbouncer_stats_client_wait_seconds_total",
    type: "counter",
    help: "Time spent by clients waiting for a server, in seconds",
    from: "STATS",
    column: "total_wait_time",
    labels: { database: "database" },
    scale: MICROSECONDS,
  },
  {
    name: "pgbouncer_pools_client_active_connections",
    type: "gauge",
    help: "Client connections linked to server connection and able to process queries",
    from: "POOLS",
    column: "cl_active",
    labels: { database: "database", user: "user" },
  },
  {
    name: "pgbouncer_pools_client_waiting_connections",
    type: "gauge",
    help: "Client connections waiting on a server connection",
    from: "POOLS",
    column: "cl_waiting",
    labels: { database: "database", user: "user" },
  },
  {
    name: "pgbouncer_pools_server_active_connections",
    type: "gauge",
    help: "Server connections linked to a client connection",
    from: "POOLS",
    column: "sv_active",
    labels: { database: "database", user: "user" },
  },
  {
    name: "pgbouncer_pools_server_idle_connections",
    type: "gauge",
    help: "Server connections idle and ready for a client query",
    from: "POOLS",
    column: "sv_idle",
    labels: { database: "database", user: "user" },
  },
  {
    name: "pgbouncer_pools_server_used_connections",
    type: "gauge",
    help: "Server connections idle more than server_check_delay, needing server_check_query",
    from: "POOLS",
    column: "sv_used",
    labels: { database: "database", user: "user" },
  },
  {
    name: "pgbouncer_pools_client_maxwait_seconds",
    type: "gauge",
    help: "Age of oldest unserved client connection, in seconds",
    from: "POOLS",
    column: "maxwait",
    labels: { database: "database", user: "user" },
  },
  {
    name: "pgbouncer_databases_pool_size",
    type: "gauge",
    help: "Maximum number of server connections",
    from: "DATABASES",
    column: "pool_size",
    labels: { name: "name", database: "database" },
  },
  {
    name: "pgbouncer_databases_current_connections",
    type: "gauge",
    help: "Current number of connections for this database",
    from: "DATABASES",
    column: "current_connections",
    labels: { name: "name", database: "database" },
  },
];

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** The text exposition of the families from the admin console's answers. */
export function exposition(answers: Record<Family["from"], Row[]>): string {
  const lines: string[] = [];
  for (const f of FAMILIES) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const row of answers[f.from]) {
      const raw = row[f.column];
      const value = raw === null || raw === undefined || raw === "" ? Number.NaN : Number(raw);
      if (!Number.isFinite(value)) continue;
      const labels = Object.entries(f.labels)
        .map(([label, column]) => `${label}="${escapeLabel(String(row[column] ?? ""))}"`)
        .join(",");
      lines.push(`${f.name}{${labels}} ${value * (f.scale ?? 1)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

async function scrape(config: PgBouncerExporterConfig): Promise<string> {
  const client = new pg.Client({
    ...config.pgbouncer,
    database: "pgbouncer",
    connectionTimeoutMillis: QUERY_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
  });
  try {
    await client.connect();
    // The admin console takes only the simple query protocol: no parameters.
    const read = async (command: Family["from"]) => (await client.query<Row>(`SHOW ${command}`)).rows;
    const answers = { STATS: await read("STATS"), POOLS: await read("POOLS"), DATABASES: await read("DATABASES") };
    return `# TYPE pgbouncer_up gauge\npgbouncer_up 1\n${exposition(answers)}`;
  } catch {
    return "# TYPE pgbouncer_up gauge\npgbouncer_up 0\n";
  } finally {
    await client.end().catch(() => {});
  }
}

function main(): void {
  const text = process.env[PGBOUNCER_EXPORTER_ENV];
  if (!text) throw new Error(`${PGBOUNCER_EXPORTER_ENV} is not set: the exporter is started by \`beneath lab\``);
  const config = JSON.parse(text) as PgBouncerExporterConfig;
  const server = createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    scrape(config).then((body) => res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" }).end(body));
  });
  server.listen(config.listen.port, config.listen.host);
  process.once("SIGTERM", () => server.close(() => process.exit(0)));
}

if (process.env[PGBOUNCER_EXPORTER_ENV]) main();
