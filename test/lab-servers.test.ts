/**
 * The lab against real servers (skipped, saying why, where scripts/lab-install.sh has not been run):
 * a full MariaDB refuses with the driver's real error, and an interrupted run leaves no process and
 * no scratch directory behind.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import mysql from "mysql2/promise";
import { startMariaDb } from "../src/lab/mariadb.js";
import { ProcessGroup } from "../src/lab/processes.js";
import { startRabbitMq } from "../src/lab/rabbitmq.js";
import { BINARIES, type Binary, which } from "../src/lab/requirements.js";
import { binariesFor, SCRATCH_PREFIX } from "../src/lab/run.js";
import { labScenario } from "../src/lab/scenarios.js";
import { ConnectionPool } from "../src/lab/shop/pool.js";
import { isAlive, pidsMentioning } from "./helpers/processes.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
/** A suite's skip reason when any binary it runs is missing (scripts/lab-install.sh installs them). */
function skipWithout(binaries: Binary[]): string | false {
  const missing = binaries.filter((b) => !which(b.command));
  return missing.length > 0 ? `needs ${missing.map((b) => b.pkg).join(", ")} (scripts/lab-install.sh)` : false;
}
const connectionCollapse = labScenario("connection-collapse");
/** A test run's limit: servers start in seconds; this bounds a hung start. */
const TEST_TIMEOUT_MS = 120_000;

describe("lab servers", {
  skip: connectionCollapse ? skipWithout(binariesFor(connectionCollapse)) : "no scenario",
}, () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "beneath-lab-test-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test("a MariaDB at max_connections refuses a client with ER_CON_COUNT_ERROR, and the pool times its borrower out with that cause", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const group = new ProcessGroup();
    const scratch = await mkdtemp(join(root, "db-"));
    const held: mysql.Connection[] = [];
    let pool: ConnectionPool | undefined;
    try {
      // MariaDB's smallest max_connections (it raises anything lower to 10).
      const maxConnections = 10;
      const db = await startMariaDb(group, scratch, {
        maxConnections,
        clientUsers: ["shipping"],
        exporterUser: "exporter",
      });
      const connect = {
        host: db.host,
        port: db.port,
        user: "shipping",
        password: db.passwordOf("shipping"),
        database: db.database,
      };
      for (let i = 0; i < maxConnections; i++) held.push(await mysql.createConnection(connect));
      const connectErrors: Error[] = [];
      pool = new ConnectionPool(
        "test-pool",
        { max: 2, min: 0, idleTimeoutMs: null, maxLifetimeMs: null, connectionTimeoutMs: 1000 },
        connect,
        (err) => connectErrors.push(err),
      );
      // As HikariCP: the borrower times out, and the timeout carries the driver's refusal as its cause.
      await assert.rejects(pool.acquire(), (err: Error & { code?: string }) => {
        assert.equal(err.code, "ER_CON_COUNT_ERROR");
        assert.match(
          err.message,
          /Connection is not available, request timed out after 1000ms\. Caused by: .*Too many connections/,
        );
        return true;
      });
      assert.ok(connectErrors.length >= 1);
      assert.ok(connectErrors.every((e) => (e as Error & { code?: string }).code === "ER_CON_COUNT_ERROR"));
      // One connection freed: the pool gets it, and its gauges count it.
      await held.pop()?.end();
      const conn = await pool.acquire();
      assert.equal(pool.activeCount, 1);
      pool.release(conn);
      assert.deepEqual([pool.activeCount, pool.idleCount], [0, 1]);
    } finally {
      await pool?.close();
      await Promise.all(held.map((c) => c.end()));
      await group.stopAll();
    }
    for (const pid of group.startedPids()) assert.equal(isAlive(pid), false, `pid ${pid} still running`);
  });

  test("Ctrl-C on `beneath lab` stops everything it started, removes its scratch directory and exits 130", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const child = spawn(process.execPath, [MAIN, "lab", "connection-collapse-surge", "--out", join(root, "cli-out")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let scratch = "";
    let ours: number[] = [];
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      scratch ||= stderr.match(new RegExp(`scratch (\\S*${SCRATCH_PREFIX}\\S+);`))?.[1] ?? "";
      if (scratch && ours.length === 0 && stderr.includes("baseline")) {
        ours = pidsMentioning(scratch);
        child.kill("SIGINT");
      }
    });
    const code = await exited;
    assert.equal(code, 130, stderr);
    assert.ok(scratch, `the run named its scratch directory: ${stderr}`);
    // mariadbd, the exporters' and Prometheus's config paths, and each pod's environment name it.
    assert.ok(ours.length >= 5, `found ${ours.length} processes using ${scratch}`);
    for (const pid of ours) assert.equal(isAlive(pid), false, `pid ${pid} still running`);
    assert.deepEqual(pidsMentioning(scratch), []);
    assert.equal(existsSync(scratch), false);
  });
});

describe("lab RabbitMQ", { skip: skipWithout([BINARIES.rabbitmqServer, BINARIES.epmd]) }, () => {
  test("a scratch node serves its metrics with the configured watermark, listens on loopback only, and stops with every process it forked", {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const scratch = await mkdtemp(join(tmpdir(), "beneath-lab-test-rabbitmq-"));
    const group = new ProcessGroup();
    let forked: number[] = [];
    try {
      const watermarkBytes = 512 * 1024 * 1024;
      const broker = await startRabbitMq(group, scratch, { watermarkBytes });
      const metrics = await (await fetch(`http://${broker.metricsAddress}/metrics`)).text();
      assert.match(metrics, new RegExp(`^rabbitmq_resident_memory_limit_bytes ${watermarkBytes}$`, "m"));
      assert.match(metrics, /^rabbitmq_alarms_memory_used_watermark 0$/m);
      // The Erlang VM, its helpers and epmd: started by the script, found by the scratch path they carry.
      forked = pidsMentioning(scratch);
      assert.ok(forked.length >= 2, `found ${forked.length} processes`);
      const listening = spawnSync("ss", ["-ltnpH"], { encoding: "utf8" }).stdout.split("\n");
      const ours = listening.filter((line) => forked.some((pid) => line.includes(`pid=${pid},`)));
      assert.ok(ours.length >= 3, `listening sockets: ${ours.join(" | ")}`);
      for (const line of ours) assert.match(line, /\s127\.0\.0\.1:\d+\s/, line);
    } finally {
      await group.stopAll();
      await rm(scratch, { recursive: true, force: true });
    }
    for (const pid of [...group.startedPids(), ...forked])
      assert.equal(isAlive(pid), false, `pid ${pid} still running`);
  });
});
