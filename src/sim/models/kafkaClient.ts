/**
 * A Java service that produces to and consumes from a `logbroker` cluster with the Apache Kafka
 * client, and watches its topics' offsets with an AdminClient. A record for a partition whose leader
 * does not answer waits up to `max.block.ms` for it and then fails; each client retries a dead node's
 * connection about once a second. Texts are the Java client's; metrics are its producer and consumer
 * metrics as Micrometer's KafkaClientMetrics names them for Prometheus (label set unverified).
 */
import type { Rng } from "../rng.js";
import type { Spec } from "../spec.js";
import type { LogSource } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import { type Cluster, deploymentFromSpec, logSourceOf, type Pod, type Workload } from "./cluster.js";
import type { LogBroker } from "./logBroker.js";

/** Producer `max.block.ms` and AdminClient `default.api.timeout.ms` defaults: 60 s. */
const MAX_BLOCK_SECONDS = 60;
const API_TIMEOUT_SECONDS = 60;
/** `reconnect.backoff.max.ms` default 1000: a dead node is retried about once a second per client. */
const RECONNECTS_PER_SECOND = 1;
/** `fetch.max.wait.ms` default 500: a consumer long-polls each leader twice a second. */
const FETCHES_PER_SECOND = 2;
/** While a leader is missing the producer refreshes metadata about once a second. */
const METADATA_REFRESHES_PER_SECOND = 1;
/** A produce round trip to an idle broker (ack after the WAL's group commit), seconds. */
const PRODUCE_LATENCY = 0.004;
/** The Kafka client release the service runs (a label of its metrics). */
const KAFKA_VERSION = "3.7.1";
const IDLE_CPU = 0.02;
const CPU_PER_RECORD = 150e-6;

/** Records waiting for a leader since `t`. */
interface Blocked {
  t: number;
  n: number;
}

interface ClientState {
  blocked: Map<number, Blocked[]>;
  /** Unix seconds of the next AdminClient offset check. */
  nextAdminCall: number;
}

export class KafkaClient implements Model {
  readonly phase = PHASE.workload;
  readonly workload: Workload;
  private readonly cluster: Cluster;
  private readonly rng: Rng;
  private readonly states = new Map<Pod, ClientState>();

  constructor(
    readonly name: string,
    private readonly spec: Spec,
    private readonly world: World,
  ) {
    this.rng = world.rng.fork(name);
    this.cluster = world.get<Cluster>("cluster", `components.${name}`);
    this.workload = this.cluster.workload(name, {
      ...deploymentFromSpec(name, spec, {
        cpuRequest: 0.25,
        cpuLimit: 1,
        memoryRequest: 512 * 2 ** 20,
        memoryLimit: 1024 * 2 ** 20,
      }),
      nodeGroup: spec.has("nodeGroup") ? spec.str("nodeGroup") : undefined,
    });
  }

  private broker(): LogBroker {
    return this.world.get<LogBroker>(this.spec.str("broker"), `${this.spec.path}.broker`);
  }

  private state(pod: Pod, t: number): ClientState {
    let s = this.states.get(pod);
    if (!s) {
      const interval = this.spec.seconds("admin.interval", 30);
      s = { blocked: new Map(), nextAdminCall: t + this.rng.uniform(0, interval) };
      this.states.set(pod, s);
    }
    return s;
  }

  private source(pod: Pod): LogSource {
    return logSourceOf(pod);
  }

  step(tick: Tick): void {
    this.cluster.scale(this.workload, this.spec.num("replicas", 1), tick.t);
    const pods = this.cluster.readyPods(this.workload);
    for (const pod of pods) this.stepPod(pod, this.spec.num("produce.rate", 10) / pods.length, tick);
  }

  private stepPod(pod: Pod, rate: number, tick: Tick): void {
    const broker = this.broker();
    const state = this.state(pod, tick.t);
    const source = this.source(pod);
    const logs = this.world.logs;
    const counts = broker.leaderCounts();
    let left = this.rng.poisson(rate * tick.dt);
    let shareLeft = 1;
    let sent = 0;
    let failed = 0;
    let latencySum = 0;
    const down: number[] = [];
    for (const [nodeId, led] of counts) {
      const share = led / broker.partitions;
      const n = shareLeft - share < 1e-9 ? left : this.rng.binomial(left, share / shareLeft);
      left -= n;
      shareLeft -= share;
      const blocked = state.blocked.get(nodeId) ?? [];
      if (broker.serving(nodeId)) {
        // The leader answers again: what waited for it goes now (the wait is not request latency).
        const waited = blocked.reduce((s, b) => s + b.n, 0);
        const latency = PRODUCE_LATENCY * broker.slowdown(nodeId);
        latencySum += (n + waited) * latency;
        sent += n + waited;
        broker.record(nodeId, "produce", n + waited);
        broker.record(nodeId, "fetch", Math.round(FETCHES_PER_SECOND * tick.dt));
        state.blocked.set(nodeId, []);
        continue;
      }
      down.push(nodeId);
      blocked.push({ t: tick.t, n });
      while (blocked.length > 0 && tick.t - blocked[0].t >= MAX_BLOCK_SECONDS) {
        const expired = blocked.shift() as Blocked;
        failed += expired.n;
        for (let i = 0; i < expired.n; i++)
          logs.line({
            t: tick.t + this.rng.next() * tick.dt,
            level: "ERROR",
            message: this.metadataTimeout(broker),
            source,
          });
      }
      state.blocked.set(nodeId, blocked);
    }
    this.clientWarnings(source, down, tick);
    if (down.length > 0) {
      const answering = [...counts.keys()].find((id) => broker.serving(id));
      if (answering !== undefined)
        broker.record(answering, "metadata", Math.round(METADATA_REFRESHES_PER_SECOND * tick.dt));
    }
    this.adminCheck(state, source, tick);
    logs.emit(
      source,
      "INFO",
      (rng) =>
        `Produced record to ${broker.topicName(Math.floor(rng.next() * broker.topics))} partition ${Math.floor(rng.next() * broker.partitionsPerTopic)}`,
      Math.min(sent / tick.dt, this.spec.num("logs.infoRate", 1)),
      tick.t,
      tick.dt,
    );
    this.report(pod, sent, failed, sent > 0 ? latencySum / sent : 0, tick);
  }

  private metadataTimeout(broker: LogBroker): string {
    const topic = broker.topicName(Math.floor(this.rng.next() * broker.topics));
    return `org.apache.kafka.common.errors.TimeoutException: Topic ${topic} not present in metadata after ${MAX_BLOCK_SECONDS * 1000} ms.`;
  }

  /** Each of the pod's clients (producer, consumer, admin) retries a dead node's connection and says so. */
  private clientWarnings(source: LogSource, down: number[], tick: Tick): void {
    const broker = this.broker();
    const group = this.spec.str("consumer.group", this.name);
    const clients = [
      "Producer clientId=producer-1",
      `Consumer clientId=consumer-${group}-1, groupId=${group}`,
      "AdminClient clientId=adminclient-1",
    ];
    for (const nodeId of down) {
      for (const client of clients) {
        this.world.logs.emit(
          source,
          "WARN",
          `[${client}] Connection to node ${nodeId} (${broker.address(nodeId)}) could not be established. Broker may not be available.`,
          RECONNECTS_PER_SECOND,
          tick.t,
          tick.dt,
        );
      }
    }
  }

  /** The periodic offset check lists offsets of partitions on every leader; one that stays away times it out. */
  private adminCheck(state: ClientState, source: LogSource, tick: Tick): void {
    if (tick.t < state.nextAdminCall) return;
    state.nextAdminCall += this.spec.seconds("admin.interval", 30);
    const broker = this.broker();
    const stuck = [...broker.leaderCounts().keys()].some((id) => broker.downFor(id, tick.t) >= API_TIMEOUT_SECONDS);
    if (!stuck) return;
    this.world.logs.line({
      t: tick.t + this.rng.next() * tick.dt,
      level: "ERROR",
      message:
        "org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment. Call: listOffsets(api=LIST_OFFSETS)",
      source,
    });
  }

  private report(pod: Pod, sent: number, failed: number, latency: number, tick: Tick): void {
    const m = this.world.metrics;
    const base = { namespace: pod.namespace, pod: pod.name, kafka_version: KAFKA_VERSION };
    const producer = { ...base, client_id: "producer-1" };
    m.get(this.name, "kafka_producer_record_send_total", producer).add(sent);
    m.get(this.name, "kafka_producer_record_error_total", producer).add(failed);
    m.get(this.name, "kafka_producer_request_latency_avg", producer).set(latency * 1000);
    const group = this.spec.str("consumer.group", this.name);
    m.get(this.name, "kafka_consumer_fetch_manager_records_consumed_total", {
      ...base,
      client_id: `consumer-${group}-1`,
    }).add(sent);
    pod.usage = {
      cpu: this.rng.jitter(IDLE_CPU + (sent / tick.dt) * CPU_PER_RECORD, 0.05),
      memory: this.rng.jitter(this.workload.memoryRequest * 0.7, 0.01),
      rxBytes: (sent / tick.dt) * 300 + 2000,
      txBytes: (sent / tick.dt) * (this.spec.bytes("produce.messageBytes", 100) + 120) + 2000,
      fsWriteBytes: 0,
      droppedPackets: 0,
      retransmits: 0,
    };
  }
}

export function createKafkaClient(name: string, spec: Spec, world: World): KafkaClient {
  return new KafkaClient(name, spec, world);
}
