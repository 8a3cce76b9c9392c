/**
 * A scratch MariaDB: a fresh data directory (mariadb-install-db), mariadbd on 127.0.0.1 at a free
 * port with a small max_connections, the shop's schema, and one MySQL user per client service so the
 * processlist by user names who holds the connections.
 */
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import mysql from "mysql2/promise";
import { freePort, LOOPBACK, waitUntil } from "./net.js";
import type { ProcessGroup } from "./processes.js";
import { BINARIES } from "./requirements.js";

const run = promisify(execFile);

/** Rows in the shop's items table: enough for varied point lookups, small enough to create in a second. */
const ITEM_ROWS = 1000;
/** mariadbd creates its socket and opens the port within seconds; slow disks get a margin. */
const START_TIMEOUT_MS = 60_000;
/** InnoDB's buffer pool: the scratch data is tiny, and the machine is shared. */
const BUFFER_POOL = "32M";

export interface MariaDb {
  host: string;
  port: number;
  /** Password of every client user (a scratch server on loopback; the name says it is not a secret). */
  passwordOf(user: string): string;
  database: string;
}

export interface MariaDbOptions {
  maxConnections: number;
  /** MySQL users to create with read access to the shop's schema (one per client service). */
  clientUsers: string[];
  /** The user the exporter connects as (PROCESS to see every thread, CONNECTION ADMIN for the extra slot at the limit). */
  exporterUser: string;
}

export async function startMariaDb(group: ProcessGroup, scratch: string, options: MariaDbOptions): Promise<MariaDb> {
  const datadir = join(scratch, "mariadb");
  await mkdir(datadir, { recursive: true });
  const logFile = join(scratch, "mariadb.log");
  // Temporary tables in the scratch dir: two runs bootstrapping at once collide on names in /tmp.
  const tmpdir = `--tmpdir=${scratch}`;
  await run(BINARIES.mariadbInstallDb.command, [
    "--no-defaults",
    `--datadir=${datadir}`,
    "--user=root",
    "--auth-root-authentication-method=normal",
    "--skip-test-db",
    tmpdir,
  ]).catch((err: Error & { stderr?: string }) => {
    const lastLine = (err.stderr ?? err.message).trim().split("\n").pop();
    throw new Error(`mariadb-install-db failed to initialise ${datadir}: ${lastLine}`);
  });
  const port = await freePort();
  const socket = join(scratch, "mariadb.sock");
  const proc = group.start(
    "mariadbd",
    BINARIES.mariadbd.command,
    [
      "--no-defaults",
      `--datadir=${datadir}`,
      tmpdir,
      "--user=root",
      `--bind-address=${LOOPBACK}`,
      `--port=${port}`,
      `--socket=${socket}`,
      `--pid-file=${join(scratch, "mariadb.pid")}`,
      `--max-connections=${options.maxConnections}`,
      "--skip-name-resolve",
      `--innodb-buffer-pool-size=${BUFFER_POOL}`,
      "--performance-schema=OFF",
      `--log-error=${logFile}`,
    ],
    { logFile },
  );
  const asRoot = () => mysql.createConnection({ socketPath: socket, user: "root", multipleStatements: true });
  await waitUntil(
    "mariadbd",
    async () => {
      const conn = await asRoot();
      await conn.end();
      return true;
    },
    { timeoutMs: START_TIMEOUT_MS, alive: () => group.isRunning(proc), logFile },
  );
  const db: MariaDb = { host: LOOPBACK, port, database: "shop", passwordOf: (user) => `${user}-lab` };
  const root = await asRoot();
  try {
    await root.query(provisionSql(db, options));
  } finally {
    await root.end();
  }
  return db;
}

function provisionSql(db: MariaDb, options: MariaDbOptions): string {
  const user = (name: string) => `'${name}'@'${LOOPBACK}' IDENTIFIED BY '${db.passwordOf(name)}'`;
  return [
    `CREATE DATABASE ${db.database}`,
    `USE ${db.database}`,
    `CREATE TABLE ${db.database}.items (id INT PRIMARY KEY, name VARCHAR(64), price DECIMAL(8,2), rating TINYINT)`,
    // seq_1_to_N is MariaDB's Sequence engine: the rows without a client-side loop.
    `INSERT INTO ${db.database}.items SELECT seq, CONCAT('item-', seq), seq % 100 + 0.99, seq % 5 + 1 FROM seq_1_to_${ITEM_ROWS}`,
    ...options.clientUsers.flatMap((name) => [
      `CREATE USER ${user(name)}`,
      `GRANT SELECT ON ${db.database}.* TO '${name}'@'${LOOPBACK}'`,
    ]),
    `CREATE USER ${user(options.exporterUser)}`,
    `GRANT PROCESS, REPLICATION CLIENT, SELECT, CONNECTION ADMIN ON *.* TO '${options.exporterUser}'@'${LOOPBACK}'`,
  ]
    .map((statement) => `${statement};`)
    .join("\n");
}
