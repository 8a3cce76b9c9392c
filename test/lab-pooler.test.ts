/**
 * The pooler scenarios' own parts: the PgBouncer exporter's exposition, the Service in front of
 * PgBouncer, and lab nodes (network namespaces: skipped, saying why, where the test cannot create them),
 * which must leave no namespace, link or firewall rule behind.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import pg from "pg";
import { createNode, cutOff, deleteNode, inNodeSh, labNamespaces, nodeNamespace } from "../src/lab/netns.js";
import { exposition } from "../src/lab/pgbouncerExporter.js";
import { PoolerCluster } from "../src/lab/pooler.js";
import { ProcessGroup } from "../src/lab/processes.js";
import { BINARIES, which } from "../src/lab/requirements.js";
import { TcpService } from "../src/lab/tcpService.js";
import { isAlive } from "./helpers/processes.js";

describe("PgBouncer exporter", () => {
  test("turns SHOW STATS/POOLS/DATABASES rows into pgbouncer_exporter's series, microseconds as seconds", () => {
    const text = exposition({
      STATS: [
        {
          database: "shop",
          total_query_count: 120,
          total_xact_count: 118,
          total_received: 4096,
          total_sent: 8192,
          total_query_time: 2_500_000,
          total_wait_time: 0,
        },
      ],
      POOLS: [
        {
          database: "shop",
          user: "worker",
          cl_active: 10,
          cl_waiting: 2,
          sv_active: 3,
          sv_idle: 4,
          sv_used: 0,
          maxwait: 1,
        },
      ],
      DATABASES: [{ name: "shop", database: "shop", pool_size: 20, current_connections: 7 }],
    });
    assert.match(text, /^pgbouncer_stats_queries_pooled_total\{database="shop"\} 120$/m);
    assert.match(text, /^pgbouncer_stats_queries_duration_seconds_total\{database="shop"\} 2\.5$/m);
    assert.match(text, /^pgbouncer_pools_client_active_connections\{database="shop",user="worker"\} 10$/m);
    assert.match(text, /^pgbouncer_pools_client_waiting_connections\{database="shop",user="worker"\} 2$/m);
    assert.match(text, /^pgbouncer_databases_pool_size\{name="shop",database="shop"\} 20$/m);
    assert.match(text, /^# TYPE pgbouncer_stats_sent_bytes_total counter$/m);
  });

  test("skips a column that is not a number instead of writing NaN", () => {
    const text = exposition({
      STATS: [],
      POOLS: [{ database: "shop", user: "worker", cl_active: null }],
      DATABASES: [],
    });
    assert.doesNotMatch(text, /pgbouncer_pools_client_active_connections\{/);
  });
});

/** An echo server on loopback: what a client sends comes back. */
async function echoServer(): Promise<{ address: string; close: () => Promise<void>; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.pipe(socket);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    address: `127.0.0.1:${port}`,
    sockets,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function roundTrip(port: number, text: string): Promise<{ socket: Socket; answer: string }> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  socket.write(text);
  const [data] = await once(socket, "data");
  return { socket, answer: String(data) };
}

describe("TcpService", () => {
  test("sends new connections to the endpoint set now, keeps old ones where they were, and closes a client whose endpoint closed", async () => {
    const [a, b] = [await echoServer(), await echoServer()];
    const service = await TcpService.start();
    try {
      service.setEndpoints([a.address]);
      const first = await roundTrip(service.port, "one");
      assert.equal(first.answer, "one");
      assert.equal(a.sockets.size, 1);
      service.setEndpoints([b.address]);
      const second = await roundTrip(service.port, "two");
      assert.equal(second.answer, "two");
      assert.equal(b.sockets.size, 1);
      // The first connection still reaches the endpoint it was made to.
      first.socket.write("still");
      assert.equal(String((await once(first.socket, "data"))[0]), "still");
      const closed = once(first.socket, "close");
      await a.close();
      await closed;
      first.socket.destroy();
      second.socket.destroy();
    } finally {
      await service.close();
      await b.close();
    }
  });
});

const isRoot = process.getuid?.() === 0;
const nodeSkip = !isRoot
  ? "creating network namespaces needs root"
  : [BINARIES.ip, BINARIES.iptables].some((b) => !which(b.command))
    ? "needs iproute2 and iptables (scripts/lab-install.sh)"
    : false;

const hostRules = () => execFileSync("iptables", ["-w", "-S"], { encoding: "utf8" });
const hostLinks = () => execFileSync("ip", ["-o", "link"], { encoding: "utf8" });

test("a node's namespace is named after the run's process and its slot, so two runs' names never meet", () => {
  assert.equal(nodeNamespace(0, 4242), "beneath-lab-4242-node-0");
  assert.notEqual(nodeNamespace(0, 4242), nodeNamespace(0, 4243));
  assert.notEqual(nodeNamespace(0, 4242), nodeNamespace(1, 4242));
  assert.equal(nodeNamespace(3), nodeNamespace(3, process.pid));
});

/** A node made by another process, as a second lab run makes one; it is deleted when `release` is called. */
async function nodeOfAnotherRun(): Promise<{ netns: string; hostDevice: string; release: () => Promise<void> }> {
  const netnsModule = new URL("../src/lab/netns.js", import.meta.url).href;
  const script = `const { createNode, deleteNode } = await import(${JSON.stringify(netnsModule)});
const node = await createNode("other-run");
process.stdout.write(JSON.stringify(node) + "\\n");
process.stdin.resume();
process.stdin.on("end", async () => { await deleteNode(node); process.exit(0); });`;
  const child = execFile(process.execPath, ["--input-type=module", "-e", script]);
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, "data")) as [Buffer];
  const node = JSON.parse(String(line)) as { netns: string; hostDevice: string };
  return {
    ...node,
    release: async () => {
      child.stdin?.end();
      await once(child, "exit");
    },
  };
}

describe("lab nodes", { skip: nodeSkip }, () => {
  test("nodes made at once, by one run or by two, take different slots and namespaces named after their run", async () => {
    const other = await nodeOfAnotherRun();
    const ours = await Promise.all([createNode("a"), createNode("b")]);
    try {
      const devices = new Set([other.hostDevice, ...ours.map((n) => n.hostDevice)]);
      assert.equal(devices.size, 3, "one slot each");
      assert.equal(new Set(ours.map((n) => n.address)).size, 2);
      for (const node of ours) assert.match(node.netns, new RegExp(`^beneath-lab-${process.pid}-node-\\d+$`));
      assert.doesNotMatch(other.netns, new RegExp(`-${process.pid}-`));
      const existing = await labNamespaces();
      for (const netns of [other.netns, ...ours.map((n) => n.netns)]) assert.ok(existing.includes(netns), netns);
    } finally {
      for (const node of ours) await deleteNode(node);
      await other.release();
    }
    const left = await labNamespaces();
    assert.ok(![other.netns, ...ours.map((n) => n.netns)].some((n) => left.includes(n)), left.join(", "));
  });

  test("a node is reachable at its address, unreachable once cut off, and leaves no namespace, link or rule once deleted", async () => {
    const rulesBefore = hostRules();
    const node = await createNode("test-node");
    try {
      assert.ok((await labNamespaces()).includes(node.netns));
      const server = createServer((socket) => socket.end("hello"));
      server.listen(0, node.hostAddress);
      await once(server, "listening");
      const port = (server.address() as { port: number }).port;
      // From inside the node, the host's end of the link answers.
      await inNodeSh(node, process.execPath, [
        "-e",
        `require("net").connect(${port}, "${node.hostAddress}").on("data", () => process.exit(0)).on("error", () => process.exit(1))`,
      ]);
      await cutOff(node);
      await assert.rejects(
        inNodeSh(node, process.execPath, [
          "-e",
          `const s = require("net").connect(${port}, "${node.hostAddress}"); s.on("connect", () => process.exit(0)); setTimeout(() => process.exit(1), 1500)`,
        ]),
        /failed/,
      );
      server.close();
    } finally {
      await deleteNode(node);
    }
    assert.ok(!(await labNamespaces()).includes(node.netns));
    assert.equal(hostRules(), rulesBefore, "no iptables rule left on the host");
    assert.doesNotMatch(hostLinks(), new RegExp(`: ${node.hostDevice}@`), "no link left on the host");
  });
});

const poolerSkip =
  nodeSkip ||
  (() => {
    const missing = [
      BINARIES.initdb,
      BINARIES.postgres,
      BINARIES.pgbouncer,
      BINARIES.postgresExporter,
      BINARIES.nodeExporter,
      BINARIES.setpriv,
    ].filter((b) => !which(b.command));
    return missing.length > 0 ? `needs ${missing.map((b) => b.pkg).join(", ")} (scripts/lab-install.sh)` : false;
  })();

describe("pooler cluster", { skip: poolerSkip }, () => {
  test("answers a query through the Service and PgBouncer on a lab node; a vanished node's connection hangs instead of failing; nothing is left after", {
    timeout: 180_000,
  }, async () => {
    const scratch = await mkdtemp(join(tmpdir(), "beneath-lab-test-"));
    const group = new ProcessGroup();
    let cluster: PoolerCluster | undefined;
    try {
      cluster = await PoolerCluster.start(
        group,
        scratch,
        { nodes: 1, maxConnections: 20, poolSize: 5, maxClientConn: 20, namespace: "test" },
        ["worker"],
      );
      const client = new pg.Client({
        host: cluster.service.host,
        port: cluster.service.port,
        user: "worker",
        database: cluster.db.database,
      });
      // Destroying the hung connection at the end ends it "unexpectedly": expected here.
      client.on("error", () => {});
      await client.connect();
      const { rows } = await client.query("SELECT count(*)::int AS n FROM items");
      assert.equal(rows[0].n, 1000);
      const [node] = cluster.labNodes();
      await cutOff(node);
      const outcome = await Promise.race([
        client.query("SELECT 1").then(
          () => "answered",
          () => "failed",
        ),
        new Promise((resolve) => setTimeout(() => resolve("hung"), 3_000)),
      ]);
      assert.equal(outcome, "hung", "no FIN or RST reaches the client: its statement waits");
      client.connection.stream.destroy();
    } finally {
      await group.stopAll();
      await cluster?.close();
      for (const node of cluster?.labNodes() ?? []) await deleteNode(node);
      await rm(scratch, { recursive: true, force: true });
    }
    for (const pid of group.startedPids()) assert.equal(isAlive(pid), false, `process ${pid} is gone`);
    assert.deepEqual(
      (await labNamespaces()).filter((n) => cluster?.labNodes().some((node) => node.netns === n)),
      [],
    );
    for (const node of cluster?.labNodes() ?? []) assert.doesNotMatch(hostLinks(), new RegExp(`: ${node.hostDevice}@`));
  });
});
