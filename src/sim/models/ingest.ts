/**
 * Ingest workers: a Deployment that consumes a Kafka topic and inserts the events into ClickHouse in
 * large batches. Producers write at a steady rate; the workers move as much as they can, limited by
 * how many run, their nodes' network and how many of their inserts ClickHouse accepts. What they do
 * not move waits in the topic: the consumer group's lag (kafka_exporter) grows, and a KEDA-managed
 * HPA scales the workers on it. The HPA counts the replicas it asked for, not the ones running, so
 * while pods cannot be placed it keeps asking for more.
 */
import type { Rng } from "../rng.js";
import { ScenarioError } from "../scenario.js";
import type { Spec } from "../spec.js";
import type { LogSource } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import { type ClickHouse, INSERT_BATCH_BYTES, type InsertSource } from "./clickhouse.js";
import { type Cluster, deploymentFromSpec, KSM, type Pod, type Workload, zeroUsage } from "./cluster.js";
import type { NodeNetwork } from "./nodeNetwork.js";

/** Average Kafka message size: lag is reported in messages. */
const MESSAGE_BYTES = 1024;
/** CPU a worker spends per MiB moved (decode, batch, compress), cores·s/MiB, and idle (estimates). */
const CPU_PER_MIB = 0.01;
const IDLE_CPU = 0.01;
/** A worker's working set, as a share of its memory request; what its own logging writes, bytes/s. */
const MEMORY_SHARE = 0.6;
const LOG_BYTES_PER_SECOND = 2e3;
const KAFKA_EXPORTER = "kafka-exporter";
/** The HPA controller's sync period (--horizontal-pod-autoscaler-sync-period default). */
const HPA_SYNC_SECONDS = 15;
/** Default HPA scale-up policy: at most double, or add 4 pods, per 15 s, whichever is more. */
const HPA_SCALE_UP_PODS = 4;
/** Default scale-down stabilization window: the highest recommendation of the last 300 s wins. */
const HPA_DOWN_STABILIZATION_SECONDS = 300;

export class Ingest implements Model, InsertSource {
  readonly phase = PHASE.workload;
  readonly workload: Workload;
  private readonly rng: Rng;
  private readonly cluster: Cluster;
  private backlog: number;
  private delivered: number;
  /** Replicas the HPA asked for; the scenario's `replicas` until it first acts. */
  private replicas: number;
  private lastSync = Number.NEGATIVE_INFINITY;
  private readonly recommendations: { t: number; replicas: number }[] = [];

  constructor(
    readonly name: string,
    private readonly spec: Spec,
    private readonly world: World,
  ) {
    this.rng = world.rng.fork(name);
    this.cluster = world.get<Cluster>("cluster", `components.${name}`);
    this.backlog = spec.bytes("backlog", 0);
    this.replicas = spec.num("replicas", 1);
    this.workload = this.cluster.workload(name, {
      ...deploymentFromSpec(name, spec, {
        cpuRequest: 0.1,
        cpuLimit: 0.5,
        memoryRequest: 128 * 2 ** 20,
        memoryLimit: 256 * 2 ** 20,
      }),
    });
    const target = spec.str("target");
    const clickhouse = world.find<ClickHouse>(target);
    if (!clickhouse) {
      throw new ScenarioError(`${spec.path}.target: no component ${target} declared before ${name}`);
    }
    clickhouse.addSource(this);
    // Before the first tick the workers run at the pace the recording starts with.
    this.delivered = Math.min(this.workload.replicas * spec.bytes("bytesPerWorker"), this.wanted(world.scenario.step));
  }

  /** What the topic offers the workers per second: what arrives, plus the backlog while there is one. */
  private wanted(dt: number): number {
    return this.spec.bytes("produceBytesPerSecond") + this.backlog / dt;
  }

  private target(): ClickHouse {
    return this.world.get<ClickHouse>(this.spec.str("target"), `${this.spec.path}.target`);
  }

  /** Bytes per second the workers inserted last tick (what ClickHouse was offered). */
  insertedBytes(): number {
    return this.delivered;
  }

  private hpaName(): string {
    return `keda-hpa-${this.name}`;
  }

  /**
   * KEDA's Kafka scaler: desired replicas = lag / lagThreshold, within min and max, at most the default
   * scale-up step per sync, and not below any recommendation of the last five minutes.
   */
  private autoscale(tick: Tick): void {
    const hpa = this.spec.child("autoscaling");
    if (!hpa.has("maxReplicas")) {
      this.replicas = this.spec.num("replicas", 1);
      return;
    }
    if (tick.t - this.lastSync < HPA_SYNC_SECONDS) return;
    this.lastSync = tick.t;
    const min = hpa.num("minReplicas", 1);
    const max = hpa.num("maxReplicas");
    const lag = this.backlog / MESSAGE_BYTES;
    const metric = Math.ceil(lag / hpa.num("lagThreshold"));
    const current = this.replicas;
    const upLimit = Math.max(2 * current, current + HPA_SCALE_UP_PODS);
    const recommended = Math.max(min, Math.min(max, metric, upLimit));
    this.recommendations.push({ t: tick.t, replicas: recommended });
    while (tick.t - this.recommendations[0].t > HPA_DOWN_STABILIZATION_SECONDS) this.recommendations.shift();
    const desired = recommended >= current ? recommended : Math.max(...this.recommendations.map((r) => r.replicas));
    if (desired === current) return;
    this.replicas = desired;
    const topic = this.spec.str("topic", "events");
    const reason =
      desired > current
        ? `external metric s0-kafka-${topic}(&LabelSelector{MatchLabels:map[string]string{scaledobject.keda.sh/name: ${this.name},},MatchExpressions:[]LabelSelectorRequirement{},}) above target`
        : "All metrics below target";
    this.world.events.emit(
      tick.t,
      { kind: "HorizontalPodAutoscaler", name: this.hpaName(), namespace: this.workload.namespace },
      "Normal",
      "SuccessfulRescale",
      `New size: ${desired}; reason: ${reason}`,
      "horizontal-pod-autoscaler",
    );
  }

  step(tick: Tick): void {
    this.autoscale(tick);
    this.cluster.scale(this.workload, this.replicas, tick.t);
    const produced = this.spec.bytes("produceBytesPerSecond");
    const perWorker = this.spec.bytes("bytesPerWorker");
    const workers = this.cluster.readyPods(this.workload);
    const net = this.world.get<NodeNetwork>("node-network", `components.${this.name}`);
    const accepted = this.target().accepted();
    // Workers take from the topic as fast as they can while it has a backlog, else what arrives.
    const wanted = Math.min(workers.length * perWorker, this.wanted(tick.dt));
    const share = workers.length > 0 ? wanted / workers.length : 0;
    let moved = 0;
    for (const pod of workers) {
      const got = share * net.link(pod.node).delivered;
      moved += got * accepted;
      this.usage(pod, share, got);
    }
    this.delivered = wanted;
    this.backlog = Math.max(0, this.backlog + (produced - moved) * tick.dt);
    const failed = workers.length > 0 ? 1 - accepted : 0;
    if (failed > 0.01) {
      const source: LogSource = {
        workload: this.name,
        namespace: this.workload.namespace,
        pod: "",
        container: this.name,
      };
      // The worker's own wording around the server's exception (illustrative, not from a real client).
      for (const pod of workers) {
        this.world.logs.emit(
          { ...source, pod: pod.name, node: pod.node?.name },
          "ERROR",
          "insert into clickhouse failed, will retry the batch: code: 209, message: Timeout exceeded while reading from socket",
          (share / INSERT_BATCH_BYTES) * failed,
          tick.t,
          tick.dt,
        );
      }
    }
  }

  /** A worker reads its share from Kafka (outside the cluster) and writes it to ClickHouse. */
  private usage(pod: Pod, want: number, got: number): void {
    pod.usage = {
      ...zeroUsage(),
      cpu: this.rng.jitter(IDLE_CPU + (got / 2 ** 20) * CPU_PER_MIB, 0.05),
      memory: this.rng.jitter(this.workload.memoryRequest * MEMORY_SHARE, 0.02),
      rxBytes: want,
      txBytes: want,
      fsWriteBytes: LOG_BYTES_PER_SECOND,
    };
  }

  observe(): void {
    if (this.spec.has("autoscaling.maxReplicas")) {
      const m = this.world.metrics;
      const hpa = { namespace: this.workload.namespace, horizontalpodautoscaler: this.hpaName() };
      m.get(KSM, "kube_horizontalpodautoscaler_status_desired_replicas", hpa).set(this.replicas);
      m.get(KSM, "kube_horizontalpodautoscaler_status_current_replicas", hpa).set(this.workload.pods.length);
      m.get(KSM, "kube_horizontalpodautoscaler_spec_max_replicas", hpa).set(this.spec.num("autoscaling.maxReplicas"));
    }
    const labels = {
      consumergroup: this.spec.str("consumerGroup", this.name),
      topic: this.spec.str("topic", "events"),
    };
    this.world.metrics
      .get(KAFKA_EXPORTER, "kafka_consumergroup_lag_sum", labels)
      .set(Math.round(this.backlog / MESSAGE_BYTES));
  }
}

export function createIngest(name: string, spec: Spec, world: World): Ingest {
  return new Ingest(name, spec, world);
}
