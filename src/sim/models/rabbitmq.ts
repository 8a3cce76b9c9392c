/**
 * A RabbitMQ cluster as the RabbitMQ Cluster Operator runs it: a StatefulSet `<cluster>-server`
 * (pods `<cluster>-server-0..N`) behind the client Service `<cluster>`. Each node holds the
 * connections that landed on it and the classic queues homed on it; its memory is a base plus
 * per-connection and per-channel memory plus the messages its queues hold in RAM. When a node's
 * memory passes `vm_memory_high_watermark` (0.4 of the memory the node believes it has, by default)
 * the memory alarm blocks every publishing connection of the whole cluster until it clears; the
 * bytes blocked publishers keep writing wait in the kernel's socket buffers, which count against
 * the container's memory limit though not against the watermark, and arrive all at once when the
 * alarm clears. A node whose container passes its limit is OOM-killed by the cluster model: its
 * connections drop, its queues lose their transient messages, and every client reconnects.
 * Telemetry: rabbitmq_prometheus (aggregated) metrics per node and the broker's log lines.
 */
import type { Rng } from "../rng.js";
import { ScenarioError } from "../scenario.js";
import type { Spec } from "../spec.js";
import type { Labels, LogSource } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import {
  type AmqpBroker,
  type AmqpClientInfo,
  AmqpConnection,
  type AmqpRole,
  type ConnectResult,
  serviceClusterIp,
} from "./amqp.js";
import { type Cluster, type Pod, resourcesFromSpec, type Workload, zeroUsage } from "./cluster.js";

const MiB = 2 ** 20;
const KiB = 2 ** 10;

/** vm_memory_monitor checks memory every 2500 ms (memory_monitor_interval): alarms flip at that step. */
const MEMORY_MONITOR_INTERVAL = 2.5;
/** The default relative watermark of RabbitMQ 3.x (rabbitmq.com/docs/memory; 4.x raised it to 0.6). */
const DEFAULT_HIGH_WATERMARK = 0.4;
/** vm_memory_high_watermark_paging_ratio: classic queues page messages out above half the watermark. */
const DEFAULT_PAGING_RATIO = 0.5;
/**
 * Messages a second a classic queue (v1) moves to disk while memory is above the paging ratio. The
 * queue process pages in batches between publishes and deliveries (estimate; unverified).
 */
const DEFAULT_PAGING_RATE = 250;
/** Memory of an idle 3.10 node with the management and prometheus plugins (estimate; unverified). */
const BASE_MEMORY = 90 * MiB;
/** Erlang processes of one AMQP connection: reader, writer, heartbeater, supervisors (estimate; unverified). */
const CONNECTION_MEMORY = 60 * KiB;
/** One channel process and its limiter (estimate; unverified). */
const CHANNEL_MEMORY = 20 * KiB;
/**
 * Bytes the kernel buffers per connection socket: Linux auto-tunes TCP buffers to "between 80 and
 * 120 KB" (rabbitmq.com/docs/networking). A blocked connection fills them; the kernel charges them
 * to the container's memory cgroup.
 */
const SOCKET_BUFFER_BYTES = 100_000;
/** Per-message bookkeeping of a classic queue v1 beyond the body (estimate; unverified). */
const MESSAGE_OVERHEAD = 400;
/**
 * Share of newly arrived memory a garbage collection holds twice at its peak. The RabbitMQ memory
 * guide warns the Erlang collector can, in the worst case, double the memory used.
 */
const GC_COPY_SHARE = 1;
/** Default message body size: a JSON order of a few items. */
const DEFAULT_MESSAGE_BYTES = 600;
/** CPU seconds to open a connection: AMQP handshake, SASL PLAIN, vhost check, channel.open (estimate; unverified). */
const HANDSHAKE_CPU_SECONDS = 0.02;
/** CPU seconds to route and deliver one small message (a node moves tens of thousands a second per core). */
const CPU_PER_MESSAGE = 40e-6;
/** Idle CPU of a node: stats collection, inter-node heartbeats. */
const IDLE_CPU = 0.03;
/** A node boots (Mnesia, plugins, listeners) before it accepts connections again (estimate; unverified). */
const BOOT_SECONDS = 20;
/** A booting node loads Mnesia and plugins: busy, not yet at its working memory. */
const BOOT_CPU = 0.5;
const BOOT_MEMORY = 80 * MiB;
/** The port clients use, and the one rabbitmq_prometheus serves. */
const AMQP_PORT = 5672;
const PROMETHEUS_PORT = 15692;
/** The Erlang VM's port limit RabbitMQ reports in Kubernetes (ERL_MAX_PORTS default for 3.10 images). */
const MAX_FDS = 1048576;
/** File descriptors a node holds with no clients: Mnesia, message stores, listeners. */
const BASE_FDS = 70;
/** Prometheus scrape job and the counters rabbitmq_prometheus resets when the node restarts. */
const SCRAPE_JOB = "rabbitmq";
/** The scrape job of the Istio sidecars' merged metrics. */
const ENVOY_JOB = "envoy-stats";
const COUNTERS = [
  "rabbitmq_connections_opened_total",
  "rabbitmq_connections_closed_total",
  "rabbitmq_channels_opened_total",
  "rabbitmq_channels_closed_total",
  "rabbitmq_global_messages_received_total",
  "rabbitmq_global_messages_received_confirm_total",
  "rabbitmq_global_messages_routed_total",
  "rabbitmq_global_messages_confirmed_total",
  "rabbitmq_global_messages_delivered_total",
  "rabbitmq_global_messages_delivered_consume_manual_ack_total",
  "rabbitmq_global_messages_acknowledged_total",
  "rabbitmq_global_messages_redelivered_total",
  "rabbitmq_global_messages_unroutable_dropped_total",
  "rabbitmq_global_messages_unroutable_returned_total",
  "rabbitmq_queue_messages_published_total",
] as const;
type Counter = (typeof COUNTERS)[number];

interface Queue {
  name: string;
  /** The node the (non-mirrored classic) queue lives on. */
  home: number;
  /** Ready messages held in RAM, and paged out to disk. */
  ram: number;
  paged: number;
  unacked: number;
}

/** What a node's Istio sidecar counts of the TCP traffic from one source workload (reporter=destination). */
interface SidecarTotals {
  workload: string;
  namespace: string;
  opened: number;
  closed: number;
  received: number;
  sent: number;
}

interface BrokerNode {
  index: number;
  /** `rabbit@<pod>.<cluster>-nodes.<namespace>`. */
  erlangName: string;
  connections: Set<AmqpConnection>;
  alarm: boolean;
  /** Serving clients; its container dead or restarting; or its container up and RabbitMQ booting. */
  state: "up" | "down" | "booting";
  /** Whether it serves clients (state up). */
  up: boolean;
  bootUntil: number;
  startedAt: number;
  /** Connection attempts waiting for the node to take their handshake. */
  handshakeBacklog: number;
  /** Counter totals since the node started, and what was reported of them. */
  totals: Map<Counter, number>;
  reported: Map<Counter, number>;
  /** This tick: handshakes done, bytes in and out, bytes paged, peak memory. */
  handshakes: number;
  /** Per source workload, from the istio-proxy container, which an OOM kill of rabbitmq does not restart. */
  sidecar: Map<string, SidecarTotals>;
  rxBytes: number;
  txBytes: number;
  pagedBytes: number;
  memory: number;
  workingSet: number;
  nextPid: number;
}

export class RabbitMqCluster implements Model, AmqpBroker {
  readonly phase = PHASE.datastore;
  readonly host: string;
  readonly serviceIp: string;
  readonly workload: Workload;
  private readonly cluster: Cluster;
  private readonly rng: Rng;
  private readonly nodes: BrokerNode[] = [];
  private readonly queues = new Map<string, Queue>();
  /** This tick, per sub-step: whether a memory alarm was in effect anywhere in the cluster. */
  private alarmSteps: boolean[] = [];
  private readonly sidecarOf = new WeakMap<AmqpConnection, SidecarTotals>();
  /** Bytes of one message body, read once a tick (the scenario may change it). */
  messageBytes = DEFAULT_MESSAGE_BYTES;
  private now = 0;

  constructor(
    readonly name: string,
    private readonly spec: Spec,
    private readonly world: World,
  ) {
    this.rng = world.rng.fork(name);
    this.cluster = world.get<Cluster>("cluster", spec.path);
    const clusterName = spec.str("cluster", name);
    this.host = clusterName;
    this.serviceIp = serviceClusterIp(clusterName);
    const namespace = spec.str("namespace", "default");
    const replicas = spec.num("replicas", 1);
    this.workload = this.cluster.workload(`${clusterName}-server`, {
      kind: "StatefulSet",
      namespace,
      replicas,
      container: "rabbitmq",
      ...resourcesFromSpec(spec, { cpuRequest: 0.2, cpuLimit: 1, memoryRequest: 256 * MiB, memoryLimit: 1024 * MiB }),
      version: spec.str("version", "3.10.7"),
      image: spec.str("image", "rabbitmq"),
      labels: { "app.kubernetes.io/name": clusterName, "app.kubernetes.io/component": "rabbitmq" },
      onRestart: (pod) => this.nodeDied(pod),
    });
    for (let i = 0; i < replicas; i++) {
      this.nodes.push({
        index: i,
        erlangName: `rabbit@${clusterName}-server-${i}.${clusterName}-nodes.${namespace}`,
        connections: new Set(),
        alarm: false,
        state: "up",
        up: true,
        bootUntil: 0,
        startedAt: world.scenario.start - this.rng.uniform(2, 20) * 86400,
        handshakeBacklog: 0,
        totals: new Map(),
        reported: new Map(),
        handshakes: 0,
        sidecar: new Map(),
        rxBytes: 0,
        txBytes: 0,
        pagedBytes: 0,
        memory: BASE_MEMORY,
        workingSet: BASE_MEMORY,
        nextPid: 600 + Math.floor(this.rng.uniform(0, 400)),
      });
    }
    for (const queue of spec.keys("queues")) {
      const home = spec.num(`queues.${queue}.node`, 0);
      if (!(home >= 0 && home < replicas && Number.isInteger(home))) {
        throw new ScenarioError(`${spec.path}.queues.${queue}.node: expected a node index from 0 to ${replicas - 1}`);
      }
      this.queues.set(queue, { name: queue, home, ram: spec.num(`queues.${queue}.ready`, 0), paged: 0, unacked: 0 });
    }
  }

  /** What the node believes it has: total_memory_available_override_value, else the Kubernetes node's RAM. */
  totalMemory(pod: Pod): number {
    if (this.spec.has("memory.total")) return this.spec.bytes("memory.total");
    return pod.node?.memory ?? this.workload.memoryLimit;
  }

  /** The memory high watermark in bytes: absolute, or relative to the memory the node believes it has. */
  watermark(pod: Pod): number {
    if (this.spec.has("memory.highWatermarkAbsolute")) return this.spec.bytes("memory.highWatermarkAbsolute");
    return this.spec.num("memory.highWatermark", DEFAULT_HIGH_WATERMARK) * this.totalMemory(pod);
  }

  subSteps(dt: number): number {
    return Math.max(1, Math.round(dt / MEMORY_MONITOR_INTERVAL));
  }

  private pod(node: BrokerNode): Pod {
    return this.workload.pods[node.index];
  }

  /** Whether any node has its memory alarm set: then every publisher of the cluster is blocked. */
  alarmed(): boolean {
    return this.nodes.some((n) => n.alarm);
  }

  /** A node as its operator sees it: serving or not, alarmed or not, its memory and connections. */
  nodeState(index: number): { up: boolean; alarm: boolean; memory: number; workingSet: number; connections: number } {
    const n = this.nodes[index];
    return { up: n.up, alarm: n.alarm, memory: n.memory, workingSet: n.workingSet, connections: n.connections.size };
  }

  /** Connections listed by the cluster, including those whose client is gone but the node has not noticed. */
  connectionCount(): number {
    return this.nodes.reduce((s, n) => s + n.connections.size, 0);
  }

  /** The share of this tick's memory checks that found an alarm in effect (publishers blocked). */
  blockedShare(): number {
    return this.alarmSteps.length === 0 ? 0 : this.alarmSteps.filter((a) => a).length / this.alarmSteps.length;
  }

  /** Ready messages of a queue (in RAM and paged out). */
  ready(queue: string): number {
    const q = this.queues.get(queue);
    return q ? q.ram + q.paged : 0;
  }

  private source(node: BrokerNode): LogSource {
    const pod = this.pod(node);
    return {
      workload: this.workload.name,
      namespace: pod.namespace,
      pod: pod.name,
      container: this.workload.container,
      node: pod.node?.name,
    };
  }

  private log(node: BrokerNode, t: number, level: "INFO" | "WARN" | "ERROR", message: string): void {
    this.world.logs.line({ t, level, message, source: this.source(node) });
  }

  private pid(node: BrokerNode): string {
    node.nextPid += 1 + Math.floor(this.rng.next() * 40);
    return `<0.${node.nextPid}.0>`;
  }

  private endpoints(connection: AmqpConnection): string {
    const pod = this.pod(this.nodes[connection.node]);
    return `${connection.client.ip}:${connection.clientPort} -> ${pod.ip ?? this.serviceIp}:${AMQP_PORT}`;
  }

  private count(node: BrokerNode, counter: Counter, n: number): void {
    node.totals.set(counter, (node.totals.get(counter) ?? 0) + n);
  }

  /** The sidecar's totals for the source of `connection` (looked up once per connection). */
  private sidecar(node: BrokerNode, connection: AmqpConnection): SidecarTotals {
    const known = this.sidecarOf.get(connection);
    if (known) return known;
    const { workload, namespace } = connection.client;
    const key = `${namespace}/${workload}`;
    let totals = node.sidecar.get(key);
    if (!totals) {
      totals = { workload, namespace, opened: 0, closed: 0, received: 0, sent: 0 };
      node.sidecar.set(key, totals);
    }
    this.sidecarOf.set(connection, totals);
    return totals;
  }

  /** Handshakes a node completes per second with the CPU its message work leaves. */
  private handshakeCapacity(node: BrokerNode): number {
    const busy = IDLE_CPU + this.messageRate(node) * CPU_PER_MESSAGE;
    return Math.max(1, (this.workload.cpuLimit - busy) / HANDSHAKE_CPU_SECONDS);
  }

  /** Messages a second a node moved last tick (in and out). */
  private messageRate(node: BrokerNode): number {
    const bytes = node.rxBytes + node.txBytes;
    return bytes / (this.messageBytes * this.world.scenario.step);
  }

  connect(client: AmqpClientInfo, role: AmqpRole, queue: string, t: number, timeout: number): ConnectResult {
    // The Service balances new connections over the ready pods; a pod that is still booting refuses them.
    const endpoints = this.nodes.filter((n) => this.pod(n).ready);
    if (endpoints.length === 0) return { failure: "amqp-refused", seconds: 0.001 };
    const node = this.rng.pick(endpoints);
    if (!node.up) return { failure: "amqp-refused", seconds: 0.001 };
    const recording = t > this.world.scenario.start;
    const wait = recording ? node.handshakeBacklog / this.handshakeCapacity(node) : 0;
    const port = 32768 + Math.floor(this.rng.next() * 28000);
    const pid = this.pid(node);
    if (recording) {
      node.handshakeBacklog++;
      node.handshakes++;
    }
    const where = `${client.ip}:${port} -> ${this.pod(node).ip ?? this.serviceIp}:${AMQP_PORT}`;
    if (wait > timeout) {
      // The client gave up before the node got to its handshake; the node times it out later.
      // (The broker's wording of a handshake timeout is unverified.)
      this.log(node, t + timeout, "WARN", `closing AMQP connection ${pid} (${where}):\n{handshake_timeout,handshake}`);
      return { failure: "amqp-handshake-timeout", seconds: timeout };
    }
    const connection = new AmqpConnection(pid, client, port, role, queue, node.index, t + wait);
    connection.blocked = this.alarmSteps.map((alarmed) => alarmed && role === "publisher");
    node.connections.add(connection);
    this.sidecar(node, connection).opened++;
    if (recording) {
      this.count(node, "rabbitmq_connections_opened_total", 1);
      this.count(node, "rabbitmq_channels_opened_total", connection.channels);
      this.log(node, t + wait, "INFO", `accepting AMQP connection ${pid} (${where})`);
      this.log(
        node,
        t + wait,
        "INFO",
        `connection ${pid} (${where}): user '${client.user}' authenticated and granted access to vhost '/'`,
      );
    }
    return { connection, seconds: wait };
  }

  close(connection: AmqpConnection, t: number): void {
    const node = this.nodes[connection.node];
    if (!node.connections.has(connection)) return;
    // A blocked connection is not being read: the node sees the close only when the alarm clears.
    if (connection.blockedSince !== undefined && this.alarmed()) {
      connection.clientClosed = true;
      return;
    }
    this.remove(node, connection);
    this.log(
      node,
      t,
      "INFO",
      `closing AMQP connection ${connection.pid} (${this.endpoints(connection)}, vhost: '/', user: '${connection.client.user}')`,
    );
  }

  private remove(node: BrokerNode, connection: AmqpConnection): void {
    node.connections.delete(connection);
    this.sidecar(node, connection).closed++;
    this.count(node, "rabbitmq_connections_closed_total", 1);
    this.count(node, "rabbitmq_channels_closed_total", connection.channels);
    if (connection.role === "consumer" && connection.unacked > 0) {
      const q = this.queues.get(connection.queue);
      if (q) {
        q.unacked = Math.max(0, q.unacked - connection.unacked);
        q.ram += connection.unacked;
        this.count(this.nodes[q.home], "rabbitmq_global_messages_redelivered_total", connection.unacked);
      }
    }
  }

  /** A node's container died (OOMKilled): its connections drop and its queues lose what they held. */
  private nodeDied(pod: Pod): void {
    const node = this.nodes.find((n) => this.pod(n) === pod);
    if (!node) return;
    const t = this.now;
    for (const c of node.connections) {
      c.dropped = true;
      this.sidecar(node, c).closed++;
    }
    node.connections.clear();
    node.handshakeBacklog = 0;
    for (const q of this.queues.values()) {
      if (q.home !== node.index) continue;
      // Transient messages of a non-mirrored classic queue live and die with its node.
      q.ram = 0;
      q.paged = 0;
      q.unacked = 0;
    }
    node.state = "down";
    node.up = false;
    node.memory = 0;
    node.workingSet = 0;
    node.totals.clear();
    node.reported.clear();
    for (const other of this.nodes) {
      if (other === node || !other.up) continue;
      this.log(other, t, "INFO", `node '${node.erlangName}' down: connection_closed`);
      if (node.alarm) {
        this.log(other, t, "WARN", `memory resource limit alarm cleared for dead node '${node.erlangName}'`);
      }
    }
    node.alarm = false;
    for (const counter of COUNTERS) this.world.metrics.get(SCRAPE_JOB, counter, this.labels(node, counter)).reset();
  }

  /** A restarted container boots RabbitMQ before the node serves clients again. */
  private boot(node: BrokerNode, t: number): void {
    const pod = this.pod(node);
    if (node.state === "down" && pod.ready && pod.phase === "Running") {
      node.state = "booting";
      node.startedAt = t;
      node.bootUntil = t + BOOT_SECONDS;
      const w = this.watermark(pod);
      const total = this.totalMemory(pod);
      this.log(node, t, "INFO", `Starting RabbitMQ ${this.workload.version} on Erlang ${this.erlangVersion()} [jit]`);
      this.log(
        node,
        t + 1,
        "INFO",
        `Memory high watermark set to ${Math.floor(w / MiB)} MiB (${Math.floor(w)} bytes) of ${Math.floor(total / MiB)} MiB (${total} bytes) total`,
      );
    }
    if (node.state === "booting" && t >= node.bootUntil) {
      node.state = "up";
      node.up = true;
      node.memory = BASE_MEMORY;
      this.log(node, t, "INFO", "Server startup complete; 5 plugins started.");
      for (const other of this.nodes)
        if (other !== node && other.up) this.log(other, t, "INFO", `node '${node.erlangName}' up`);
    }
  }

  private erlangVersion(): string {
    return this.spec.str("erlangVersion", "25.0.4");
  }

  step(tick: Tick): void {
    this.now = tick.t;
    this.messageBytes = this.spec.bytes("messageBytes", DEFAULT_MESSAGE_BYTES);
    for (const node of this.nodes) {
      node.handshakeBacklog = Math.max(0, node.handshakeBacklog - this.handshakeCapacity(node) * tick.dt);
      node.handshakes = 0;
      node.rxBytes = 0;
      node.txBytes = 0;
      node.pagedBytes = 0;
      this.boot(node, tick.t);
    }
    const subSteps = this.subSteps(tick.dt);
    const h = tick.dt / subSteps;
    this.alarmSteps = [];
    for (const node of this.nodes) {
      for (const c of node.connections) {
        c.blocked = [];
        c.accepted = 0;
        c.returned = 0;
        c.delivered = 0;
      }
      node.workingSet = node.up ? node.memory : 0;
    }
    for (let s = 0; s < subSteps; s++) {
      const t = tick.t + s * h;
      this.now = t;
      const alarmed = this.alarmed();
      this.alarmSteps.push(alarmed);
      for (const node of this.nodes) if (node.up) this.readConnections(node, alarmed, t, s, h);
      for (const q of this.queues.values()) this.deliver(q, h);
      for (const node of this.nodes) if (node.up) this.checkMemory(node, t + h, h);
    }
    this.now = tick.t;
    for (const node of this.nodes) this.reportUsage(node, tick);
  }

  /** What the node reads from its connections in one sub-step: publishes, unless an alarm blocks them. */
  private readConnections(node: BrokerNode, alarmed: boolean, t: number, s: number, h: number): void {
    const bytes = this.messageBytes;
    for (const c of [...node.connections]) {
      const publishing = c.role === "publisher" && c.rate > 0;
      if (c.clientClosed && !(alarmed && publishing)) {
        // Reading again, the node takes what the socket still held, then finds it closed by its client
        // long ago: publishes the client gave up on arrive after all.
        if (c.buffered > 0) this.route(node, c, c.buffered / bytes);
        c.buffered = 0;
        this.remove(node, c);
        this.log(
          node,
          t,
          "WARN",
          `closing AMQP connection ${c.pid} (${this.endpoints(c)}):\nclient unexpectedly closed TCP connection`,
        );
        continue;
      }
      if (!publishing) continue;
      if (alarmed) {
        c.blocked[s] = true;
        c.blockedSince ??= t;
        if (!c.clientClosed) c.buffered = Math.min(SOCKET_BUFFER_BYTES, c.buffered + c.rate * h * bytes);
        continue;
      }
      const n = c.rate * h + c.buffered / bytes;
      c.buffered = 0;
      c.blockedSince = undefined;
      this.route(node, c, n);
    }
  }

  private route(node: BrokerNode, c: AmqpConnection, n: number): void {
    node.rxBytes += n * this.messageBytes;
    this.sidecar(node, c).received += n * this.messageBytes;
    this.count(node, "rabbitmq_global_messages_received_total", n);
    if (c.confirm) this.count(node, "rabbitmq_global_messages_received_confirm_total", n);
    c.accepted += n;
    const q = this.queues.get(c.queue);
    if (!q || !this.nodes[q.home].up) {
      // No queue to route to (its node is down): dropped, or returned to a mandatory publisher.
      if (c.mandatory) {
        c.returned += n;
        this.count(node, "rabbitmq_global_messages_unroutable_returned_total", n);
      } else this.count(node, "rabbitmq_global_messages_unroutable_dropped_total", n);
      return;
    }
    q.ram += n;
    this.count(node, "rabbitmq_global_messages_routed_total", n);
    if (c.confirm) this.count(node, "rabbitmq_global_messages_confirmed_total", n);
    this.count(this.nodes[q.home], "rabbitmq_queue_messages_published_total", n);
  }

  /** Consumers take what their rate allows, RAM first, then what was paged out. */
  private deliver(q: Queue, h: number): void {
    const home = this.nodes[q.home];
    const consumers: AmqpConnection[] = [];
    for (const node of this.nodes) {
      if (!node.up) continue;
      for (const c of node.connections)
        if (c.role === "consumer" && c.queue === q.name && !c.clientClosed) consumers.push(c);
    }
    const capacity = consumers.reduce((s, c) => s + c.rate * h, 0);
    const available = q.ram + q.paged;
    const delivered = home.up ? Math.min(available, capacity) : 0;
    const fromRam = Math.min(q.ram, delivered);
    q.ram -= fromRam;
    q.paged = Math.max(0, q.paged - (delivered - fromRam));
    const backlog = q.ram + q.paged > 0;
    q.unacked = 0;
    for (const c of consumers) {
      const d = capacity > 0 ? (delivered * c.rate * h) / capacity : 0;
      c.delivered += d;
      c.unacked = home.up ? this.inFlight(c, backlog, d / h) : 0;
      q.unacked += c.unacked;
      const node = this.nodes[c.node];
      node.txBytes += d * this.messageBytes;
      this.sidecar(node, c).sent += d * this.messageBytes;
      this.count(node, "rabbitmq_global_messages_delivered_total", d);
      this.count(node, "rabbitmq_global_messages_delivered_consume_manual_ack_total", d);
      this.count(node, "rabbitmq_global_messages_acknowledged_total", d);
    }
  }

  /**
   * Deliveries a consumer holds unacknowledged: with a backlog the broker fills its prefetch window
   * (about a second of work when it set none); otherwise what it received in the last second.
   */
  private inFlight(c: AmqpConnection, backlog: boolean, deliveredPerSecond: number): number {
    const window = c.prefetch > 0 ? c.prefetch : Math.max(1, c.rate);
    return backlog ? window : Math.min(window, deliveredPerSecond);
  }

  /** Memory as RabbitMQ counts it: base, connections and channels, and the messages of its queues in RAM. */
  private processMemory(node: BrokerNode): number {
    let memory = BASE_MEMORY;
    for (const c of node.connections) memory += CONNECTION_MEMORY + c.channels * CHANNEL_MEMORY;
    const perMessage = this.messageBytes + MESSAGE_OVERHEAD;
    for (const q of this.queues.values()) if (q.home === node.index) memory += (q.ram + q.unacked) * perMessage;
    return memory;
  }

  /** The memory monitor's check: page out, then set or clear the alarm; the kernel's limit comes first. */
  private checkMemory(node: BrokerNode, t: number, h: number): void {
    const pod = this.pod(node);
    const watermark = this.watermark(pod);
    let memory = this.processMemory(node);
    if (memory > this.spec.num("memory.pagingRatio", DEFAULT_PAGING_RATIO) * watermark) {
      const perMessage = this.messageBytes + MESSAGE_OVERHEAD;
      for (const q of this.queues.values()) {
        if (q.home !== node.index) continue;
        const paged = Math.min(q.ram, this.spec.num("memory.pagingRate", DEFAULT_PAGING_RATE) * h);
        q.ram -= paged;
        q.paged += paged;
        node.pagedBytes += paged * this.messageBytes;
        memory -= paged * perMessage;
      }
    }
    // A major collection copies the live heap: what just arrived is briefly there twice (the docs'
    // worst case is double the node's use). Blocked sockets' bytes sit in the kernel meanwhile.
    const arrived = Math.max(0, memory - node.memory);
    node.memory = memory;
    let buffered = 0;
    for (const c of node.connections) buffered += c.buffered;
    const workingSet = memory + GC_COPY_SHARE * arrived + buffered;
    node.workingSet = Math.max(node.workingSet, workingSet);
    if (workingSet > this.workload.memoryLimit) {
      // The kernel kills the container at its cgroup limit, whatever RabbitMQ thinks it may use.
      this.cluster.restartContainer(pod, "OOMKilled", 137, t);
      return;
    }
    if (memory >= watermark && !node.alarm) this.setAlarm(node, t, memory, watermark);
    else if (memory < watermark && node.alarm) this.clearAlarm(node, t, memory, watermark);
  }

  private setAlarm(node: BrokerNode, t: number, memory: number, watermark: number): void {
    node.alarm = true;
    this.log(
      node,
      t,
      "INFO",
      `vm_memory_high_watermark set. Memory used:${Math.round(memory)} allowed:${Math.round(watermark)}`,
    );
    // Every node of the cluster learns of the alarm and logs it (rabbit_alarm.erl).
    for (const n of this.nodes) {
      if (!n.up) continue;
      this.log(
        n,
        t,
        "WARN",
        `memory resource limit alarm set on node '${node.erlangName}'.\n\n` +
          "**********************************************************\n" +
          "*** Publishers will be blocked until this alarm clears ***\n" +
          "**********************************************************",
      );
    }
  }

  private clearAlarm(node: BrokerNode, t: number, memory: number, watermark: number): void {
    node.alarm = false;
    this.log(
      node,
      t,
      "INFO",
      `vm_memory_high_watermark clear. Memory used:${Math.round(memory)} allowed:${Math.round(watermark)}`,
    );
    for (const n of this.nodes) {
      if (n.up) this.log(n, t, "WARN", `memory resource limit alarm cleared on node '${node.erlangName}'`);
    }
  }

  private reportUsage(node: BrokerNode, tick: Tick): void {
    const pod = this.pod(node);
    if (node.state === "down" || pod.phase !== "Running") return;
    if (node.state === "booting") {
      pod.usage = {
        ...zeroUsage(),
        cpu: this.rng.jitter(BOOT_CPU, 0.1),
        memory: this.rng.jitter(BOOT_MEMORY, 0.02),
        rxBytes: 0,
        txBytes: 0,
        fsWriteBytes: 0,
      };
      return;
    }
    const rate = (node.rxBytes + node.txBytes) / (this.messageBytes * tick.dt);
    const cpu = IDLE_CPU + rate * CPU_PER_MESSAGE + (node.handshakes / tick.dt) * HANDSHAKE_CPU_SECONDS;
    pod.usage = {
      ...zeroUsage(),
      cpu: this.rng.jitter(cpu, 0.05),
      // A reading never passes the limit: the kernel would have killed the container first.
      memory: Math.min(this.workload.memoryLimit - 1, this.rng.jitter(node.workingSet, 0.005)),
      rxBytes: node.rxBytes / tick.dt,
      txBytes: node.txBytes / tick.dt,
      fsWriteBytes: node.pagedBytes / tick.dt,
    };
  }

  private labels(node: BrokerNode, metric: string): Labels {
    const pod = this.pod(node);
    const labels: Labels = {
      namespace: pod.namespace,
      pod: pod.name,
      container: this.workload.container,
      instance: `${pod.ip ?? ""}:${PROMETHEUS_PORT}`,
    };
    if (metric.startsWith("rabbitmq_global_")) labels.protocol = "amqp091";
    return labels;
  }

  observe(tick: Tick): void {
    for (const node of this.nodes) if (node.up) this.observeNode(node, tick);
    if (this.spec.bool("istio", false)) for (const node of this.nodes) this.observeSidecar(node);
  }

  /**
   * Istio's standard TCP metrics as the broker pods' sidecars report them (reporter="destination"):
   * what Kiali draws its graph from, one series per source workload.
   */
  private observeSidecar(node: BrokerNode): void {
    const pod = this.pod(node);
    if (pod.phase !== "Running") return;
    const m = this.world.metrics;
    for (const s of node.sidecar.values()) {
      const labels: Labels = {
        namespace: pod.namespace,
        pod: pod.name,
        reporter: "destination",
        source_workload: s.workload,
        source_workload_namespace: s.namespace,
        destination_workload: this.workload.name,
        destination_workload_namespace: pod.namespace,
        destination_service: `${this.host}.${pod.namespace}.svc.cluster.local`,
        destination_service_name: this.host,
        destination_service_namespace: pod.namespace,
        request_protocol: "tcp",
        connection_security_policy: "mutual_tls",
        response_flags: "-",
      };
      m.get(ENVOY_JOB, "istio_tcp_connections_opened_total", labels).set(s.opened);
      m.get(ENVOY_JOB, "istio_tcp_connections_closed_total", labels).set(s.closed);
      m.get(ENVOY_JOB, "istio_tcp_received_bytes_total", labels).set(Math.round(s.received));
      m.get(ENVOY_JOB, "istio_tcp_sent_bytes_total", labels).set(Math.round(s.sent));
    }
  }

  private observeNode(node: BrokerNode, tick: Tick): void {
    const m = this.world.metrics;
    const pod = this.pod(node);
    const gauge = (metric: string, value: number, extra: Labels = {}) =>
      m.get(SCRAPE_JOB, metric, { ...this.labels(node, metric), ...extra }).set(value);
    for (const counter of COUNTERS) {
      // Counters count whole messages: report the whole part of the running total.
      const total = Math.floor(node.totals.get(counter) ?? 0);
      m.get(SCRAPE_JOB, counter, this.labels(node, counter)).add(total - (node.reported.get(counter) ?? 0));
      node.reported.set(counter, total);
    }
    gauge("rabbitmq_identity_info", 1, {
      rabbitmq_node: node.erlangName,
      rabbitmq_cluster: this.host,
      rabbitmq_cluster_permanent_id: `rabbitmq-cluster-id-${this.serviceIp.replaceAll(".", "")}`,
    });
    gauge("rabbitmq_build_info", 1, {
      rabbitmq_version: this.workload.version,
      erlang_version: this.erlangVersion(),
      prometheus_plugin_version: this.workload.version,
      prometheus_client_version: "4.9.1",
    });
    gauge("rabbitmq_erlang_uptime_seconds", Math.max(0, tick.t - node.startedAt));
    let channels = 0;
    let publishers = 0;
    let consumers = 0;
    for (const c of node.connections) {
      channels += c.channels;
      if (c.role === "publisher" && c.rate > 0) publishers++;
      if (c.role === "consumer") consumers++;
    }
    gauge("rabbitmq_connections", node.connections.size);
    gauge("rabbitmq_channels", channels);
    gauge("rabbitmq_consumers", consumers);
    gauge("rabbitmq_global_publishers", publishers);
    gauge("rabbitmq_global_consumers", consumers);
    let ready = 0;
    let ram = 0;
    let paged = 0;
    let unacked = 0;
    let queues = 0;
    let queueConsumers = 0;
    for (const q of this.queues.values()) {
      if (q.home !== node.index) continue;
      queues++;
      ready += q.ram + q.paged;
      ram += q.ram;
      paged += q.paged;
      unacked += q.unacked;
      for (const n of this.nodes)
        for (const c of n.connections) if (c.role === "consumer" && c.queue === q.name) queueConsumers++;
    }
    gauge("rabbitmq_queues", queues);
    gauge("rabbitmq_queue_messages_ready", Math.round(ready));
    gauge("rabbitmq_queue_messages_unacked", Math.round(unacked));
    gauge("rabbitmq_queue_messages", Math.round(ready + unacked));
    gauge("rabbitmq_queue_messages_ram", Math.round(ram + unacked));
    gauge("rabbitmq_queue_messages_paged_out", Math.round(paged));
    gauge("rabbitmq_queue_consumers", queueConsumers);
    gauge("rabbitmq_process_resident_memory_bytes", Math.round(this.rng.jitter(node.memory, 0.003)));
    gauge("rabbitmq_resident_memory_limit_bytes", Math.round(this.watermark(pod)));
    gauge("rabbitmq_alarms_memory_used_watermark", node.alarm ? 1 : 0);
    gauge("rabbitmq_alarms_free_disk_space_watermark", 0);
    gauge("rabbitmq_alarms_file_descriptor_limit", 0);
    gauge("rabbitmq_process_open_fds", BASE_FDS + node.connections.size);
    gauge("rabbitmq_process_max_fds", MAX_FDS);
  }
}

export function createRabbitMq(name: string, spec: Spec, world: World): RabbitMqCluster {
  return new RabbitMqCluster(name, spec, world);
}
