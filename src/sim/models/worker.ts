/**
 * Async workers: a Deployment of Sidekiq processes (Rails) with `concurrency` threads each, pulling
 * jobs from one Redis queue shared by all. A running job holds an ActiveRecord connection for its whole
 * run, so a process works at most as many jobs at once as it has threads and usable connections. A
 * thread whose connection is stuck on a vanished pgbouncer is "busy" forever: it uses no CPU, logs
 * nothing and its pod stays Ready, while the queue backs up. Jobs that fail go to the retry set and come
 * back. Metrics are prometheus_exporter's Sidekiq and ActiveRecord instrumentation with its default
 * `ruby_` prefix — unverified: read in discourse/prometheus_exporter's collectors, not checked against a
 * running exporter (failure-signatures.md leaves the Sidekiq exporter's names open).
 */
import type { Rng } from "../rng.js";
import type { Spec } from "../spec.js";
import type { LogSource } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import { type ConnFailure, RAILS_PROCESS_RESOURCES, type RailsProcess, RailsProcesses } from "./activeRecord.js";
import { type Cluster, deploymentFromSpec, logSourceOf, type Pod, type Workload, zeroUsage } from "./cluster.js";

/** Sidekiq's default concurrency (Sidekiq 7: 5 threads per process). */
const DEFAULT_CONCURRENCY = 5;
/** CPU of an idle Sidekiq process: heartbeat, Redis fetch, Ruby GC. */
const IDLE_CPU = 0.008;
/** A Ruby process with Rails loaded. */
const BASE_MEMORY = 380 * 2 ** 20;
/** Sidekiq's first retry waits (count^4) + 15 + rand(10) * (count + 1) s: 15-24 s. */
const RETRY_DELAY = 20;
/** Bytes a Sidekiq log line takes on disk. */
const LOG_LINE_BYTES = 200;

/** One pod's share of the tick: what it could do and what it did. */
interface PodWork {
  pod: Pod;
  state: RailsProcess;
  capacity: number;
  freeThreads: number;
  failures: Map<ConnFailure, number>;
  done: number;
  checkoutTimeouts: number;
  /** Threads holding a job from the queue while they wait at checkout. */
  waiting: number;
}

/** Threads beyond the usable connections: while jobs are queued they take one and wait at checkout. */
function surplus(w: PodWork): number {
  return Math.max(0, w.freeThreads - Math.max(0, w.state.pool.usable()));
}

export class Worker implements Model {
  readonly phase = PHASE.service;
  readonly workload: Workload;
  private readonly cluster: Cluster;
  private readonly rng: Rng;
  private readonly states: RailsProcesses;
  /** The queue in Redis as cohorts of jobs by enqueue time, oldest first. */
  private queue: { t: number; n: number }[] = [];
  private retries: { at: number; n: number }[] = [];

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
      onStop: (pod, how, t) => this.stopped(pod, how, t),
    });
  }

  private concurrency(): number {
    return this.spec.num("concurrency", DEFAULT_CONCURRENCY);
  }

  private jobTime(): number {
    return this.spec.seconds("jobTime", 1);
  }

  private queueName(): string {
    return this.spec.str("queue", "default");
  }

  private backlog(): number {
    return this.queue.reduce((s, c) => s + c.n, 0);
  }

  private state(pod: Pod, tick: Tick): RailsProcess {
    return this.states.of(pod, Number.POSITIVE_INFINITY, tick.i === 0);
  }

  /**
   * SIGTERM: Sidekiq stops fetching and, after its shutdown timeout, pushes the jobs still running back
   * to the queue — the stuck ones included, so a redeploy frees them. A vanished pod's jobs are lost.
   */
  private stopped(pod: Pod, how: "graceful" | "lost", t: number): void {
    const s = this.states.get(pod);
    this.states.delete(pod);
    if (s && how === "graceful") this.enqueue(s.pool.stuck() + s.working, t);
  }

  private enqueue(n: number, t: number): void {
    if (n <= 0) return;
    const last = this.queue[this.queue.length - 1];
    if (last && last.t === t) last.n += n;
    else this.queue.push({ t, n });
  }

  /** Takes up to `n` of the oldest jobs off the queue; returns how many it took. */
  private dequeue(n: number): number {
    let left = n;
    while (left > 1e-9 && this.queue.length > 0) {
      const head = this.queue[0];
      const take = Math.min(head.n, left);
      head.n -= take;
      left -= take;
      if (head.n <= 1e-9) this.queue.shift();
    }
    return n - left;
  }

  step(tick: Tick): void {
    const { t, dt } = tick;
    this.cluster.scale(this.workload, this.spec.num("replicas", 1), t);
    if (this.spec.has("version")) this.cluster.rollout(this.workload, this.spec.str("version"));
    this.enqueue(this.rng.poisson(this.spec.num("jobs.rate", 1) * dt), t);
    for (const r of this.retries.filter((x) => x.at <= t)) this.enqueue(r.n, r.at);
    this.retries = this.retries.filter((x) => x.at > t);

    const work = this.cluster.readyPods(this.workload).map((pod) => this.plan(pod, tick));
    const capacity = work.reduce((s, w) => s + w.capacity, 0);
    const done = this.dequeue(Math.min(this.backlog(), capacity * dt));
    for (const w of work) {
      w.done = capacity > 0 ? (done * w.capacity) / capacity : 0;
      w.state.working = (w.done / dt) * this.jobTime();
    }
    // Threads beyond the usable connections wait for one while jobs are queued, and fail at checkout_timeout.
    for (const w of work) w.checkoutTimeouts = this.dequeue(this.checkoutTimeouts(w) * dt);
    const surplusThreads = work.reduce((s, w) => s + surplus(w), 0);
    for (const w of work) {
      w.waiting = surplusThreads > 0 ? Math.min(surplus(w), (this.backlog() * surplus(w)) / surplusThreads) : 0;
    }
    for (const w of work) {
      const failed = [...w.failures.values()].reduce((s, n) => s + n, 0) + w.checkoutTimeouts;
      if (failed > 0) this.retries.push({ at: t + RETRY_DELAY, n: failed });
    }
    for (const w of work) this.observePod(w, tick);
  }

  /** A pod's connections this tick and the jobs per second it can work. */
  private plan(pod: Pod, tick: Tick): PodWork {
    const { t, dt } = tick;
    const state = this.state(pod, tick);
    const busyShare = state.pool.open() > 0 ? Math.min(1, state.working / state.pool.open()) : 0;
    const failures = state.pool.tick(t, dt, busyShare);
    const freeThreads = this.concurrency() - state.pool.stuck();
    const servers = Math.max(0, Math.min(freeThreads, state.pool.usable()));
    return {
      pod,
      state,
      capacity: servers / this.jobTime(),
      freeThreads,
      failures,
      done: 0,
      checkoutTimeouts: 0,
      waiting: 0,
    };
  }

  /**
   * Jobs per second failing with ActiveRecord::ConnectionTimeoutError: with jobs waiting, the threads
   * beyond the usable connections queue for one; when the wait exceeds checkout_timeout they give up.
   */
  private checkoutTimeouts(w: PodWork): number {
    const waiters = surplus(w);
    if (this.backlog() <= 0 || waiters <= 0) return 0;
    const usable = Math.max(0, w.state.pool.usable());
    const timeout = w.state.pool.checkoutTimeout();
    if (usable === 0) return waiters / timeout;
    const wait = (waiters * this.jobTime()) / usable;
    return wait > timeout ? (waiters / timeout) * (1 - timeout / wait) : 0;
  }

  private source(pod: Pod): LogSource {
    return logSourceOf(pod, this.name);
  }

  private observePod(w: PodWork, tick: Tick): void {
    const { pod, state } = w;
    const { dt, t } = tick;
    const pool = state.pool;
    const jobsPerSecond = w.done / dt;
    const backlog = this.backlog();
    const busy = Math.min(this.concurrency(), pool.stuck() + state.working + w.waiting);
    const dbShare = this.spec.num("db.transactionShare", 0.5);
    pool.report({
      active: state.working * dbShare,
      queries: w.done * this.spec.num("db.queriesPerJob", 10),
      xacts: w.done * this.spec.num("db.transactionsPerJob", 2),
    });
    pod.usage = {
      ...zeroUsage(),
      cpu: this.rng.jitter(IDLE_CPU + jobsPerSecond * this.spec.num("cpuPerJob", 0.02), 0.05),
      memory: this.rng.jitter(BASE_MEMORY, 0.01),
      rxBytes: jobsPerSecond * 20000,
      txBytes: jobsPerSecond * 4000,
      fsWriteBytes: jobsPerSecond * LOG_LINE_BYTES,
    };
    const m = this.world.metrics;
    const base = { namespace: pod.namespace, pod: pod.name };
    const jobName = { ...base, job_name: this.spec.str("jobClass", "ApplicationJob") };
    const failed = [...w.failures.values()].reduce((s, n) => s + n, 0) + w.checkoutTimeouts;
    m.get(this.name, "ruby_sidekiq_jobs_total", jobName).add(w.done + failed);
    m.get(this.name, "ruby_sidekiq_failed_jobs_total", jobName).add(failed);
    m.get(this.name, "ruby_sidekiq_job_duration_seconds", jobName).add(
      w.done * this.jobTime() + w.checkoutTimeouts * pool.checkoutTimeout(),
    );
    const process = {
      ...base,
      labels: "",
      queues: this.queueName(),
      quiet: "false",
      tag: this.name,
      hostname: pod.name,
      identity: `${pod.name}:1`,
    };
    m.get(this.name, "ruby_sidekiq_process_busy", process).set(Math.round(busy));
    m.get(this.name, "ruby_sidekiq_process_concurrency", process).set(this.concurrency());
    const queue = { ...base, queue: this.queueName() };
    m.get(this.name, "ruby_sidekiq_queue_backlog", queue).set(Math.round(backlog));
    m.get(this.name, "ruby_sidekiq_queue_latency_seconds", queue).set(
      this.queue.length > 0 ? Math.floor(t + dt - this.queue[0].t) : 0,
    );
    m.get(this.name, "ruby_sidekiq_stats_retry_size", base).set(Math.round(this.retries.reduce((s, r) => s + r.n, 0)));
    pool.observe(m, this.name, base, pool.stuck() + state.working, w.waiting);
    this.observeLogs(w, tick);
  }

  /** Sidekiq's default log: a `done` line per finished job; a `fail` line and the exception (WARN) per failed one. */
  private observeLogs(w: PodWork, tick: Tick): void {
    const source = this.source(w.pod);
    const logs = this.world.logs;
    const jobClass = this.spec.str("jobClass", "ApplicationJob");
    const context = (rng: Rng) => `pid=1 tid=${rng.k8sSuffix(4)} class=${jobClass} jid=${rng.hex(12)}`;
    const jobTime = this.jobTime();
    logs.emit(
      source,
      "INFO",
      (rng) => `${context(rng)} elapsed=${rng.jitter(jobTime, 0.3).toFixed(3)} INFO: done`,
      w.done / tick.dt,
      tick.t,
      tick.dt,
    );
    const pool = w.state.pool;
    const failures: [number, { name: string; message: string }][] = [...w.failures].map(([why, n]) => [
      n,
      pool.exception(why),
    ]);
    const timeout = pool.checkoutTimeout().toFixed(3);
    failures.push([
      w.checkoutTimeouts,
      {
        name: "ActiveRecord::ConnectionTimeoutError",
        message: `could not obtain a connection from the pool within ${timeout} seconds (waited ${timeout} seconds); all pooled connections were in use`,
      },
    ]);
    for (const [n, e] of failures) {
      logs.emit(source, "INFO", (rng) => `${context(rng)} elapsed=${timeout} INFO: fail`, n / tick.dt, tick.t, tick.dt);
      logs.emit(source, "WARN", `${e.name}: ${e.message}`, n / tick.dt, tick.t, tick.dt);
    }
  }
}

export function createWorker(name: string, spec: Spec, world: World): Worker {
  return new Worker(name, spec, world);
}
