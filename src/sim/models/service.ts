/**
 * A request-serving workload (a Deployment behind a Kubernetes Service): requests arrive from callers
 * or from outside, each spends its own processing time (stretched by CPU saturation and a busy disk),
 * calls its callees and its database pool, and fails for its own reasons or theirs. It reports
 * Micrometer or prom-client request metrics, log lines per language, and its pods' resource usage.
 */
import type { Rng } from "../rng.js";
import { ScenarioError } from "../scenario.js";
import type { Spec } from "../spec.js";
import type { LogSource } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import { AmqpClient, brokerOf, clientOptions } from "./amqp.js";
import { type Cluster, deploymentFromSpec, logSourceOf, type Pod, type Workload } from "./cluster.js";
import { type FailureCause, failureText, type Language, languageOf, routineText } from "./logTexts.js";
import type { MySqlServer } from "./mysql.js";
import { ConnectionPool } from "./pool.js";

/** Below this CPU utilisation of its limit a service is not slowed; above it, queueing sets in. */
const CPU_KNEE = 0.7;
/** Slowdown at 100% of the CPU limit: requests wait for CFS quota. */
const CPU_SLOWDOWN_AT_LIMIT = 4;
/** Disk busy share from which writes queue and a disk-bound service slows. */
const DISK_KNEE = 0.7;
/** A lost packet costs about one TCP retransmission timeout (200 ms minimum on Linux). */
const RETRANSMIT_SECONDS = 0.2;
/** Packets exchanged by one call: a request, a response and their ACKs. */
const PACKETS_PER_CALL = 6;
/** Bytes on the wire per request received and per response sent. */
const REQUEST_BYTES = 1500;
const RESPONSE_BYTES = 6000;
/** The 90th percentile of a request-time distribution with a log-normal spread of 0.5. */
const P90_OVER_MEDIAN = 1.9;
/** Bytes a log line takes on disk (JSON with Kubernetes metadata). */
const LOG_LINE_BYTES = 250;
/** Idle CPU of a running process (GC, health checks), cores. */
const IDLE_CPU = 0.005;

/** One failure cause and the share of requests it fails. */
export interface Failure {
  cause: FailureCause;
  target: string;
  share: number;
}

/** What a pod's requests experienced this tick. */
export interface PodOutcome {
  pod: Pod;
  rps: number;
  /** Median time of requests that succeeded, seconds. */
  latency: number;
  /** Own processing part of it (the server span's self time). */
  own: number;
  /** Time waiting for a pooled database connection. */
  dbWait: number;
  /** Share of requests that failed, and why. */
  errorShare: number;
  failures: Failure[];
  /** Median time of failed requests (a timeout waits it out; a refusal is quick). */
  failedLatency: number;
}

/** The service as its callers see it this tick. */
export interface ServiceOutcome {
  rps: number;
  latency: number;
  errorShare: number;
  failedLatency: number;
  pods: PodOutcome[];
}

interface PodState {
  leakedMemory: number;
  pool?: ConnectionPool;
  /** The AMQP connection a `publish` block gives each pod. */
  publisher?: AmqpClient;
}

/** Ordering of services so callees step before their callers: the longest call path below each. */
export function serviceHeights(components: Record<string, Spec>): Map<string, number> {
  const heights = new Map<string, number>();
  const visiting = new Set<string>();
  const height = (name: string): number => {
    const known = heights.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name))
      throw new ScenarioError(`components.${name}.calls: the call graph has a cycle through ${name}`);
    visiting.add(name);
    const callees = components[name]?.keys("calls") ?? [];
    const h = callees.length === 0 ? 0 : 1 + Math.max(...callees.map((c) => (components[c] ? height(c) : 0)));
    visiting.delete(name);
    heights.set(name, h);
    return h;
  };
  for (const name of Object.keys(components)) height(name);
  return heights;
}

/**
 * Share of requests that fail when each call fails with probability `p` and a request makes `n` calls
 * on average: `floor(n)` calls always, one more with probability `n mod 1`.
 */
export function failureOverCalls(p: number, n: number): number {
  const whole = Math.floor(n);
  return 1 - (1 - p) ** whole * (1 - (n - whole) * p);
}

/** How much CPU saturation stretches request time, from the utilisation of the CPU limit. */
export function cpuSlowdown(utilisation: number): number {
  if (utilisation <= CPU_KNEE) return 1;
  if (utilisation <= 1) return 1 + (CPU_SLOWDOWN_AT_LIMIT - 1) * ((utilisation - CPU_KNEE) / (1 - CPU_KNEE)) ** 2;
  // Past the limit the backlog grows with the excess.
  return CPU_SLOWDOWN_AT_LIMIT * utilisation ** 3;
}

export class Service implements Model {
  readonly phase: number;
  readonly workload: Workload;
  readonly language: Language;
  outcome: ServiceOutcome = { rps: 0, latency: 0, errorShare: 0, failedLatency: 0, pods: [] };
  /** Requests per second arriving this tick, set by the mesh. */
  inbound = 0;
  private readonly rng: Rng;
  private readonly states = new Map<Pod, PodState>();
  private readonly cluster: Cluster;

  constructor(
    readonly name: string,
    readonly spec: Spec,
    private readonly world: World,
    height: number,
  ) {
    this.phase = PHASE.service + height;
    this.rng = world.rng.fork(name);
    this.cluster = world.get<Cluster>("cluster", `components.${name}`);
    this.language = languageOf(spec, "java");
    this.workload = this.cluster.workload(name, {
      ...deploymentFromSpec(name, spec, {
        cpuRequest: 0.1,
        cpuLimit: 1,
        memoryRequest: 256 * 2 ** 20,
        memoryLimit: 512 * 2 ** 20,
      }),
      onRestart: (pod) => this.restarted(pod),
    });
  }

  /** A parameter for a pod: the release block's value for pods running the release, else the service's. */
  private param(pod: Pod, key: string, fallback: number): number {
    if (this.spec.has("release.version") && pod.version === this.spec.str("release.version")) {
      if (this.spec.has(`release.${key}`)) return this.spec.num(`release.${key}`);
    }
    return this.spec.num(key, fallback);
  }

  /** Seconds a call into this service loses on the network: injected delay and retransmissions. */
  networkPenalty(): number {
    const delay = this.spec.seconds("networkDelay", 0);
    const loss = this.spec.num("packetLoss", 0);
    return delay + loss * PACKETS_PER_CALL * RETRANSMIT_SECONDS;
  }

  /** Share of calls into this service lost outright (a connect or read that never completes). */
  networkFailure(): number {
    const loss = this.spec.num("packetLoss", 0);
    return loss ** 2;
  }

  route(): string {
    return this.spec.str("route", `GET /${this.name}`);
  }

  private restarted(pod: Pod): void {
    this.world.metrics.restartTarget(this.name, pod.name);
    const state = this.states.get(pod);
    if (!state) return;
    state.leakedMemory = 0;
    state.pool?.reset();
    state.publisher?.reset(pod.lastTerminated?.at ?? 0);
  }

  private state(pod: Pod): PodState {
    let s = this.states.get(pod);
    if (!s) {
      s = { leakedMemory: 0 };
      if (this.spec.has("db.target")) s.pool = this.makePool(pod);
      if (this.spec.has("publish.target")) s.publisher = this.makePublisher(pod);
      this.states.set(pod, s);
    }
    return s;
  }

  private makePool(pod: Pod): ConnectionPool {
    const target = this.spec.str("db.target");
    const server = this.world.get<MySqlServer>(target, `${this.spec.path}.db.target`);
    return new ConnectionPool(
      this.spec.child("db.pool"),
      server,
      this.spec.str("db.user", this.name),
      pod.ip ?? pod.name,
      this.world.metrics,
      this.name,
      { namespace: pod.namespace, pod: pod.name, service: this.name },
      this.rng.fork(pod.name),
    );
  }

  /** A pod that publishes to a broker: one connection per pod, opened on first use (robot-shop's Publisher). */
  private makePublisher(pod: Pod): AmqpClient {
    const spec = this.spec.child("publish");
    const client = {
      workload: this.name,
      namespace: pod.namespace,
      pod: pod.name,
      ip: pod.ip ?? "",
      user: spec.str("user", this.name),
    };
    return new AmqpClient(brokerOf(this.world, spec), client, "publisher", clientOptions(spec, 0));
  }

  step(tick: Tick): void {
    this.cluster.scale(this.workload, this.spec.num("replicas", 1), tick.t);
    if (this.spec.has("version")) this.cluster.rollout(this.workload, this.spec.str("version"));
    for (const [pod, state] of this.states) {
      if (!state.publisher || this.workload.pods.includes(pod)) continue;
      state.publisher.close(tick.t);
      this.states.delete(pod);
    }
    const pods = this.cluster.readyPods(this.workload);
    const rps = this.inbound;
    if (pods.length === 0) {
      // No endpoint: the mesh refuses at once.
      this.outcome = { rps, latency: 0, errorShare: 1, failedLatency: 0.001, pods: [] };
      return;
    }
    const outcomes = pods.map((pod) => this.servePod(pod, rps / pods.length, tick));
    const total = outcomes.reduce((s, o) => s + o.rps, 0);
    const weighted = (f: (o: PodOutcome) => number) =>
      total > 0
        ? outcomes.reduce((s, o) => s + f(o) * o.rps, 0) / total
        : outcomes.reduce((s, o) => s + f(o), 0) / outcomes.length;
    this.outcome = {
      rps,
      latency: weighted((o) => o.latency),
      errorShare: weighted((o) => o.errorShare),
      failedLatency: weighted((o) => o.failedLatency),
      pods: outcomes,
    };
  }

  private servePod(pod: Pod, rps: number, tick: Tick): PodOutcome {
    const state = this.state(pod);
    const spec = this.spec;
    const cpuDemand = IDLE_CPU + rps * this.param(pod, "cpuPerRequest", 0.002) + this.param(pod, "cpuHog", 0);
    const slow = cpuSlowdown(cpuDemand / this.workload.cpuLimit);
    const diskWrite = this.param(pod, "diskWrite", 0);
    const diskBusy = pod.node ? this.nodeDiskBusy(pod) : 0;
    const diskSlow =
      diskWrite > 0 || spec.bool("diskBound", false)
        ? 1 + (6 * Math.max(0, diskBusy - DISK_KNEE)) / (1 - DISK_KNEE)
        : 1;
    const own = (this.param(pod, "latency", 0.01) + this.param(pod, "extraLatency", 0)) * slow * diskSlow;

    const failures: Failure[] = [];
    let latency = own;
    let failedLatency = own;
    const timeout = spec.seconds("timeout", 30);
    for (const calleeName of spec.keys("calls")) {
      const callee = this.world.get<Service>(calleeName, `${spec.path}.calls`);
      const n = spec.num(`calls.${calleeName}`);
      // Both ends' interfaces are on the path: this pod's own delay and loss count too.
      const call = callee.outcome.latency + callee.networkPenalty() + this.networkPenalty();
      if (call >= timeout) {
        failures.push({ cause: "timeout", target: calleeName, share: Math.min(1, n) });
        failedLatency = Math.max(failedLatency, timeout);
        continue;
      }
      latency += n * call;
      const unavailable = callee.outcome.pods.length === 0;
      const lost = callee.networkFailure() + this.networkFailure();
      const calleeFails = failureOverCalls(Math.min(1, callee.outcome.errorShare + lost), n);
      if (calleeFails > 0) {
        failures.push({ cause: unavailable ? "unavailable" : "dependency", target: calleeName, share: calleeFails });
        failedLatency = Math.max(failedLatency, own + callee.outcome.failedLatency);
      }
    }
    let dbWait = 0;
    if (state.pool) {
      const queries = spec.num("db.queriesPerRequest", 2);
      const server = this.world.get<MySqlServer>(spec.str("db.target"), `${spec.path}.db.target`);
      const queryTime = server.queryTime();
      const hold = spec.seconds("db.holdTime", queries * queryTime);
      const result = state.pool.serve(rps, hold, this.param(pod, "db.leakShare", 0), tick.t, tick.dt);
      dbWait = result.wait;
      latency += dbWait + queries * queryTime;
      if (result.timedOut > 0) {
        failures.push({ cause: "pool-timeout", target: server.name, share: result.timedOut });
        failedLatency = Math.max(failedLatency, spec.seconds("db.pool.connectionTimeout", 30));
      }
      if (result.refused > 0) failures.push({ cause: "refused", target: server.name, share: result.refused });
    }
    if (state.publisher) {
      const perRequest = spec.num("publish.perRequest", 1);
      const published = state.publisher.publish(rps * perRequest, tick);
      latency += published.wait;
      const attempts = Math.max(rps * perRequest * tick.dt, 1e-9);
      for (const f of published.failed) {
        failures.push({ cause: f.cause, target: state.publisher.broker.host, share: Math.min(1, f.count / attempts) });
        failedLatency = Math.max(failedLatency, own + f.seconds);
      }
    }
    const codeErrors = this.param(pod, "errorRate", 0);
    if (codeErrors > 0) failures.push({ cause: "code", target: this.name, share: codeErrors });
    const errorShare = 1 - failures.reduce((ok, f) => ok * (1 - Math.min(1, f.share)), 1);

    this.reportUsage(pod, state, rps, cpuDemand, diskWrite, tick);
    const outcome: PodOutcome = {
      pod,
      rps,
      latency: this.rng.jitter(latency, 0.04),
      own,
      dbWait,
      errorShare,
      failures,
      failedLatency,
    };
    this.observePod(outcome, tick);
    return outcome;
  }

  private nodeDiskBusy(pod: Pod): number {
    const node = pod.node;
    if (!node) return 0;
    let write = 0;
    for (const p of this.cluster.podsByNode().get(node) ?? []) write += p.usage.fsWriteBytes;
    return Math.min(1, write / node.diskBytesPerSecond);
  }

  private reportUsage(pod: Pod, state: PodState, rps: number, cpu: number, diskWrite: number, tick: Tick): void {
    state.leakedMemory += this.param(pod, "memoryLeak", 0) * tick.dt;
    const base = this.spec.bytes("memory", this.workload.memoryRequest * 0.6);
    const loss = this.spec.num("packetLoss", 0);
    const calls = this.spec.keys("calls").reduce((n, c) => n + this.spec.num(`calls.${c}`), 1);
    const packets = rps * calls * PACKETS_PER_CALL;
    pod.usage = {
      cpu: this.rng.jitter(cpu, 0.05),
      memory: this.rng.jitter(base, 0.01) + state.leakedMemory,
      rxBytes: rps * REQUEST_BYTES,
      txBytes: rps * RESPONSE_BYTES,
      fsWriteBytes: diskWrite + this.spec.num("logs.infoRate", 0.2) * LOG_LINE_BYTES,
      droppedPackets: loss * packets,
      retransmits: loss * packets,
    };
  }

  private source(pod: Pod): LogSource {
    return logSourceOf(pod, this.name);
  }

  private observePod(o: PodOutcome, tick: Tick): void {
    const m = this.world.metrics;
    const pod = o.pod;
    const labels = { namespace: pod.namespace, pod: pod.name, service: this.name };
    const requests = o.rps * tick.dt;
    const failed = requests * o.errorShare;
    const ok = requests - failed;
    const okSeconds = ok * o.latency;
    const failedSeconds = failed * o.failedLatency;
    const [method, uri] = this.route().split(" ", 2);
    const p90 =
      o.errorShare > 0.1 ? Math.max(o.failedLatency, o.latency * P90_OVER_MEDIAN) : o.latency * P90_OVER_MEDIAN;
    if (this.language === "java") {
      const base = { ...labels, method, uri };
      m.get(this.name, "http_server_requests_seconds_count", { ...base, status: "200", outcome: "SUCCESS" }).add(ok);
      m.get(this.name, "http_server_requests_seconds_sum", { ...base, status: "200", outcome: "SUCCESS" }).add(
        okSeconds,
      );
      m.get(this.name, "http_server_requests_seconds_count", { ...base, status: "500", outcome: "SERVER_ERROR" }).add(
        failed,
      );
      m.get(this.name, "http_server_requests_seconds_sum", { ...base, status: "500", outcome: "SERVER_ERROR" }).add(
        failedSeconds,
      );
      m.get(this.name, "http_server_requests_seconds_max", { ...base, status: "200", outcome: "SUCCESS" }).set(
        p90 * 1.6,
      );
    } else {
      const base = { ...labels, method, route: uri };
      m.get(this.name, "http_request_duration_seconds_count", { ...base, code: "200" }).add(ok);
      m.get(this.name, "http_request_duration_seconds_sum", { ...base, code: "200" }).add(okSeconds);
      m.get(this.name, "http_request_duration_seconds_count", { ...base, code: "500" }).add(failed);
      m.get(this.name, "http_request_duration_seconds_sum", { ...base, code: "500" }).add(failedSeconds);
    }
    const source = this.source(pod);
    const logs = this.world.logs;
    logs.emit(
      source,
      "INFO",
      routineText(this.language, this.route()),
      this.spec.num("logs.infoRate", 0.2),
      tick.t,
      tick.dt,
    );
    const errorLogShare = this.spec.num("logs.errorLogShare", 1);
    for (const f of o.failures) {
      const rate = o.rps * Math.min(1, f.share) * errorLogShare;
      logs.emit(source, "ERROR", failureText(this.language, f.cause, f.target), rate, tick.t, tick.dt);
    }
  }
}

export function createService(name: string, spec: Spec, world: World, height: number): Service {
  return new Service(name, spec, world, height);
}
