/**
 * A Fluent Bit DaemonSet, the log pipeline between containers and the case's JSON-lines files. One
 * pod per node tails every container's log file, counts each pod's lines by level (the
 * `log_to_metrics` filter in Kubernetes mode, before any drop), and a `throttle` filter passes at
 * most `throttle.rate` records a second per node to the output; the rest are dropped and counted.
 * The case's log files hold what the output delivered; what it dropped is in the metrics, never lost
 * silently.
 *
 * Lines reach the shipper two ways: one by one through the world's log recorder (ordinary services),
 * or as counted batches through `write` (a log flood: hundreds of thousands of lines a second cannot
 * be held one by one, so only those the shipper delivers are made into lines).
 *
 * Metric names are Fluent Bit's `/api/v1/metrics/prometheus` names (`fluentbit_input_records_total`,
 * `fluentbit_filter_drop_records_total`, `fluentbit_output_proc_records_total`: seen in Fluent Bit's
 * monitoring docs and dashboards, not read in its source: unverified) and the `log_to_metrics`
 * output shape `log_metric_counter_<name>{namespace_name,pod_name,container_name,...}` from its docs.
 */
import type { Rng } from "../rng.js";
import type { Spec } from "../spec.js";
import type { Labels, Level, LogSource, MessageText, MetricSeries } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import { type Cluster, type Node, type Pod, resourcesFromSpec, type Workload } from "./cluster.js";

/** Records a second each node's throttle filter passes when the scenario does not say. */
const DEFAULT_THROTTLE_RATE = 200;
/** CPU per record read, parsed and enriched with Kubernetes metadata (Fluent Bit's own benchmarks: tens of thousands of records per core-second). */
const CPU_SECONDS_PER_RECORD = 20e-6;
/** Idle CPU of a Fluent Bit pod, cores, and its working set (the chart's default requests are 100m / 128Mi). */
const IDLE_CPU = 0.005;
const BASE_MEMORY = 48 * 2 ** 20;
/** Bytes of a container log record as tailed (CRI prefix, the line, Kubernetes metadata not yet added). */
const RECORD_BYTES = 160;
/** Ports of the HTTP server (pipeline metrics) and of the prometheus_exporter output (log_to_metrics). */
const METRICS_PORT = 2020;
const EXPORTER_PORT = 2021;
/** Plugin instance names as Fluent Bit numbers them. */
const INPUT = "tail.0";
const THROTTLE = "throttle.0";
const OUTPUT = "loki.0";
/** `metric_name` of the log_to_metrics filter; Fluent Bit prefixes `log_metric_counter_`. */
const LINES_METRIC = "log_metric_counter_log_lines_total";

/** Lines one container wrote this tick, counted rather than held: each delivered line picks one of `texts`. */
interface LineBatch {
  source: LogSource;
  level: Level;
  texts: readonly MessageText[];
  count: number;
}

/** What one node's shipper saw this tick. */
interface NodeTally {
  offered: number;
  delivered: number;
  batches: LineBatch[];
}

export class LogShipper implements Model {
  readonly phase = PHASE.observer;
  readonly workload: Workload;
  private readonly cluster: Cluster;
  private readonly rng: Rng;
  private batches: LineBatch[] = [];
  /** Index of the first line in the world's recorder not yet shipped. */
  private cursor = 0;
  private readonly lineCounters = new Map<string, MetricSeries>();

  constructor(
    readonly name: string,
    private readonly spec: Spec,
    private readonly world: World,
  ) {
    this.rng = world.rng.fork(name);
    this.cluster = world.get<Cluster>("cluster", `components.${name}`);
    const namespace = spec.str("namespace", "logging");
    this.workload = this.cluster.workload(name, {
      kind: "DaemonSet",
      namespace,
      replicas: this.cluster.nodes.filter((n) => n.present).length,
      container: name,
      ...resourcesFromSpec(spec, {
        cpuRequest: 0.1,
        cpuLimit: 1,
        memoryRequest: 128 * 2 ** 20,
        memoryLimit: 512 * 2 ** 20,
      }),
      version: spec.str("version", "3.1.9"),
      image: spec.str("image", "fluent/fluent-bit"),
    });
  }

  /** Records a second one node passes to the output. */
  throttleRate(): number {
    return this.spec.num("throttle.rate", DEFAULT_THROTTLE_RATE);
  }

  /** `count` lines of `level` that `source` wrote to its log file this tick. */
  write(source: LogSource, level: Level, texts: readonly MessageText[], count: number): void {
    if (count > 0) this.batches.push({ source, level, texts, count });
  }

  step(tick: Tick): void {
    this.cluster.scale(this.workload, this.cluster.nodes.filter((n) => n.present).length, tick.t);
  }

  observe(tick: Tick): void {
    const tallies = new Map<string, NodeTally>();
    const tally = (node: string | undefined) => {
      const key = node ?? "";
      let found = tallies.get(key);
      if (!found) {
        found = { offered: 0, delivered: 0, batches: [] };
        tallies.set(key, found);
      }
      return found;
    };
    const lines = this.world.logs.lines;
    for (let i = this.cursor; i < lines.length; i++) tally(lines[i].source.node).offered++;
    for (const b of this.batches) {
      const t = tally(b.source.node);
      t.offered += b.count;
      t.batches.push(b);
    }
    const budget = this.throttleRate() * tick.dt;
    const share = (t: NodeTally) => (t.offered > budget ? budget / t.offered : 1);

    // Lines recorded one by one: each passes the throttle with the node's share.
    let kept = this.cursor;
    for (let i = this.cursor; i < lines.length; i++) {
      const line = lines[i];
      const t = tally(line.source.node);
      this.countLines(line.source, line.level, 1);
      const s = share(t);
      if (s >= 1 || this.rng.next() < s) {
        lines[kept++] = line;
        t.delivered++;
      } else this.dropped(line.source, 1);
    }
    lines.length = kept;
    for (const t of tallies.values()) {
      for (const b of t.batches) {
        this.countLines(b.source, b.level, b.count);
        const s = share(t);
        const delivered = s >= 1 ? b.count : this.rng.binomial(b.count, s);
        // The throttle passes records evenly over its interval: one in each equal slice of the tick.
        const slice = tick.dt / delivered;
        for (let k = 0; k < delivered; k++) {
          const text = this.rng.pick(b.texts);
          const message = typeof text === "string" ? text : text(this.rng);
          const t = tick.t + (k + this.rng.next()) * slice;
          this.world.logs.line({ t, level: b.level, message, source: b.source });
        }
        t.delivered += delivered;
        this.dropped(b.source, b.count - delivered);
      }
    }
    this.batches = [];
    this.cursor = lines.length;
    this.observePods(tallies, tick);
  }

  private dropped(source: LogSource, n: number): void {
    if (n <= 0) return;
    const drops = this.world.logs.dropped;
    drops.set(source.workload, (drops.get(source.workload) ?? 0) + n);
  }

  /** The log_to_metrics counter of a pod's lines at a level, before the throttle. */
  private countLines(source: LogSource, level: Level, n: number): void {
    const key = `${source.node}\u0000${source.namespace}\u0000${source.pod}\u0000${level}`;
    let series = this.lineCounters.get(key);
    if (!series) {
      const shipper = this.podOn(source.node);
      const labels: Labels = {
        instance: `${shipper?.ip ?? source.node}:${EXPORTER_PORT}`,
        node: source.node ?? "",
        namespace_name: source.namespace,
        pod_name: source.pod,
        container_name: source.container,
        app: source.workload,
        level,
      };
      series = this.world.metrics.get(this.name, LINES_METRIC, labels);
      this.lineCounters.set(key, series);
    }
    series.add(n);
  }

  private podOn(node: string | undefined): Pod | undefined {
    return this.workload.pods.find((p) => p.node?.name === node && p.phase === "Running");
  }

  private observePods(tallies: Map<string, NodeTally>, tick: Tick): void {
    const m = this.world.metrics;
    for (const node of this.cluster.nodes) {
      const pod = this.podOn(node.name);
      if (!pod) continue;
      const t = tallies.get(node.name) ?? { offered: 0, delivered: 0, batches: [] };
      pod.usage = {
        cpu: IDLE_CPU + (t.offered / tick.dt) * CPU_SECONDS_PER_RECORD,
        memory: this.rng.jitter(BASE_MEMORY, 0.02),
        rxBytes: 0,
        txBytes: (t.delivered / tick.dt) * RECORD_BYTES * 2,
        fsWriteBytes: 0,
        droppedPackets: 0,
        retransmits: 0,
      };
      const base = this.podLabels(pod, node);
      m.get(this.name, "fluentbit_input_records_total", { ...base, name: INPUT }).add(t.offered);
      m.get(this.name, "fluentbit_input_bytes_total", { ...base, name: INPUT }).add(t.offered * RECORD_BYTES);
      m.get(this.name, "fluentbit_filter_drop_records_total", { ...base, name: THROTTLE }).add(t.offered - t.delivered);
      m.get(this.name, "fluentbit_output_proc_records_total", { ...base, name: OUTPUT }).add(t.delivered);
      m.get(this.name, "fluentbit_output_dropped_records_total", { ...base, name: OUTPUT }).add(0);
    }
  }

  private podLabels(pod: Pod, node: Node): Labels {
    return { namespace: pod.namespace, pod: pod.name, instance: `${pod.ip}:${METRICS_PORT}`, node: node.name };
  }
}

export function createLogShipper(name: string, spec: Spec, world: World): LogShipper {
  return new LogShipper(name, spec, world);
}
