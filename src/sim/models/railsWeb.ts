/**
 * A Rails application served by Puma: outside requests, each on a Puma thread holding an ActiveRecord
 * connection (through pgbouncer) for the request. Rack::Timeout bounds every request, so a connection
 * stuck on a vanished pgbouncer costs one failed request and is thrown away, not a thread forever.
 * Metrics are prometheus_exporter's web and ActiveRecord instrumentation; logs are Rails' request log.
 */
import type { Rng } from "../rng.js";
import type { Spec } from "../spec.js";
import type { LogSource } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import { type ConnFailure, RAILS_PROCESS_RESOURCES, type RailsProcess, RailsProcesses } from "./activeRecord.js";
import { type Cluster, deploymentFromSpec, type Pod, type Workload, zeroUsage } from "./cluster.js";

/** Puma's thread count as `rails new` configures it: RAILS_MAX_THREADS, 5. */
const DEFAULT_THREADS = 5;
/** rack-timeout's default service_timeout. */
const DEFAULT_REQUEST_TIMEOUT = 15;
/** CPU of an idle Puma process. */
const IDLE_CPU = 0.01;
const BASE_MEMORY = 420 * 2 ** 20;
const REQUEST_BYTES = 1200;
const RESPONSE_BYTES = 8000;

export class RailsWeb implements Model {
  readonly phase = PHASE.service;
  readonly workload: Workload;
  private readonly cluster: Cluster;
  private readonly rng: Rng;
  private readonly states: RailsProcesses;

  constructor(
    readonly name: string,
    private readonly spec: Spec,
    private readonly world: World,
  ) {
    this.rng = world.rng.fork(name);
    this.states = new RailsProcesses(spec, world, this.rng);
    this.cluster = world.get<Cluster>("cluster", spec.path);
    this.workload = this.cluster.workload(name, {
      ...deploymentFromSpec(name, spec, RAILS_PROCESS_RESOURCES),
      onRestart: (pod) => this.states.get(pod)?.pool.reset(),
      onStop: (pod) => this.states.delete(pod),
    });
  }

  private requestTimeout(): number {
    return this.spec.seconds("requestTimeout", DEFAULT_REQUEST_TIMEOUT);
  }

  private state(pod: Pod, tick: Tick): RailsProcess {
    return this.states.of(pod, this.requestTimeout(), tick.i === 0);
  }

  step(tick: Tick): void {
    this.cluster.scale(this.workload, this.spec.num("replicas", 1), tick.t);
    if (this.spec.has("version")) this.cluster.rollout(this.workload, this.spec.str("version"));
    const pods = this.cluster.readyPods(this.workload);
    const rps = this.rng.jitter(this.spec.num("traffic.rps", 10), 0.03);
    for (const pod of pods) this.servePod(pod, rps / pods.length, tick);
  }

  private servePod(pod: Pod, rps: number, tick: Tick): void {
    const { t, dt } = tick;
    const state = this.state(pod, tick);
    const pool = state.pool;
    const busyShare = pool.open() > 0 ? Math.min(1, state.working / pool.open()) : 0;
    const failures = pool.tick(t, dt, busyShare);
    const dbTime = this.spec.seconds("dbTime", 0.01);
    const duration = this.spec.seconds("latency", 0.03) + dbTime;
    const threads = this.spec.num("threads", DEFAULT_THREADS) - pool.stuck();
    const servers = Math.max(0, Math.min(threads, pool.usable()));
    const need = rps * duration;
    // More requests than threads with a connection can serve: the excess queues until Rack::Timeout.
    const served = need > servers ? (need > 0 ? servers / need : 0) : 1;
    if (served < 1) failures.set("gave-up", (failures.get("gave-up") ?? 0) + rps * dt * (1 - served));
    state.working = Math.min(servers, need);
    const requests = rps * dt;
    const failed = Math.min(
      requests,
      [...failures.values()].reduce((s, n) => s + n, 0),
    );
    pool.report({
      active: state.working * (dbTime / duration),
      queries: (requests - failed) * this.spec.num("db.queriesPerRequest", 4),
      xacts: (requests - failed) * this.spec.num("db.transactionsPerRequest", 1),
    });
    pod.usage = {
      ...zeroUsage(),
      cpu: this.rng.jitter(IDLE_CPU + rps * this.spec.num("cpuPerRequest", 0.005), 0.05),
      memory: this.rng.jitter(BASE_MEMORY, 0.01),
      rxBytes: rps * REQUEST_BYTES,
      txBytes: rps * RESPONSE_BYTES,
    };
    this.observePod(pod, state, failures, requests, failed, duration, tick);
  }

  private observePod(
    pod: Pod,
    state: RailsProcess,
    failures: Map<ConnFailure, number>,
    requests: number,
    failed: number,
    duration: number,
    tick: Tick,
  ): void {
    const m = this.world.metrics;
    const [controller, action] = this.spec.str("route", "orders#index").split("#", 2);
    const base = { namespace: pod.namespace, pod: pod.name };
    const route = { ...base, controller, action };
    const ok = requests - failed;
    m.get(this.name, "ruby_http_requests_total", { ...route, status: "200" }).add(ok);
    m.get(this.name, "ruby_http_requests_total", { ...route, status: "500" }).add(failed);
    m.get(this.name, "ruby_http_request_duration_seconds_count", route).add(requests);
    m.get(this.name, "ruby_http_request_duration_seconds_sum", route).add(
      ok * duration + failed * this.requestTimeout(),
    );
    state.pool.observe(m, this.name, base, state.pool.stuck() + state.working, 0);
    const source: LogSource = {
      workload: this.name,
      namespace: pod.namespace,
      pod: pod.name,
      container: this.name,
      node: pod.node?.name,
    };
    const ms = (rng: Rng, seconds: number) => rng.jitter(seconds * 1000, 0.3).toFixed(1);
    const dbTime = this.spec.seconds("dbTime", 0.01);
    this.world.logs.emit(
      source,
      "INFO",
      (rng) =>
        `Completed 200 OK in ${Math.round(duration * 1000)}ms (Views: ${ms(rng, duration - dbTime)}ms | ActiveRecord: ${ms(rng, dbTime)}ms | Allocations: ${Math.round(rng.uniform(2000, 9000))})`,
      this.spec.num("logs.infoRate", 1),
      tick.t,
      tick.dt,
    );
    for (const [why, n] of failures) {
      const e = state.pool.exception(why);
      this.world.logs.emit(source, "FATAL", `${e.name} (${e.message}):`, n / tick.dt, tick.t, tick.dt);
    }
  }
}

export function createRailsWeb(name: string, spec: Spec, world: World): RailsWeb {
  return new RailsWeb(name, spec, world);
}
