/**
 * A Kafka-compatible broker cluster written in Rust (Chronik Stream, the product of seed incident
 * 003) as a StatefulSet: topics × partitions spread over the broker nodes, one group-commit WAL worker
 * per led partition ticking at the WAL profile's interval, and logging through `tracing` with the
 * filter `RUST_LOG` names.
 *
 * Under `RUST_LOG=debug` every worker writes six DEBUG lines per tick. Lines are formatted when
 * logged and wait in memory for the log writer (the container's stdout pipe), which writes at most
 * `logWriterLinesPerSecond`; what it cannot write queues without bound (the write-up's "log buffers",
 * "no backpressure"). So resident memory grows by the excess times the bytes a queued line holds,
 * until the container's memory limit OOM-kills it. After an unclean stop the broker replays its WAL
 * before it opens its Kafka port, and the flood starts again while it does.
 *
 * Raft leadership of partitions stays where it is when a broker dies unless `failover` is on: the
 * write-up's cluster never marked node 1 dead. Broker node ids are StatefulSet ordinals + 1.
 *
 * Work is counted per broker per tick: 3000 partitions × 10 ticks/s are never single events.
 */
import type { Rng } from "../rng.js";
import { ScenarioError } from "../scenario.js";
import type { Spec } from "../spec.js";
import type { Level, LogSource, MessageText, MetricSeries } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import {
  type Cluster,
  KSM,
  logSourceOf,
  type Pod,
  type PodUsage,
  resourcesFromSpec,
  type Workload,
} from "./cluster.js";
import type { LogShipper } from "./logShipper.js";
import { RustLogFilter } from "./rustLogFilter.js";
import { cpuSlowdown } from "./service.js";

/** Commit interval per CHRONIK_WAL_PROFILE: ultra is `max_wait_time_ms: 100` (write-up). */
const WAL_TICK_SECONDS: Record<string, number> = { ultra: 0.1 };
const WAL_TARGET = "chronik_wal::group_commit";
const HANDLER_TARGET = "chronik_server::kafka_handler";
const ELECTION_TARGET = "chronik_server::leader_election";
/**
 * What each GroupCommitWal worker logs per tick while its queue is empty, in order
 * (lspecian/chronik-stream crates/chronik-wal/src/group_commit.rs; the write-up lists the same six).
 */
const WORKER_TICK_LINES: readonly string[] = [
  "🔄 WORKER_LOOP: Waiting for notification or interval tick",
  "⏰ WORKER_TICK: Interval tick fired",
  "📝 WORKER_COMMIT: About to call commit_batch",
  "🔵 COMMIT_START: Entering commit_batch",
  "⚪ COMMIT_EMPTY: commit_batch called but queue is empty, nothing to do",
  "✅ WORKER_SUCCESS: commit_batch completed successfully",
].map((m) => `${WAL_TARGET}: ${m}`);
/** INFO lines of a worker's start, per partition (same file), and of its graceful shutdown. */
const WORKER_START_LINES: readonly string[] = [
  "🚀 WORKER_SPAWN: Starting partition committer background task",
  "✅ WORKER_STARTED: Partition committer task is running",
  "🎯 WORKER_SPAWNED: tokio::spawn returned (worker should be running in background)",
].map((m) => `${WAL_TARGET}: ${m}`);
const WORKER_SHUTDOWN_LINE = `${WAL_TARGET}: 🛑 WORKER_SHUTDOWN: Partition committer shutting down`;
/** Kafka API keys of the requests clients send (Kafka protocol). */
export const API_KEY = { produce: 0, fetch: 1, metadata: 3 } as const;
export type ApiName = keyof typeof API_KEY;
const API_VERSION: Record<ApiName, number> = { produce: 9, fetch: 12, metadata: 12 };
/** chronik's leader_election.rs: a leader silent this long is dead, when failure detection works. */
const LEADER_TIMEOUT_SECONDS = 10;
/** The kubelet probes readiness every periodSeconds (default 10 s). */
const READINESS_PERIOD_SECONDS = 10;
/** Kafka's client port. */
const KAFKA_PORT = 9092;
/** Port of the broker's Prometheus endpoint (process collector) and of kafka_exporter. */
const METRICS_PORT = 8080;
const EXPORTER_PORT = 9308;
/** Defaults for memory, calibrated on the write-up: ~0.65 GB a broker at INFO ("should be ~500 MB - 1 GB"). */
const DEFAULT_BASE_MEMORY = 256 * 2 ** 20;
const DEFAULT_PARTITION_MEMORY = 384 * 2 ** 10;
/**
 * Bytes a formatted line holds while it waits for the writer (the String, its fields and allocator
 * slack). With the write-up's rates this puts node 1 at its 16 GiB limit 14 minutes into the flood.
 */
const DEFAULT_QUEUED_LINE_BYTES = 640;
/** Lines a second the writer gets out: node 1 wrote 24,442,657 lines in the ~14 minutes before it died (write-up). */
const DEFAULT_WRITER_LINES_PER_SECOND = 29_100;
/** CPU costs, seconds: a worker's timer wake-up with an empty commit check, formatting one line (timestamp, level, target, span fields), writing one line to the stdout pipe, serving one request. */
const CPU_PER_WORKER_TICK = 5e-6;
const CPU_PER_FORMATTED_LINE = 12e-6;
const CPU_PER_WRITTEN_LINE = 4e-6;
const CPU_PER_REQUEST = 200e-6;
/** A broker's CPU with nothing to do, cores. */
const IDLE_CPU = 0.05;
/** Bytes of one line in the container log file (CRI prefix and the formatted line). */
const LOG_LINE_BYTES = 140;
/** Startup after a graceful stop (WAL clean) and WAL replay after an unclean one, unless the scenario says. */
const DEFAULT_STARTUP_SECONDS = 20;
const DEFAULT_RECOVERY_SECONDS = 1200;
/** kafka_exporter uses little: a metadata and offsets request per scrape. */
const EXPORTER_USAGE: PodUsage = {
  cpu: 0.02,
  memory: 40 * 2 ** 20,
  rxBytes: 2000,
  txBytes: 500,
  fsWriteBytes: 0,
  droppedPackets: 0,
  retransmits: 0,
};

/** Lines of one level that wait for the writer, in the order they were logged. */
interface QueuedLines {
  level: Level;
  texts: readonly MessageText[];
  count: number;
}

/** One chronik-server process in a broker pod's container. */
interface BrokerProcess {
  nodeId: number;
  filter: RustLogFilter;
  /** The pod's restart count when this process started: a change means the container restarted. */
  restarts: number;
  /** Unix seconds the process started (process_start_time_seconds). */
  started: number;
  readyAt: number;
  serving: boolean;
  queue: QueuedLines[];
  queued: number;
  cpuSeconds: number;
}

export class LogBroker implements Model {
  readonly phase = PHASE.datastore;
  readonly workload: Workload;
  private readonly exporter: Workload;
  private readonly cluster: Cluster;
  private readonly rng: Rng;
  private readonly processes = new Map<Pod, BrokerProcess>();
  /** Leader node id of each partition (index = topic × partitionsPerTopic + partition). */
  private readonly leaders: Uint8Array;
  private readonly ledByNode = new Map<number, number>();
  private readonly leaderSeries: MetricSeries[] = [];
  readonly topics: number;
  readonly partitionsPerTopic: number;
  /** The config the pods should run (RUST_LOG and the WAL profile) and its revision. */
  private appliedConfig?: string;
  private revision = 0;
  private readonly podRevision = new Map<Pod, number>();
  private configResourceVersion: number;
  private generation = 1;
  /** When each node id stopped serving (absent while it serves). */
  private readonly downSince = new Map<number, number>();
  /** Requests clients sent each node id during the last tick. */
  private requests = new Map<number, Record<ApiName, number>>();
  private pendingRequests = new Map<number, Record<ApiName, number>>();

  constructor(
    readonly name: string,
    readonly spec: Spec,
    private readonly world: World,
  ) {
    this.rng = world.rng.fork(name);
    this.cluster = world.get<Cluster>("cluster", `components.${name}`);
    const namespace = spec.str("namespace", "default");
    this.topics = spec.num("topics");
    this.partitionsPerTopic = spec.num("partitionsPerTopic", 1);
    const brokers = spec.num("brokers", 3);
    if (!Number.isInteger(brokers) || brokers < 1 || brokers > 255) {
      throw new ScenarioError(`${spec.path}.brokers: expected a whole number from 1 to 255`);
    }
    this.walTickSeconds();
    this.leaders = new Uint8Array(this.topics * this.partitionsPerTopic);
    // Preferred leaders round-robin over the brokers, shifted per topic as Kafka assigns replicas.
    for (let k = 0; k < this.leaders.length; k++) {
      const topic = Math.floor(k / this.partitionsPerTopic);
      this.leaders[k] = ((topic + (k % this.partitionsPerTopic)) % brokers) + 1;
    }
    this.countLeaders();
    this.configResourceVersion = Math.floor(this.rng.uniform(1e7, 9e7));
    this.workload = this.cluster.workload(name, {
      kind: "StatefulSet",
      namespace,
      replicas: brokers,
      container: name,
      ...resourcesFromSpec(spec, { cpuRequest: 1, cpuLimit: 2, memoryRequest: 2 * 2 ** 30, memoryLimit: 16 * 2 ** 30 }),
      version: spec.str("version", "2.2.9"),
      image: spec.str("image", "ghcr.io/lspecian/chronik-server"),
      antiAffinity: true,
      nodeGroup: spec.has("nodeGroup") ? spec.str("nodeGroup") : undefined,
      onRestart: (pod) => this.crashed(pod),
    });
    this.exporter = this.cluster.workload(spec.str("exporter", "kafka-exporter"), {
      kind: "Deployment",
      namespace,
      replicas: 1,
      container: "kafka-exporter",
      cpuRequest: 0.05,
      cpuLimit: 0.2,
      memoryRequest: 64 * 2 ** 20,
      memoryLimit: 128 * 2 ** 20,
      version: "v1.7.0",
      image: "danielqsj/kafka-exporter",
    });
  }

  private walTickSeconds(): number {
    const profile = this.spec.str("env.CHRONIK_WAL_PROFILE", "ultra");
    const seconds = WAL_TICK_SECONDS[profile];
    if (seconds === undefined) {
      throw new ScenarioError(
        `${this.spec.path}.env.CHRONIK_WAL_PROFILE: ${profile} is not modelled (known: ${Object.keys(WAL_TICK_SECONDS).join(", ")})`,
      );
    }
    return seconds;
  }

  private logFilter(): RustLogFilter {
    return new RustLogFilter(this.spec.str("env.RUST_LOG", "info"), `${this.spec.path}.env.RUST_LOG`);
  }

  private shipper(): LogShipper {
    return this.world.get<LogShipper>(this.spec.str("logShipper", "fluent-bit"), `${this.spec.path}.logShipper`);
  }

  get partitions(): number {
    return this.leaders.length;
  }

  topicName(topic: number): string {
    return `${this.spec.str("topicPrefix", "test-topic-")}${topic}`;
  }

  /** `test-topic-17-2`: how chronik names a partition in its logs. */
  private partitionName(k: number): string {
    return `${this.topicName(Math.floor(k / this.partitionsPerTopic))}-${k % this.partitionsPerTopic}`;
  }

  private nodeIdOf(pod: Pod): number {
    return Number(pod.name.slice(pod.name.lastIndexOf("-") + 1)) + 1;
  }

  private podOf(nodeId: number): Pod | undefined {
    return this.workload.pods.find((p) => this.nodeIdOf(p) === nodeId);
  }

  /** Partitions each node id leads now. */
  leaderCounts(): ReadonlyMap<number, number> {
    return this.ledByNode;
  }

  private countLeaders(): void {
    this.ledByNode.clear();
    for (const id of this.leaders) this.ledByNode.set(id, (this.ledByNode.get(id) ?? 0) + 1);
  }

  /** Whether the broker with this node id answers Kafka requests. */
  serving(nodeId: number): boolean {
    const pod = this.podOf(nodeId);
    return pod !== undefined && this.processes.get(pod)?.serving === true;
  }

  /** Seconds node id has been unable to serve, 0 while it serves. */
  downFor(nodeId: number, t: number): number {
    const since = this.downSince.get(nodeId);
    return since === undefined ? 0 : t - since;
  }

  /** The Raft leader, which also answers for the metadata controller: the lowest node id unless failover moved it. */
  controller(): number {
    if (!this.spec.bool("failover", false)) return this.spec.num("controller", 1);
    const ids = this.workload.pods.map((p) => this.nodeIdOf(p)).filter((id) => this.serving(id));
    return ids.length > 0 ? Math.min(...ids) : this.spec.num("controller", 1);
  }

  /** How much slower a node id answers than when idle (CPU taken by formatting and writing lines). */
  slowdown(nodeId: number): number {
    const pod = this.podOf(nodeId);
    if (!pod) return 1;
    return cpuSlowdown(pod.usage.cpu / this.workload.cpuLimit);
  }

  /** The address a client prints for a node: `host/ip:port`, as the Java client's Node does. */
  address(nodeId: number): string {
    const pod = this.podOf(nodeId);
    const host = `${this.workload.name}-${nodeId - 1}.${this.workload.name}-headless.${this.workload.namespace}.svc.cluster.local`;
    return `${host}/${pod?.ip ?? "<unresolved>"}:${KAFKA_PORT}`;
  }

  /** Clients report the requests they sent a node this tick; the broker logs them on its next tick. */
  record(nodeId: number, api: ApiName, n: number): void {
    if (n <= 0) return;
    const counts = this.pendingRequests.get(nodeId) ?? { produce: 0, fetch: 0, metadata: 0 };
    counts[api] += n;
    this.pendingRequests.set(nodeId, counts);
  }

  step(tick: Tick): void {
    this.requests = this.pendingRequests;
    this.pendingRequests = new Map();
    this.applyConfig();
    this.progressRollout(tick);
    const counts = this.leaderCounts();
    for (const pod of this.workload.pods) this.stepPod(pod, counts.get(this.nodeIdOf(pod)) ?? 0, tick);
    this.detectFailures(tick);
    for (const pod of this.exporter.pods) pod.usage = { ...EXPORTER_USAGE };
  }

  /** A changed RUST_LOG or WAL profile is a ConfigMap update and a rolling restart (`kubectl rollout restart`). */
  private applyConfig(): void {
    const config = `${this.spec.str("env.RUST_LOG", "info")}\u0000${this.spec.str("env.CHRONIK_WAL_PROFILE", "ultra")}`;
    if (config === this.appliedConfig) return;
    this.logFilter();
    this.walTickSeconds();
    if (this.appliedConfig !== undefined) {
      this.revision++;
      this.generation++;
      // The API server's resourceVersion is cluster-wide: other writes happened in between.
      this.configResourceVersion += Math.floor(this.rng.uniform(1000, 50000));
    }
    this.appliedConfig = config;
  }

  /** RollingUpdate, OrderedReady: the highest outdated ordinal is replaced once every pod is ready. */
  private progressRollout(tick: Tick): void {
    const outdated = this.workload.pods.filter((p) => (this.podRevision.get(p) ?? 0) < this.revision);
    if (outdated.length === 0 || !this.workload.pods.every((p) => this.processes.get(p)?.serving)) return;
    const pod = outdated.reduce((a, b) => (this.nodeIdOf(a) > this.nodeIdOf(b) ? a : b));
    const process = this.processes.get(pod);
    if (process) this.shutdown(pod, process, tick);
    this.processes.delete(pod);
    const fresh = this.cluster.replaceStatefulPod(pod, tick.t);
    this.podRevision.set(fresh, this.revision);
  }

  /** A graceful stop: the workers log their shutdown, and what waits in memory is flushed. */
  private shutdown(pod: Pod, p: BrokerProcess, tick: Tick): void {
    const shipper = this.shipper();
    const source = this.source(pod);
    for (const q of p.queue) shipper.write(source, q.level, q.texts, q.count);
    shipper.write(source, "INFO", [WORKER_SHUTDOWN_LINE], this.leaderCounts().get(p.nodeId) ?? 0);
    this.downSince.set(p.nodeId, tick.t);
  }

  /** The container died (OOM kill or probe): its process and queued lines are gone; the kernel says why. */
  private crashed(pod: Pod): void {
    const p = this.processes.get(pod);
    if (!p) return;
    const rss = this.memoryOf(p, this.leaderCounts().get(p.nodeId) ?? 0);
    p.serving = false;
    p.queue = [];
    p.queued = 0;
    const killed = pod.lastTerminated;
    if (killed?.reason === "OOMKilled" && pod.node) {
      const kb = (bytes: number) => Math.round(bytes / 1024);
      const adj = Math.round(1000 - (1000 * this.workload.memoryRequest) / pod.node.memory);
      this.world.events.emit(
        killed.at,
        { kind: "Node", name: pod.node.name },
        "Warning",
        "OOMKilling",
        `Memory cgroup out of memory: Killed process ${Math.floor(this.rng.uniform(2000, 60000))} (chronik-server) ` +
          `total-vm:${kb(rss * 1.18)}kB, anon-rss:${kb(rss)}kB, file-rss:${kb(8 * 2 ** 20)}kB, shmem-rss:0kB, ` +
          `UID:1000 pgtables:${kb(rss / 480)}kB oom_score_adj:${adj}`,
        "kernel-monitor",
      );
    }
  }

  private source(pod: Pod): LogSource {
    return logSourceOf(pod);
  }

  private memoryOf(p: BrokerProcess, partitions: number): number {
    const base = this.spec.bytes("memory.base", DEFAULT_BASE_MEMORY);
    const perPartition = this.spec.bytes("memory.perPartition", DEFAULT_PARTITION_MEMORY);
    const perLine = this.spec.bytes("memory.perQueuedLine", DEFAULT_QUEUED_LINE_BYTES);
    return base + partitions * perPartition + p.queued * perLine;
  }

  private writerLinesPerSecond(nodeId: number): number {
    const fallback = this.spec.num("logWriterLinesPerSecond", DEFAULT_WRITER_LINES_PER_SECOND);
    return this.spec.num(`nodes.${nodeId}.logWriterLinesPerSecond`, fallback);
  }

  /** The process in a pod's container now: a new one after a (re)start, none while it is down. */
  private processOf(pod: Pod, tick: Tick): BrokerProcess | undefined {
    const up = pod.phase === "Running" && pod.backOffUntil === undefined && pod.node !== undefined;
    const known = this.processes.get(pod);
    if (!up) return undefined;
    if (known && known.restarts === pod.restarts) return known;
    // Running before the recording: serving. A fresh pod after a graceful stop starts quickly; a
    // restarted container replays its WAL first.
    const startup =
      tick.i === 0
        ? 0
        : known
          ? this.spec.seconds("recovery", DEFAULT_RECOVERY_SECONDS)
          : this.spec.seconds("startup", DEFAULT_STARTUP_SECONDS);
    const p: BrokerProcess = {
      nodeId: this.nodeIdOf(pod),
      filter: this.logFilter(),
      restarts: pod.restarts,
      started: tick.i === 0 ? (pod.started ?? pod.created) : tick.t,
      readyAt: tick.t + startup,
      serving: startup === 0,
      queue: [],
      queued: 0,
      cpuSeconds: 0,
    };
    this.processes.set(pod, p);
    this.metricSeries(pod, "process_cpu_seconds_total").reset();
    return p;
  }

  private enqueue(p: BrokerProcess, level: Level, texts: readonly MessageText[], count: number): number {
    if (count <= 0) return 0;
    const last = p.queue[p.queue.length - 1];
    if (last && last.level === level && last.texts === texts) last.count += count;
    else p.queue.push({ level, texts, count });
    p.queued += count;
    return count;
  }

  private stepPod(pod: Pod, partitions: number, tick: Tick): void {
    const known = this.processes.get(pod);
    const fresh = known === undefined || known.restarts !== pod.restarts;
    const p = this.processOf(pod, tick);
    if (!p) {
      if (known) this.downSince.set(known.nodeId, this.downSince.get(known.nodeId) ?? tick.t);
      return;
    }
    if (!p.serving && tick.t >= p.readyAt) p.serving = true;
    pod.ready = p.serving;
    if (p.serving) this.downSince.delete(p.nodeId);
    else {
      this.downSince.set(p.nodeId, this.downSince.get(p.nodeId) ?? tick.t);
      const probes =
        Math.floor(tick.t / READINESS_PERIOD_SECONDS) - Math.floor((tick.t - tick.dt) / READINESS_PERIOD_SECONDS);
      if (probes > 0)
        this.world.events.emit(
          tick.t,
          { kind: "Pod", name: pod.name, namespace: pod.namespace },
          "Warning",
          "Unhealthy",
          `Readiness probe failed: dial tcp ${pod.ip}:${KAFKA_PORT}: connect: connection refused`,
          "kubelet",
        );
    }
    const requests = (p.serving && this.requests.get(p.nodeId)) || { produce: 0, fetch: 0, metadata: 0 };
    let generated = 0;
    if (fresh && tick.i > 0 && p.filter.enabled(WAL_TARGET, "info")) {
      generated += this.enqueue(p, "INFO", this.queueCreatedLines(), partitions);
      generated += this.enqueue(p, "INFO", WORKER_START_LINES, partitions * WORKER_START_LINES.length);
    }
    const ticks = Math.round((partitions * tick.dt) / this.walTickSeconds());
    if (p.filter.enabled(WAL_TARGET, "debug")) {
      generated += this.enqueue(p, "DEBUG", WORKER_TICK_LINES, ticks * WORKER_TICK_LINES.length);
    }
    generated += this.requestLines(p, requests);
    const capacity = Math.round(this.writerLinesPerSecond(p.nodeId) * tick.dt);
    const written = this.drain(pod, p, capacity);
    const totalRequests = requests.produce + requests.fetch + requests.metadata;
    const cpu =
      IDLE_CPU +
      (ticks * CPU_PER_WORKER_TICK + generated * CPU_PER_FORMATTED_LINE + written * CPU_PER_WRITTEN_LINE) / tick.dt +
      (totalRequests * CPU_PER_REQUEST) / tick.dt;
    const produceBytes = requests.produce * this.spec.bytes("messageBytes", 100);
    pod.usage = {
      cpu: this.rng.jitter(cpu, 0.03),
      memory: this.rng.jitter(this.memoryOf(p, partitions), 0.002),
      rxBytes: produceBytes / tick.dt + 600,
      txBytes: (requests.fetch * 200 + produceBytes) / tick.dt + 600,
      fsWriteBytes: (written * LOG_LINE_BYTES + produceBytes) / tick.dt,
      droppedPackets: 0,
      retransmits: 0,
    };
    p.cpuSeconds += Math.min(pod.usage.cpu, this.workload.cpuLimit) * tick.dt;
  }

  /** `Created commit queue for <topic>-<partition>`, one per partition the broker leads. */
  private queueCreatedLines(): readonly MessageText[] {
    return [
      (rng: Rng) =>
        `${WAL_TARGET}: Created commit queue for ${this.partitionName(Math.floor(rng.next() * this.partitions))}`,
    ];
  }

  /** Lines logged for the requests served: one INFO per request, a commit's INFO lines per produced record, DEBUG with the handler's debug on. */
  private requestLines(p: BrokerProcess, requests: Record<ApiName, number>): number {
    let n = 0;
    for (const api of Object.keys(API_KEY) as ApiName[]) {
      const count = requests[api];
      if (count <= 0) continue;
      if (p.filter.enabled(HANDLER_TARGET, "info")) {
        n += this.enqueue(
          p,
          "INFO",
          [`${HANDLER_TARGET}: Request: API key=${API_KEY[api]}, version=${API_VERSION[api]}`],
          count,
        );
      }
      if (p.filter.enabled(HANDLER_TARGET, "debug")) {
        n += this.enqueue(p, "DEBUG", HANDLING_LINES, count);
      }
    }
    if (requests.produce > 0 && p.filter.enabled(WAL_TARGET, "info")) {
      n += this.enqueue(p, "INFO", COMMIT_LINES, requests.produce * COMMIT_LINES.length);
    }
    return n;
  }

  /** The writer takes up to `capacity` lines off the front of the queue and they go to the log file. */
  private drain(pod: Pod, p: BrokerProcess, capacity: number): number {
    const shipper = this.shipper();
    const source = this.source(pod);
    let left = capacity;
    while (left > 0 && p.queue.length > 0) {
      const head = p.queue[0];
      const n = Math.min(left, head.count);
      shipper.write(source, head.level, head.texts, n);
      head.count -= n;
      left -= n;
      if (head.count === 0) p.queue.shift();
    }
    const written = capacity - left;
    p.queued -= written;
    return written;
  }

  /**
   * With failover on, the Raft leader moves the partitions of a node silent for LEADER_TIMEOUT to
   * the next serving node and logs each election (chronik's leader_election.rs texts). Off, nothing
   * happens: the write-up's bug.
   */
  private detectFailures(tick: Tick): void {
    if (!this.spec.bool("failover", false)) return;
    const serving = this.workload.pods.map((p) => this.nodeIdOf(p)).filter((id) => this.serving(id));
    const controllerPod = this.podOf(this.controller());
    if (serving.length === 0 || !controllerPod) return;
    for (const [nodeId, since] of this.downSince) {
      if (tick.t - since < LEADER_TIMEOUT_SECONDS) continue;
      const moved: string[] = [];
      for (let k = 0; k < this.leaders.length; k++) {
        if (this.leaders[k] !== nodeId) continue;
        const leader = serving[k % serving.length];
        this.leaders[k] = leader;
        const reason = `leader node ${nodeId} timed out`;
        moved.push(`${ELECTION_TARGET}: Triggering leader election for ${this.partitionName(k)}: ${reason}`);
        moved.push(
          `${ELECTION_TARGET}: ✅ Elected new leader for ${this.partitionName(k)}: node ${leader} (reason: ${reason})`,
        );
      }
      if (moved.length === 0) continue;
      this.countLeaders();
      const controller = this.processes.get(controllerPod);
      if (controller)
        for (const line of moved) this.enqueue(controller, line.includes("Triggering") ? "WARN" : "INFO", [line], 1);
    }
  }

  private metricSeries(pod: Pod, metric: string): MetricSeries {
    return this.world.metrics.get(this.name, metric, {
      namespace: pod.namespace,
      pod: pod.name,
      instance: `${pod.ip}:${METRICS_PORT}`,
    });
  }

  observe(): void {
    for (const pod of this.workload.pods) {
      if (!pod.ip) continue;
      const p = this.processes.get(pod);
      const up = p !== undefined && pod.phase === "Running" && pod.backOffUntil === undefined;
      this.metricSeries(pod, "up").set(up ? 1 : 0);
      if (!up || !p) continue;
      this.metricSeries(pod, "process_resident_memory_bytes").set(Math.round(pod.usage.memory));
      this.metricSeries(pod, "process_cpu_seconds_total").set(p.cpuSeconds);
      this.metricSeries(pod, "process_start_time_seconds").set(p.started);
    }
    this.observeKubeState();
    this.observeExporter();
  }

  /** kube-state-metrics of the broker's ConfigMap and StatefulSet: a config change shows as a new resourceVersion and generation. */
  private observeKubeState(): void {
    const m = this.world.metrics;
    const w = this.workload;
    const configmap = { namespace: w.namespace, configmap: `${w.name}-config` };
    m.get(KSM, "kube_configmap_info", configmap).set(1);
    m.get(KSM, "kube_configmap_metadata_resource_version", configmap).set(this.configResourceVersion);
    const set = { namespace: w.namespace, statefulset: w.name };
    m.get(KSM, "kube_statefulset_metadata_generation", set).set(this.generation);
    m.get(KSM, "kube_statefulset_status_observed_generation", set).set(this.generation);
    const updated = w.pods.filter((p) => (this.podRevision.get(p) ?? 0) === this.revision).length;
    m.get(KSM, "kube_statefulset_status_replicas_updated", set).set(updated);
  }

  /** kafka_exporter (danielqsj/kafka_exporter): brokers in the metadata and each partition's leader. */
  private observeExporter(): void {
    const pod = this.exporter.pods.find((p) => p.phase === "Running");
    const anyServing = this.workload.pods.some((p) => this.processes.get(p)?.serving);
    if (!pod || !anyServing) return;
    const m = this.world.metrics;
    const job = "kafka-exporter";
    const base = { namespace: pod.namespace, pod: pod.name, instance: `${pod.ip}:${EXPORTER_PORT}` };
    // Without failure detection the metadata still lists every broker that ever registered.
    const brokers = this.spec.bool("failover", false)
      ? this.workload.pods.filter((p) => this.processes.get(p)?.serving).length
      : this.workload.pods.length;
    m.get(job, "kafka_brokers", base).set(brokers);
    if (this.leaderSeries.length === 0) {
      for (let k = 0; k < this.leaders.length; k++) {
        const topic = this.topicName(Math.floor(k / this.partitionsPerTopic));
        const partition = String(k % this.partitionsPerTopic);
        this.leaderSeries.push(m.get(job, "kafka_topic_partition_leader", { ...base, topic, partition }));
      }
    }
    for (let k = 0; k < this.leaders.length; k++) this.leaderSeries[k].set(this.leaders[k]);
  }
}

/** The handler's DEBUG line per request; sizes vary. */
const HANDLING_LINES: readonly MessageText[] = [
  (rng: Rng) => `${HANDLER_TARGET}: Handling request of ${Math.round(rng.uniform(60, 1400))} bytes`,
];

/** What a commit with one record logs at INFO (group_commit.rs): the notification, the drain, the fsync. */
const COMMIT_LINES: readonly MessageText[] = [
  `${WAL_TARGET}: 🔔 WORKER_NOTIFIED: Received write notification`,
  `${WAL_TARGET}: 📦 COMMIT_DRAIN: Draining 1 writes from queue (total depth: 1) for batch commit`,
  (rng: Rng) =>
    `${WAL_TARGET}: ✅ Group commit: 1 writes, ${Math.round(rng.uniform(80, 160))} bytes, fsync took ${rng.uniform(0.4, 3).toFixed(6)}ms`,
];

export function createLogBroker(name: string, spec: Spec, world: World): LogBroker {
  return new LogBroker(name, spec, world);
}
