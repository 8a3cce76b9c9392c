/**
 * The real servers and exporters a lab scenario declares, as data (`{ kind: "mariadb", maxConnections: 60 }`),
 * and how each kind is started: the binaries it needs, what it hands the shop (a database to connect
 * to), and the scrape jobs Prometheus gets for it. A new kind is one entry in `ServerSpecs` and one in
 * `STARTERS`; the runner starts only the servers a scenario lists, in its order.
 */
import type { MariaDb } from "./mariadb.js";
import { startMariaDb } from "./mariadb.js";
import { type ScrapeJob, startMysqldExporter, startNodeExporter } from "./monitoring.js";
import { deleteNode } from "./netns.js";
import { PoolerCluster, type PoolerSpec } from "./pooler.js";
import type { ProcessGroup } from "./processes.js";
import { type RabbitMq, startRabbitMq } from "./rabbitmq.js";
import { BINARIES, type Binary } from "./requirements.js";
import type { ServiceDef, ServiceVersion } from "./shop.js";

/** Each server kind and the settings a scenario gives it. */
export interface ServerSpecs {
  /** A scratch MariaDB (one MySQL user per shop service that uses it) and prometheus-mysqld-exporter. */
  mariadb: { maxConnections: number };
  /** prometheus-node-exporter with only these collectors (the host's CPU, memory, disks, ...). */
  "node-exporter": { collectors: string[] };
  /** A scratch RabbitMQ node with rabbitmq_prometheus, its memory watermark this far above its settled memory. */
  rabbitmq: { watermarkHeadroomBytes: number };
  /** PostgreSQL and its exporter on the host, PgBouncer and node_exporter on lab nodes (network namespaces), one Service in front. */
  pooler: PoolerSpec;
}

export type ServerKind = keyof ServerSpecs;
type SpecOf<K extends ServerKind> = { kind: K } & ServerSpecs[K];
export type ServerSpec = { [K in ServerKind]: SpecOf<K> }[ServerKind];

/** What the started servers offer the shop's pods (filled by the kinds a scenario runs). */
export interface Backends {
  mariadb?: MariaDb;
  rabbitmq?: RabbitMq;
  pooler?: PoolerCluster;
}

export interface ServerContext {
  group: ProcessGroup;
  scratch: string;
  services: ServiceDef[];
  versions: Record<string, ServiceVersion>;
  backends: Backends;
  /** Cleanups run after every process is stopped (a server's network namespaces), also when a run fails. */
  cleanups: (() => Promise<void>)[];
}

interface Starter<K extends ServerKind> {
  binaries: Binary[];
  /** One line for the run's progress ("MariaDB (max_connections 60)"). */
  describe(spec: ServerSpecs[K]): string;
  /** Starts the server (and its exporter), records what it offers in `ctx.backends`, returns its scrape jobs. */
  start(spec: ServerSpecs[K], ctx: ServerContext): Promise<ScrapeJob[]>;
}

const MIB = 1024 * 1024;
/** The MySQL user the exporter connects as. */
const EXPORTER_USER = "exporter";
/**
 * Of MariaDB's ~480 global variables (constant settings), the ones about connections and memory:
 * the rest would be half of a recording's files and say nothing that changes.
 */
const MYSQL_VARIABLES_KEPT = {
  prefix: "mysql_global_variables_",
  names: ["max_connections", "max_user_connections", "wait_timeout", "thread_cache_size", "innodb_buffer_pool_size"],
};

const STARTERS: { [K in ServerKind]: Starter<K> } = {
  mariadb: {
    binaries: [BINARIES.mariadbInstallDb, BINARIES.mariadbd, BINARIES.mysqldExporter],
    describe: (spec) => `MariaDB (max_connections ${spec.maxConnections})`,
    async start(spec, ctx) {
      const clientUsers = ctx.services.filter((s) => ctx.versions[s.name]?.db).map((s) => s.name);
      const db = await startMariaDb(ctx.group, ctx.scratch, {
        maxConnections: spec.maxConnections,
        clientUsers,
        exporterUser: EXPORTER_USER,
      });
      ctx.backends.mariadb = db;
      const exporter = await startMysqldExporter(ctx.group, ctx.scratch, db, EXPORTER_USER);
      return [{ job: "mysql", targets: [exporter], keepOnly: MYSQL_VARIABLES_KEPT }];
    },
  },
  "node-exporter": {
    binaries: [BINARIES.nodeExporter],
    describe: (spec) => `node_exporter (${spec.collectors.join(", ")})`,
    async start(spec, ctx) {
      return [{ job: "node", targets: [await startNodeExporter(ctx.group, ctx.scratch, spec.collectors)] }];
    },
  },
  rabbitmq: {
    binaries: [BINARIES.rabbitmqServer, BINARIES.rabbitmqctl, BINARIES.epmd],
    describe: (spec) =>
      `RabbitMQ (memory watermark ${Math.round(spec.watermarkHeadroomBytes / MIB)} MiB above its idle memory)`,
    async start(spec, ctx) {
      const broker = await startRabbitMq(ctx.group, ctx.scratch, spec);
      ctx.backends.rabbitmq = broker;
      // The aggregated /metrics: per-object metrics label connections by Erlang pid only, which names no client.
      return [{ job: "rabbitmq", targets: [broker.metricsAddress] }];
    },
  },
  pooler: {
    binaries: [
      BINARIES.ip,
      BINARIES.iptables,
      BINARIES.setpriv,
      BINARIES.initdb,
      BINARIES.postgres,
      BINARIES.postgresExporter,
      BINARIES.pgbouncer,
      BINARIES.nodeExporter,
    ],
    describe: (spec) =>
      `PostgreSQL (max_connections ${spec.maxConnections}) and PgBouncer (pool ${spec.poolSize}) on ${spec.nodes} lab nodes`,
    async start(spec, ctx) {
      const users = ctx.services.filter((s) => ctx.versions[s.name]?.worker).map((s) => s.name);
      const cluster = await PoolerCluster.start(ctx.group, ctx.scratch, spec, users);
      ctx.cleanups.push(async () => {
        await cluster.close();
        await Promise.all(cluster.labNodes().map(deleteNode));
      });
      ctx.backends.pooler = cluster;
      return cluster.scrapeJobs();
    },
  },
};

export function serverBinaries<K extends ServerKind>(spec: SpecOf<K>): Binary[] {
  return STARTERS[spec.kind].binaries;
}

export function describeServer<K extends ServerKind>(spec: SpecOf<K>): string {
  const starter: Starter<K> = STARTERS[spec.kind];
  return starter.describe(spec);
}

function startServer<K extends ServerKind>(spec: SpecOf<K>, ctx: ServerContext): Promise<ScrapeJob[]> {
  const starter: Starter<K> = STARTERS[spec.kind];
  return starter.start(spec, ctx);
}

/** Starts the servers in the order given; returns every scrape job they need. */
export async function startServers(specs: ServerSpec[], ctx: ServerContext): Promise<ScrapeJob[]> {
  const jobs: ScrapeJob[] = [];
  for (const spec of specs) jobs.push(...(await startServer(spec, ctx)));
  return jobs;
}
