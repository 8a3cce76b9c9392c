/**
 * A PgBouncer pod on a lab node: PgBouncer (transaction pooling, as the seed incident ran it) and its
 * exporter sidecar, both inside the node's namespace and listening on the node's address, so the pod
 * lives and dies with its node. PgBouncer reaches PostgreSQL at the host's end of the node's link.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { httpOk, waitUntil } from "./net.js";
import { type LabNode, onNode } from "./netns.js";
import { PGBOUNCER_EXPORTER_ENV, type PgBouncerExporterConfig } from "./pgbouncerExporter.js";
import { POSTGRES_USER, type Postgres, postgresDir } from "./postgres.js";
import type { LabProcess, ProcessGroup } from "./processes.js";
import { asUser, BINARIES } from "./requirements.js";

/** PgBouncer's and its exporter's usual ports (the node has an address of its own, so no clash). */
export const PGBOUNCER_PORT = 6432;
const EXPORTER_PORT = 9127;
/** PgBouncer and a Node exporter are up in about a second. */
const START_TIMEOUT_MS = 30_000;
/** How long a safe shutdown (SIGINT: wait for transactions to finish) may take before the pod is killed. */
const SAFE_SHUTDOWN_MS = 30_000;
const EXPORTER_ENTRY = fileURLToPath(new URL("./pgbouncerExporter.js", import.meta.url));

export interface PgBouncerSpec {
  /** The pod's name (`pgbouncer-<replicaset>-<suffix>`). */
  pod: string;
  /** Server connections per database and user (default_pool_size). */
  poolSize: number;
  maxClientConn: number;
  /** The PostgreSQL roles clients log in as (trust: the lab's own addresses only). */
  users: string[];
}

export interface PgBouncerPod {
  pod: string;
  node: LabNode;
  /** host:port clients connect to. */
  address: string;
  /** host:port of the exporter sidecar. */
  metricsAddress: string;
  pgbouncer: LabProcess;
  exporter: LabProcess;
}

export async function startPgBouncer(
  group: ProcessGroup,
  scratch: string,
  node: LabNode,
  db: Postgres,
  spec: PgBouncerSpec,
): Promise<PgBouncerPod> {
  const dir = await postgresDir(scratch, spec.pod);
  const usersFile = join(dir, "userlist.txt");
  await writeFile(usersFile, [POSTGRES_USER, ...spec.users].map((u) => `"${u}" ""\n`).join(""));
  const ini = join(dir, "pgbouncer.ini");
  await writeFile(
    ini,
    [
      "[databases]",
      `${db.database} = host=${node.hostAddress} port=${db.port} dbname=${db.database}`,
      "[pgbouncer]",
      `listen_addr = ${node.address}`,
      `listen_port = ${PGBOUNCER_PORT}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${usersFile}`,
      "pool_mode = transaction",
      `admin_users = ${POSTGRES_USER}`,
      `default_pool_size = ${spec.poolSize}`,
      `max_client_conn = ${spec.maxClientConn}`,
      "",
    ].join("\n"),
  );
  const logFile = join(scratch, `${spec.pod}.log`);
  const server = asUser(POSTGRES_USER, BINARIES.pgbouncer.command, [ini]);
  const onIt = onNode(node, server.command, server.args);
  const pgbouncer = group.start(`${spec.pod} pgbouncer`, onIt.command, onIt.args, { logFile });
  const exporterConfig: PgBouncerExporterConfig = {
    listen: { host: node.address, port: EXPORTER_PORT },
    pgbouncer: { host: node.address, port: PGBOUNCER_PORT, user: POSTGRES_USER },
  };
  const sidecar = onNode(node, process.execPath, [EXPORTER_ENTRY]);
  const exporter = group.start(`${spec.pod} exporter`, sidecar.command, sidecar.args, {
    logFile,
    env: { ...process.env, [PGBOUNCER_EXPORTER_ENV]: JSON.stringify(exporterConfig) },
  });
  const metricsAddress = `${node.address}:${EXPORTER_PORT}`;
  await waitUntil(
    `pgbouncer pod ${spec.pod}`,
    async () => (await httpOk(`http://${metricsAddress}/metrics`)) && (await pgbouncerUp(metricsAddress)),
    { timeoutMs: START_TIMEOUT_MS, alive: () => group.isRunning(pgbouncer) && group.isRunning(exporter), logFile },
  );
  return { pod: spec.pod, node, address: `${node.address}:${PGBOUNCER_PORT}`, metricsAddress, pgbouncer, exporter };
}

async function pgbouncerUp(metricsAddress: string): Promise<boolean> {
  const response = await fetch(`http://${metricsAddress}/metrics`, { signal: AbortSignal.timeout(2_000) });
  return (await response.text()).includes("pgbouncer_up 1");
}

/**
 * A planned stop, as a preStop hook's `kill -INT 1` does it: PgBouncer's safe shutdown waits for
 * transactions in flight to finish, then exits; the sidecar stops after it.
 */
export async function stopGracefully(group: ProcessGroup, pod: PgBouncerPod): Promise<void> {
  pod.pgbouncer.child.kill("SIGINT");
  await Promise.race([pod.pgbouncer.exited, new Promise((resolve) => setTimeout(resolve, SAFE_SHUTDOWN_MS))]);
  await group.stop(pod.pgbouncer);
  await group.stop(pod.exporter);
}
