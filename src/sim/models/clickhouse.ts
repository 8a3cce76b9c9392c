/**
 * A replicated ClickHouse cluster on Kubernetes: a StatefulSet of shards × replicas and a ClickHouse
 * Keeper ensemble. Inserts arrive from ingest workers and are forwarded to their shard (a Distributed
 * table), each shard's other replicas fetch the new parts, and dashboards run distributed SELECTs that
 * read from every shard: network-heavy work that feels its nodes' network allowance. When packets are
 * queued and dropped, remote reads time out, Keeper sessions expire, the HTTP handler stops answering
 * the liveness probe and the kubelet restarts the server; a restarted replica fetches what it missed,
 * which adds traffic where there was too much already.
 * Metric names: ClickHouse's Prometheus endpoint (src/Server/PrometheusMetricsWriter.cpp: ProfileEvents,
 * CurrentMetrics and AsynchronousMetrics with their prefixes).
 */
import type { Rng } from "../rng.js";
import type { Spec } from "../spec.js";
import type { InvolvedObject, LogSource, MessageText } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import {
  type Cluster,
  logSourceOf,
  type Node,
  type Pod,
  resourcesFromSpec,
  type Workload,
  zeroUsage,
} from "./cluster.js";
import type { NodeNetwork } from "./nodeNetwork.js";

/** The Prometheus endpoint's usual port (`<prometheus><port>9363</port>`). */
const METRICS_PORT = 9363;
/** Most a replica fetches per second while catching up (background fetches over interserver HTTP; an estimate). */
const FETCH_BYTES_PER_SECOND = 120 * 2 ** 20;
/** Size of a part as inserted: the queue length in parts is the lag over this. */
const PART_BYTES = 16 * 2 ** 20;
/** Rows per inserted byte (about 100 bytes a row compressed in the native format). */
const ROWS_PER_BYTE = 1 / 100;
/**
 * Bytes per INSERT statement: ingest workers flush about 30 s of their stream at once, in large batches
 * as ClickHouse advises (an estimate).
 */
export const INSERT_BATCH_BYTES = 32 * 2 ** 20;
/**
 * Part fetches run in the background fetches pool (16 threads) and a stalled one fails only when the
 * interserver HTTP receive timeout passes (180 s assumed: the default has changed between versions),
 * so at most this many fail per second on a server.
 */
const FETCH_POOL = 16;
const FETCH_TIMEOUT_SECONDS = 180;
/**
 * Below this share of wanted traffic getting through, remote reads start to exceed their timeout and
 * queries fail; the share of failures grows to all of them at no traffic (a model choice).
 */
const QUERY_FAIL_KNEE = 0.85;
/**
 * Above this share of the server's work waiting on the network, the HTTP handler threads are taken by
 * stuck queries and `/ping` misses the probe timeout, more often the more is stuck (a model choice;
 * the probe itself runs over the node's own veth, not the ENA).
 */
const PROBE_STUCK_KNEE = 0.5;
/** Above this share of Keeper traffic lost, heartbeats miss the session timeout (a model choice). */
const KEEPER_LOSS_KNEE = 0.4;
/** ClickHouse's default ZooKeeper/Keeper session_timeout_ms: 30 s. */
const KEEPER_SESSION_TIMEOUT = 30;
/** Network time of a query grows with the share of traffic that must be resent. */
const NETWORK_WAIT_FACTOR = 3;
/** Kubernetes defaults for an httpGet liveness probe. */
const PROBE_PERIOD = 10;
const PROBE_TIMEOUT = 1;
const PROBE_FAILURE_THRESHOLD = 3;
/** receive_timeout's default: 300 s, the time in the SOCKET_TIMEOUT message and what a timed-out query took. */
const RECEIVE_TIMEOUT_SECONDS = 300;
/** Of the failed remote reads, the share that wait out the timeout; the rest see the connection reset. */
const TIMEOUT_SHARE = 0.7;
/** Idle CPU of a ClickHouse server (background merges' bookkeeping, system tables), cores. */
const IDLE_CPU = 0.05;
/** A fetched part costs a fraction of an insert's CPU: no parsing or sorting, only checksums and the write. */
const FETCH_CPU_SHARE = 0.3;
/** A Keeper server's load: session heartbeats and log replication for a few clients, a few hundred KB/s. */
const KEEPER_USAGE = { cpu: 0.03, memory: 180 * 2 ** 20, bytesPerSecond: 200e3, fsWriteBytes: 100e3 };

const JOB = "clickhouse";

/** What one server does this tick. */
interface ServerState {
  pod: Pod;
  shard: number;
  /** Bytes of parts its shard has that it has not fetched yet. */
  lag: number;
  sessionExpired: boolean;
  /** Seconds Keeper heartbeats have been failing. */
  keeperSilence: number;
  /** Consecutive failed liveness probes, and probes due (fractional). */
  probeFailures: number;
  probeDue: number;
  /** When the container went down (restart), until it is up again. */
  downSince?: number;
  uptime: number;
}

/** What a server did this tick, for its metrics and logs. */
interface Outcome {
  /** Bytes per second of inserts it received, and the share that failed. */
  inserts: number;
  insertFail: number;
  /** SELECTs per second it ran as initiator, and the share that failed. */
  queries: number;
  fail: number;
  /** Bytes per second of parts it wanted to fetch and got. */
  fetchWant: number;
  fetched: number;
  /** Share of its traffic that got through, and its shard's write rate. */
  q: number;
  shardWrite: number;
}

/** An ingest pipeline feeding this cluster: how many bytes per second it delivered last tick. */
export interface InsertSource {
  insertedBytes(): number;
}

export class ClickHouse implements Model {
  readonly phase = PHASE.datastore;
  readonly workload: Workload;
  readonly keeper: Workload;
  private readonly rng: Rng;
  private readonly cluster: Cluster;
  private readonly servers = new Map<Pod, ServerState>();
  private readonly sources: InsertSource[] = [];
  private acceptedShare = 1;

  constructor(
    readonly name: string,
    private readonly spec: Spec,
    private readonly world: World,
  ) {
    this.rng = world.rng.fork(name);
    this.cluster = world.get<Cluster>("cluster", `components.${name}`);
    const namespace = spec.str("namespace", "default");
    const image = spec.str("image", "clickhouse/clickhouse-server");
    const version = spec.str("version", "23.8");
    this.workload = this.cluster.workload(name, {
      kind: "StatefulSet",
      namespace,
      replicas: this.replicas(),
      container: "clickhouse",
      ...resourcesFromSpec(spec, {
        cpuRequest: 0.5,
        cpuLimit: 1.5,
        memoryRequest: 1.5 * 2 ** 30,
        memoryLimit: 2 * 2 ** 30,
      }),
      version,
      image,
      onRestart: (pod) => this.restarted(pod),
      // Charts for ClickHouse spread replicas with a preferred (soft) anti-affinity by default.
      spread: spec.bool("spreadReplicas", true),
    });
    this.keeper = this.cluster.workload(`${name}-keeper`, {
      kind: "StatefulSet",
      namespace,
      replicas: spec.num("keeper.replicas", 3),
      container: "clickhouse-keeper",
      cpuRequest: 0.1,
      cpuLimit: 0.5,
      memoryRequest: 256 * 2 ** 20,
      memoryLimit: 512 * 2 ** 20,
      version,
      image: spec.str("keeper.image", "clickhouse/clickhouse-keeper"),
    });
  }

  private shards(): number {
    return this.spec.num("shards", 1);
  }

  private replicasPerShard(): number {
    return this.spec.num("replicasPerShard", 2);
  }

  private replicas(): number {
    return this.shards() * this.replicasPerShard();
  }

  /** Share of the inserts offered last tick that the cluster accepted (the rest are retried). */
  accepted(): number {
    return this.acceptedShare;
  }

  /** An ingest pipeline registers itself as a source of inserts. */
  addSource(source: InsertSource): void {
    this.sources.push(source);
  }

  private server(pod: Pod): ServerState {
    let s = this.servers.get(pod);
    if (!s) {
      const ordinal = Number(pod.name.slice(pod.name.lastIndexOf("-") + 1));
      s = {
        pod,
        shard: Math.floor(ordinal / this.replicasPerShard()) % this.shards(),
        lag: 0,
        sessionExpired: false,
        keeperSilence: 0,
        probeFailures: 0,
        probeDue: 0,
        uptime: this.rng.uniform(2, 20) * 86400,
      };
      this.servers.set(pod, s);
    }
    return s;
  }

  /** The kubelet restarted the server: counters start from zero, and it will fetch what it misses. */
  private restarted(pod: Pod): void {
    const s = this.servers.get(pod);
    if (!s) return;
    s.downSince = this.world.metrics.now;
    s.sessionExpired = false;
    s.keeperSilence = 0;
    s.probeFailures = 0;
    this.world.metrics.restartTarget(JOB, pod.name);
  }

  private up(pod: Pod): boolean {
    return pod.phase === "Running" && pod.backOffUntil === undefined && pod.node !== undefined;
  }

  private network(): NodeNetwork {
    return this.world.get<NodeNetwork>("node-network", `components.${this.name}`);
  }

  /** Share of traffic that gets through between a pod's node and its peers' nodes (both shapers on the path). */
  private pathQuality(node: Node | undefined, peers: Pod[]): number {
    const net = this.network();
    const own = net.link(node).delivered;
    if (peers.length === 0) return own;
    const far = peers.reduce((sum, p) => sum + net.link(p.node).delivered, 0) / peers.length;
    return own * far;
  }

  step(tick: Tick): void {
    this.cluster.scale(this.workload, this.replicas(), tick.t);
    this.cluster.scale(this.keeper, this.spec.num("keeper.replicas", 3), tick.t);
    const pods = this.workload.pods;
    const up = pods.filter((p) => this.up(p));
    const ready = up.filter((p) => p.ready);
    const shards = this.shards();
    const offered = this.sources.reduce((sum, s) => sum + s.insertedBytes(), 0);
    const shardWrite = offered / shards;
    const keeperQuality = this.keeperQuality();
    const queriesPerPod = ready.length > 0 ? this.spec.num("queries.rps", 0) / ready.length : 0;
    const insertPerPod = ready.length > 0 ? offered / ready.length : 0;
    let acceptedBytes = 0;
    for (const pod of pods) {
      const s = this.server(pod);
      const peersInShard = up.filter((p) => p !== pod && this.server(p).shard === s.shard);
      if (!this.up(pod)) {
        // Parts written to its shard while it is down are fetched when it is back.
        if (s.downSince !== undefined) s.lag += shardWrite * tick.dt;
        continue;
      }
      if (s.downSince !== undefined) {
        s.lag += this.spec.bytes("resyncBytes", 0);
        s.downSince = undefined;
        s.uptime = 0;
      }
      s.uptime += tick.dt;
      const q = this.pathQuality(
        pod.node,
        up.filter((p) => p !== pod),
      );
      this.keeperSession(s, Math.min(q, keeperQuality), tick);
      const serving = pod.ready;
      const inserts = serving ? insertPerPod : 0;
      const queries = serving ? queriesPerPod : 0;
      const fail = q >= QUERY_FAIL_KNEE ? 0 : Math.min(1, ((QUERY_FAIL_KNEE - q) / QUERY_FAIL_KNEE) ** 1.5);
      const insertFail = s.sessionExpired ? 1 : fail;
      acceptedBytes += inserts * (1 - insertFail);
      // Replication: new parts of its shard from its peers, and what it is behind, fetched at most so fast.
      const k = peersInShard.length + 1;
      const steadyFetch = (shardWrite * (k - 1)) / k;
      const fetchWant = Math.min(FETCH_BYTES_PER_SECOND, steadyFetch + s.lag / tick.dt);
      const fetched = fetchWant * q;
      s.lag = Math.max(0, s.lag + (steadyFetch - fetched) * tick.dt);
      const resultBytes = this.spec.bytes("queries.resultBytes", 2 ** 20);
      const remote = (shards - 1) / shards;
      const sends = this.sendsFor(pod, s, up, shardWrite, tick.dt);
      // Ingest writes straight into the shards' local tables; dashboards read a slice of every shard.
      pod.usage = {
        ...zeroUsage(),
        cpu: this.rng.jitter(this.cpu(inserts, queries, fetched), 0.05),
        memory: this.rng.jitter(this.workload.memoryRequest * 0.7, 0.02),
        rxBytes: inserts + fetchWant + queries * resultBytes * remote,
        txBytes: sends + (queriesPerPod * resultBytes * remote * ready.length) / Math.max(1, up.length),
        fsWriteBytes: inserts + fetched,
      };
      this.probe(s, q, tick);
      this.report(s, { inserts, insertFail, queries, fail, fetched, fetchWant, q, shardWrite }, tick);
    }
    this.acceptedShare = offered > 0 ? acceptedBytes / offered : 1;
    this.keeperUsage();
  }

  /** What a server sends its shard's peers: their share of new parts and their catch-up. */
  private sendsFor(pod: Pod, s: ServerState, up: Pod[], shardWrite: number, dt: number): number {
    let sends = 0;
    const peers = up.filter((p) => p !== pod && this.server(p).shard === s.shard);
    for (const peer of peers) {
      const ps = this.server(peer);
      const sources = up.filter((p) => p !== peer && this.server(p).shard === s.shard).length;
      const want = Math.min(FETCH_BYTES_PER_SECOND, (shardWrite * sources) / (sources + 1) + ps.lag / dt);
      sends += want / Math.max(1, sources);
    }
    return sends;
  }

  private cpu(inserts: number, queries: number, fetched: number): number {
    const perMiB = this.spec.num("insertCpuPerMiB", 0.02);
    const perQuery = this.spec.num("queries.cpuSeconds", 0.05);
    return IDLE_CPU + ((inserts + fetched * FETCH_CPU_SHARE) / 2 ** 20) * perMiB + queries * perQuery;
  }

  /** Keeper's own nodes: the ensemble answers as well as the link of its pods lets it. */
  private keeperQuality(): number {
    const pods = this.keeper.pods.filter((p) => this.up(p));
    if (pods.length === 0) return 0;
    const net = this.network();
    return pods.reduce((sum, p) => sum + net.link(p.node).delivered, 0) / pods.length;
  }

  private keeperUsage(): void {
    for (const pod of this.keeper.pods) {
      if (!this.up(pod)) continue;
      pod.usage = {
        ...zeroUsage(),
        cpu: this.rng.jitter(KEEPER_USAGE.cpu, 0.1),
        memory: this.rng.jitter(KEEPER_USAGE.memory, 0.02),
        rxBytes: KEEPER_USAGE.bytesPerSecond,
        txBytes: KEEPER_USAGE.bytesPerSecond,
        fsWriteBytes: KEEPER_USAGE.fsWriteBytes,
      };
    }
  }

  /** Heartbeats lost for the session timeout expire the session: the replica turns read-only until a new one. */
  private keeperSession(s: ServerState, quality: number, tick: Tick): void {
    const loss = 1 - quality;
    if (loss < KEEPER_LOSS_KNEE) {
      s.keeperSilence = 0;
      if (s.sessionExpired) s.sessionExpired = false;
      return;
    }
    s.keeperSilence += tick.dt * this.rng.uniform(0.5, 1.5) * ((loss - KEEPER_LOSS_KNEE) / (1 - KEEPER_LOSS_KNEE));
    if (!s.sessionExpired && s.keeperSilence >= KEEPER_SESSION_TIMEOUT) {
      s.sessionExpired = true;
      const source = this.source(s.pod);
      const t = tick.t + this.rng.next() * tick.dt;
      this.world.logs.line({
        t,
        level: "WARN",
        message: `${this.table()} (ReplicatedMergeTreeRestartingThread): ZooKeeper session has expired. Switching to a new session.`,
        source,
      });
    }
  }

  /** The liveness probe, every period: consecutive failures up to the threshold restart the server. */
  private probe(s: ServerState, q: number, tick: Tick): void {
    const period = this.spec.seconds("probes.liveness.periodSeconds", PROBE_PERIOD);
    const threshold = this.spec.num("probes.liveness.failureThreshold", PROBE_FAILURE_THRESHOLD);
    // A probe fails when /ping takes longer than the probe timeout; a longer timeout (relaxing the probe,
    // a mitigation for the restart storm) makes that less likely.
    const timeout = this.spec.seconds("probes.liveness.timeoutSeconds", PROBE_TIMEOUT);
    const stuck = (1 - q) * Math.min(1, PROBE_TIMEOUT / timeout) ** 0.5;
    const failChance = stuck <= PROBE_STUCK_KNEE ? 0 : ((stuck - PROBE_STUCK_KNEE) / (1 - PROBE_STUCK_KNEE)) ** 2;
    s.probeDue += tick.dt / period;
    const pod = s.pod;
    while (s.probeDue >= 1) {
      s.probeDue -= 1;
      if (this.rng.next() >= failChance) {
        s.probeFailures = 0;
        continue;
      }
      s.probeFailures++;
      this.world.events.emit(
        tick.t,
        this.involved(pod),
        "Warning",
        "Unhealthy",
        `Liveness probe failed: Get "http://${pod.ip}:8123/ping": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
        "kubelet",
      );
      if (s.probeFailures < threshold) continue;
      this.world.events.emit(
        tick.t,
        this.involved(pod),
        "Normal",
        "Killing",
        "Container clickhouse failed liveness probe, will be restarted",
        "kubelet",
      );
      // Its shutdown waits on the same stuck reads, past the grace period: SIGKILL, exit 137.
      this.cluster.restartContainer(pod, "Error", 137, tick.t);
      return;
    }
  }

  private involved(pod: Pod): InvolvedObject {
    return { kind: "Pod", name: pod.name, namespace: pod.namespace };
  }

  private table(): string {
    return `${this.spec.str("database", "analytics")}.${this.spec.str("table", "events_local")}`;
  }

  private source(pod: Pod): LogSource {
    return logSourceOf(pod, this.name);
  }

  /** A random peer server's address, as the exception texts name it. */
  private peerAddress(s: ServerState, port: number): (rng: Rng) => string {
    const peers = this.workload.pods.filter((p) => p !== s.pod && p.ip);
    return (rng) => `${(peers.length > 0 ? rng.pick(peers) : s.pod).ip}:${port}`;
  }

  private report(s: ServerState, o: Outcome, tick: Tick): void {
    const m = this.world.metrics;
    const pod = s.pod;
    const labels = { namespace: pod.namespace, pod: pod.name, instance: `${pod.ip}:${METRICS_PORT}` };
    const dt = tick.dt;
    const ev = (name: string) => m.get(JOB, `ClickHouseProfileEvents_${name}`, labels);
    const gauge = (name: string) => m.get(JOB, `ClickHouseMetrics_${name}`, labels);
    const asyncGauge = (name: string) => m.get(JOB, `ClickHouseAsyncMetrics_${name}`, labels);
    const insertsPerSecond = o.inserts / INSERT_BATCH_BYTES;
    const selects = o.queries * dt;
    const insertQueries = insertsPerSecond * dt;
    const failedSelects = selects * o.fail;
    const failedInserts = insertQueries * o.insertFail;
    const cpuSlow = Math.max(1, (pod.usage.cpu / this.workload.cpuLimit / 0.7) ** 2);
    const wait = 1 + NETWORK_WAIT_FACTOR * (1 / Math.max(0.05, o.q) - 1);
    const latency = this.spec.seconds("queries.latency", 0.08) * cpuSlow * wait;
    ev("Query").add(selects + insertQueries);
    ev("SelectQuery").add(selects);
    ev("InsertQuery").add(insertQueries);
    ev("FailedQuery").add(failedSelects + failedInserts);
    ev("FailedSelectQuery").add(failedSelects);
    ev("FailedInsertQuery").add(failedInserts);
    const failedTime = TIMEOUT_SHARE * RECEIVE_TIMEOUT_SECONDS + (1 - TIMEOUT_SHARE) * latency;
    const selectMicros = ((selects - failedSelects) * latency + failedSelects * failedTime) * 1e6;
    ev("SelectQueryTimeMicroseconds").add(selectMicros);
    ev("QueryTimeMicroseconds").add(selectMicros + insertQueries * latency * 1e6);
    const insertedBytes = o.inserts * (1 - o.insertFail) * dt;
    ev("InsertedBytes").add(insertedBytes);
    ev("InsertedRows").add(insertedBytes * ROWS_PER_BYTE);
    ev("NetworkReceiveBytes").add(pod.usage.rxBytes * dt);
    ev("NetworkSendBytes").add(pod.usage.txBytes * dt);
    const fetchFailures = Math.min((o.fetchWant / PART_BYTES) * o.fail, FETCH_POOL / FETCH_TIMEOUT_SECONDS) * dt;
    ev("ReplicatedPartFetches").add((o.fetched * dt) / PART_BYTES);
    ev("ReplicatedPartFailedFetches").add(fetchFailures);
    ev("DistributedConnectionFailTry").add(this.rng.poisson(selects * o.fail * 0.5));
    // Queries in flight: arrivals times time in the system (Little's law).
    gauge("Query").set(
      Math.round(o.queries * ((1 - o.fail) * latency + o.fail * failedTime) + insertsPerSecond * latency),
    );
    gauge("ReplicatedFetch").set(Math.min(8, Math.ceil(o.fetchWant / (8 * 2 ** 20))));
    gauge("ReadonlyReplica").set(s.sessionExpired ? 1 : 0);
    gauge("ZooKeeperSession").set(s.sessionExpired ? 0 : 1);
    asyncGauge("ReplicasMaxQueueSize").set(Math.round(s.lag / PART_BYTES));
    asyncGauge("ReplicasMaxAbsoluteDelay").set(o.shardWrite > 0 ? Math.round(s.lag / o.shardWrite) : 0);
    asyncGauge("Uptime").set(Math.round(s.uptime));
    this.logs(s, { failedSelects, failedInserts, fetchFailures, selects }, tick);
  }

  private logs(
    s: ServerState,
    n: { failedSelects: number; failedInserts: number; fetchFailures: number; selects: number },
    tick: Tick,
  ): void {
    const logs = this.world.logs;
    const source = this.source(s.pod);
    const version = this.workload.version;
    const dt = tick.dt;
    const t = tick.t;
    const routine: MessageText = (rng) => {
      const rows = Math.round(rng.uniform(2e5, 4e6));
      const sec = rng.uniform(0.03, 0.4);
      const mib = (rows * 24) / 2 ** 20;
      return `executeQuery: Read ${rows} rows, ${mib.toFixed(2)} MiB in ${sec.toFixed(3)} sec., ${Math.round(rows / sec)} rows/sec., ${(mib / sec).toFixed(2)} MiB/sec.`;
    };
    logs.emit(source, "INFO", routine, (n.selects / dt) * this.spec.num("logs.routineShare", 0.05), t, dt);
    // failure-signatures.md lists ClickHouse's texts as unverified. These were since found in ClickHouse's
    // source and public error dumps: SOCKET_TIMEOUT (ReadBufferFromPocoSocket), NETWORK_ERROR (the socket
    // layer), KEEPER_EXCEPTION (Coordination) and ReplicatedMergeTreeRestartingThread's session warning;
    // the wording around them (logger names, the version suffix) varies by version.
    const peer9000 = this.peerAddress(s, 9000);
    const timeout: MessageText = (rng) =>
      `executeQuery: Code: 209. DB::NetException: Timeout exceeded while reading from socket (${peer9000(rng)}, ${RECEIVE_TIMEOUT_SECONDS * 1000} ms): While executing Remote. (SOCKET_TIMEOUT) (version ${version} (official build))`;
    const reset: MessageText = (rng) =>
      `executeQuery: Code: 210. DB::NetException: Connection reset by peer, while reading from socket (${peer9000(rng)}). (NETWORK_ERROR) (version ${version} (official build))`;
    logs.emit(source, "ERROR", timeout, (n.failedSelects * TIMEOUT_SHARE) / dt, t, dt);
    logs.emit(source, "ERROR", reset, (n.failedSelects * (1 - TIMEOUT_SHARE)) / dt, t, dt);
    // Part fetches go over interserver HTTP (port 9009) with its own receive timeout (http_receive_timeout).
    const peer9009 = this.peerAddress(s, 9009);
    const fetch: MessageText = (rng) =>
      `${this.table()} (ReplicatedMergeTreeQueue): Code: 209. DB::NetException: Timeout exceeded while reading from socket (${peer9009(rng)}, ${FETCH_TIMEOUT_SECONDS * 1000} ms). (SOCKET_TIMEOUT) (version ${version} (official build))`;
    logs.emit(source, "ERROR", fetch, n.fetchFailures / dt, t, dt);
    const insertError = s.sessionExpired
      ? `executeQuery: Code: 999. Coordination::Exception: Session expired. (KEEPER_EXCEPTION) (version ${version} (official build))`
      : timeout;
    logs.emit(source, "ERROR", insertError, n.failedInserts / dt, t, dt);
  }
}

export function createClickHouse(name: string, spec: Spec, world: World): ClickHouse {
  return new ClickHouse(name, spec, world);
}
