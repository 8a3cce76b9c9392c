/**
 * A scratch PostgreSQL: a fresh cluster (initdb) in the run's scratch directory, run as the Debian
 * `postgres` user (PostgreSQL refuses root), listening on 127.0.0.1 and on the host's end of each lab
 * node's link (a pooler on a node reaches it there), with the shop's table and one role per client.
 */
import { execFile } from "node:child_process";
import { chmod, chown, mkdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, sep } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort, LOOPBACK, waitUntil } from "./net.js";
import { LAB_NET } from "./netns.js";
import type { ProcessGroup } from "./processes.js";
import { asUser, postgresBinary, systemUser } from "./requirements.js";

const run = promisify(execFile);

/** The Debian package's system user: owns the data directory and runs the server. */
export const POSTGRES_USER = "postgres";
/** Rows in the shop's items table, as in the MariaDB lab. */
const ITEM_ROWS = 1000;
/** initdb and the first start take seconds; a shared machine gets a margin. */
const START_TIMEOUT_MS = 60_000;

export interface Postgres {
  host: string;
  port: number;
  database: string;
  /** The superuser the exporter and the lab connect as (trust authentication: scratch server, lab addresses only). */
  superuser: string;
}

export interface PostgresOptions {
  /** Addresses to listen on besides 127.0.0.1 (the host ends of lab nodes' links). */
  listen: string[];
  maxConnections: number;
  /** Roles to create with read access to the shop's table. */
  clientUsers: string[];
}

/**
 * A directory the postgres user may write in: the scratch directory itself stays root's, only
 * traversable (0711), so the server reaches its own subdirectory and nothing else.
 */
export async function postgresDir(scratch: string, name: string): Promise<string> {
  const { uid, gid } = systemUser(POSTGRES_USER);
  await chmod(scratch, 0o711);
  // Folders between the temp dir and the scratch (a test's own) must be traversable too: search only, no listing.
  for (let dir = dirname(scratch); dir.startsWith(`${tmpdir()}${sep}`); dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, (mode & 0o7777) | 0o001);
  }
  const dir = join(scratch, name);
  await mkdir(dir, { recursive: true });
  await chown(dir, uid, gid);
  return dir;
}

export async function startPostgres(group: ProcessGroup, scratch: string, options: PostgresOptions): Promise<Postgres> {
  const home = await postgresDir(scratch, "postgres");
  const data = join(home, "data");
  const initdb = asUser(POSTGRES_USER, postgresBinary("initdb"), [
    "-D",
    data,
    "-U",
    POSTGRES_USER,
    "--auth=trust",
    "-E",
    "UTF8",
    "--no-sync",
  ]);
  await run(initdb.command, initdb.args).catch((err: Error & { stderr?: string }) => {
    const lastLine = (err.stderr ?? err.message).trim().split("\n").pop();
    throw new Error(`initdb failed to initialise ${data}: ${lastLine}`);
  });
  // Trust on loopback and the lab's own links only: a scratch server nobody else can reach.
  await writeFile(
    join(data, "pg_hba.conf"),
    ["local all all trust", `host all all ${LOOPBACK}/32 trust`, `host all all ${LAB_NET} trust`, ""].join("\n"),
  );
  const port = await freePort();
  const logFile = join(scratch, "postgres.log");
  const server = asUser(POSTGRES_USER, postgresBinary("postgres"), [
    "-D",
    data,
    "-c",
    `listen_addresses=${[LOOPBACK, ...options.listen].join(",")}`,
    "-c",
    `port=${port}`,
    // TCP only: a socket path under a deep scratch directory passes the 107 bytes a Unix socket name may have.
    "-c",
    "unix_socket_directories=",
    "-c",
    `max_connections=${options.maxConnections}`,
    // The scratch data is tiny and the machine shared.
    "-c",
    "shared_buffers=16MB",
    "-c",
    "fsync=off",
    // Checkpoints every 30 s (the shortest allowed) instead of 5 min: the baseline then holds them, and
    // a run's first one does not land in its incident window as something new.
    "-c",
    "checkpoint_timeout=30s",
  ]);
  const proc = group.start("postgres", server.command, server.args, { logFile });
  const db: Postgres = { host: LOOPBACK, port, database: "shop", superuser: POSTGRES_USER };
  const connect = (database: string) => new pg.Client({ host: LOOPBACK, port, user: POSTGRES_USER, database });
  await waitUntil(
    "postgres",
    async () => {
      const client = connect("postgres");
      await client.connect();
      await client.end();
      return true;
    },
    { timeoutMs: START_TIMEOUT_MS, alive: () => group.isRunning(proc), logFile },
  );
  const admin = connect("postgres");
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${db.database}`);
  } finally {
    await admin.end();
  }
  const shop = connect(db.database);
  await shop.connect();
  try {
    await shop.query(provisionSql(options.clientUsers));
  } finally {
    await shop.end();
  }
  return db;
}

function provisionSql(clientUsers: string[]): string {
  return [
    "CREATE TABLE items (id INT PRIMARY KEY, name TEXT, price NUMERIC(8,2), rating SMALLINT)",
    `INSERT INTO items SELECT n, 'item-' || n, n % 100 + 0.99, n % 5 + 1 FROM generate_series(1, ${ITEM_ROWS}) AS n`,
    ...clientUsers.flatMap((name) => [`CREATE ROLE ${name} LOGIN`, `GRANT SELECT ON items TO ${name}`]),
  ]
    .map((statement) => `${statement};`)
    .join("\n");
}
