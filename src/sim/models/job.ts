/**
 * A Kubernetes Job (batch/v1) that publishes to a message broker, created at `start` or by its
 * CronJob's daily schedule. The Job controller creates `parallelism` pods in the Job's namespace at
 * once; each pod opens its publisher connections (`publish.connectionsPerPod`, which may be
 * fractional: some pods open one more), publishes its share of `publish.messages` at
 * `publish.ratePerConnection`, retries after failures, and exits 0 when done. Reports the
 * kube-state-metrics Job and CronJob series, the controllers' events, the pods' usage and the
 * script's log lines. A Job that does not exist yet has no series at all.
 */
import type { Rng } from "../rng.js";
import { ScenarioError } from "../scenario.js";
import type { Spec } from "../spec.js";
import type { Labels, LogSource } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import { type AmqpBroker, AmqpClient, brokerOf, clientOptions } from "./amqp.js";
import { amqpFailureText } from "./amqpTexts.js";
import { type Cluster, KSM, logSourceOf, type Pod, resourcesFromSpec, type Workload, zeroUsage } from "./cluster.js";
import { type Language, languageOf } from "./logTexts.js";

/** A script that catches a broker error and tries again after a few seconds. */
const DEFAULT_RETRY_DELAY = 5;
/** CPU of the script per message it builds and publishes (a JSON document, a pika call). */
const CPU_PER_MESSAGE = 0.003;
const IDLE_CPU = 0.005;
/** A daily schedule `M H * * *`: the only form this model needs. */
const DAILY = /^(\d{1,2}) (\d{1,2}) \* \* \*$/;

interface Publisher {
  client: AmqpClient;
  remaining: number;
}

interface JobPod {
  connections: number;
  publishers: Publisher[];
  published: number;
  total: number;
  nextProgress: number;
}

export class BatchJob implements Model {
  readonly phase = PHASE.workload;
  readonly jobName: string;
  /** Offset from the scenario start at which the Job is created. */
  readonly start: number;
  private workload: Workload | undefined;
  private readonly cluster: Cluster;
  private brokerModel: AmqpBroker | undefined;
  private readonly rng: Rng;
  private readonly language: Language;
  private readonly pods = new Map<Pod, JobPod>();
  private succeeded = 0;
  private completedAt: number | undefined;
  private readonly cronJob: string | undefined;
  private readonly namespace: string;

  constructor(
    readonly name: string,
    private readonly spec: Spec,
    private readonly world: World,
  ) {
    this.rng = world.rng.fork(name);
    this.cluster = world.get<Cluster>("cluster", spec.path);
    this.namespace = spec.str("namespace", "default");
    this.language = languageOf(spec, "python");
    if (spec.has("cronJob")) {
      this.cronJob = spec.str("cronJob.name", name);
      if (spec.has("start")) throw new ScenarioError(`${spec.path}.start: a CronJob's Job starts on its schedule`);
      this.start = this.scheduledAfter(world.scenario.start) - world.scenario.start;
      this.jobName = `${this.cronJob}-${Math.floor((world.scenario.start + this.start) / 60)}`;
    } else {
      this.start = spec.seconds("start");
      this.jobName = name;
    }
  }
  /** The broker, found when first needed (components may be declared in any order). */
  private broker(): AmqpBroker {
    this.brokerModel ??= brokerOf(this.world, this.spec.child("publish"));
    return this.brokerModel;
  }

  /** The first time at or after `t` (unix seconds) that the daily schedule fires, UTC. */
  private scheduledAfter(t: number): number {
    const schedule = this.spec.str("cronJob.schedule");
    const match = DAILY.exec(schedule.trim());
    if (!match) throw new ScenarioError(`${this.spec.path}.cronJob.schedule: expected a daily schedule "M H * * *"`);
    const day = Math.floor(t / 86400) * 86400;
    const at = day + Number(match[2]) * 3600 + Number(match[1]) * 60;
    return at >= t ? at : at + 86400;
  }

  private parallelism(): number {
    return Math.round(this.spec.num("parallelism", 1));
  }

  private create(t: number): void {
    const spec = this.spec;
    const w = this.cluster.workload(this.jobName, {
      kind: "Job",
      namespace: this.namespace,
      replicas: 0,
      container: this.name,
      ...resourcesFromSpec(spec, {
        cpuRequest: 0.05,
        cpuLimit: 0.5,
        memoryRequest: 64 * 2 ** 20,
        memoryLimit: 256 * 2 ** 20,
      }),
      labels: { "job-name": this.jobName },
      version: spec.str("version", "latest"),
      image: spec.str("image", `${this.namespace}/${this.name}`),
    });
    this.workload = w;
    if (this.cronJob) {
      this.world.events.emit(
        t,
        { kind: "CronJob", name: this.cronJob, namespace: this.namespace },
        "Normal",
        "SuccessfulCreate",
        `Created job ${this.jobName}`,
        "cronjob-controller",
      );
    }
    this.cluster.scale(w, this.parallelism(), t);
    const n = this.parallelism();
    const perPod = spec.num("publish.connectionsPerPod", 1);
    // Every connection publishes the same share: a pod with more connections has more to do.
    const perConnection = spec.num("publish.messages") / Math.max(1, Math.round(n * perPod));
    w.pods.forEach((pod, k) => {
      // Pod k opens floor(perPod) connections, and one more for its share of the fraction.
      const connections = Math.floor((k + 1) * perPod) - Math.floor(k * perPod);
      const total = connections * perConnection;
      this.pods.set(pod, { connections, publishers: [], published: 0, total, nextProgress: this.progressEvery() });
    });
  }

  /** The script starts: it opens its connections from the pod's address. */
  private startScript(pod: Pod, state: JobPod): void {
    for (let i = 0; i < state.connections; i++) {
      const client = new AmqpClient(
        this.broker(),
        {
          workload: this.name,
          namespace: this.namespace,
          pod: pod.name,
          ip: pod.ip ?? "",
          user: this.spec.str("publish.user", "guest"),
        },
        "publisher",
        clientOptions(this.spec.child("publish"), DEFAULT_RETRY_DELAY),
      );
      state.publishers.push({ client, remaining: state.total / state.connections });
    }
  }

  private progressEvery(): number {
    return this.spec.num("logs.progressEvery", 100);
  }

  private source(pod: Pod): LogSource {
    return logSourceOf(pod, this.name);
  }

  step(tick: Tick): void {
    if (!this.workload && tick.offset >= this.start) this.create(tick.t);
    const w = this.workload;
    if (!w) return;
    const rate = this.spec.num("publish.ratePerConnection");
    const bytes = this.broker().messageBytes;
    const memory = this.spec.bytes("memory", w.memoryRequest * 0.7);
    for (const pod of [...w.pods]) {
      const state = this.pods.get(pod);
      if (!state || pod.phase !== "Running" || !pod.ready) continue;
      if (state.publishers.length === 0) this.startScript(pod, state);
      let sent = 0;
      for (const p of state.publishers) {
        const before = p.client.connection;
        if (before && !before.dropped) {
          p.remaining -= before.accepted;
          sent += before.accepted;
        }
        if (p.remaining <= 0) {
          p.client.close(tick.t);
          continue;
        }
        const opened = p.client.ensure(tick.t);
        if (opened.connection) opened.connection.rate = rate;
        this.logEvents(pod, p.client);
      }
      state.published += sent;
      this.logProgress(pod, state, tick.t);
      pod.usage = {
        ...zeroUsage(),
        cpu: this.rng.jitter(IDLE_CPU + (sent / tick.dt) * CPU_PER_MESSAGE, 0.1),
        memory: this.rng.jitter(memory, 0.01),
        rxBytes: 200,
        txBytes: (sent * bytes) / tick.dt,
        fsWriteBytes: 0,
      };
      if (state.publishers.every((p) => p.remaining <= 0)) this.complete(pod, state, tick.t);
    }
    if (w.pods.length === 0 && this.completedAt === undefined) this.finish(tick.t);
  }

  private logEvents(pod: Pod, client: AmqpClient): void {
    for (const e of client.drainEvents()) {
      if (e.kind === "connected") continue;
      this.world.logs.line({
        t: e.t,
        level: "ERROR",
        message: this.text(amqpFailureText(this.language, e.kind, this.broker().host)),
        source: this.source(pod),
      });
    }
  }

  private text(message: string | ((rng: Rng) => string)): string {
    return typeof message === "string" ? message : message(this.rng);
  }

  private logProgress(pod: Pod, state: JobPod, t: number): void {
    while (state.published >= state.nextProgress && state.nextProgress <= state.total) {
      this.world.logs.line({
        t,
        level: "INFO",
        message: `published ${state.nextProgress} of ${Math.round(state.total)} orders to ${this.spec.str("publish.queue")}`,
        source: this.source(pod),
      });
      state.nextProgress += this.progressEvery();
    }
  }

  /** The pod's script exits 0: the pod is Succeeded and no longer counts as active. */
  private complete(pod: Pod, state: JobPod, t: number): void {
    pod.lastTerminated = { reason: "Completed", exitCode: 0, at: t };
    this.cluster.deletePod(pod, t, false);
    this.pods.delete(pod);
    this.succeeded++;
    this.world.logs.line({
      t,
      level: "INFO",
      message: `done: ${Math.round(state.total)} orders published`,
      source: this.source(pod),
    });
  }

  private finish(t: number): void {
    this.completedAt = t;
    this.world.events.emit(
      t,
      { kind: "Job", name: this.jobName, namespace: this.namespace },
      "Normal",
      "Completed",
      "Job completed",
      "job-controller",
    );
    if (this.cronJob) {
      this.world.events.emit(
        t,
        { kind: "CronJob", name: this.cronJob, namespace: this.namespace },
        "Normal",
        "SawCompletedJob",
        `Saw completed job: ${this.jobName}, status: Complete`,
        "cronjob-controller",
      );
    }
  }

  observe(tick: Tick): void {
    if (this.cronJob) this.observeCronJob(tick);
    if (!this.workload) return;
    const m = this.world.metrics;
    const job: Labels = { namespace: this.namespace, job_name: this.jobName };
    const created = this.world.scenario.start + this.start;
    m.get(KSM, "kube_job_info", job).set(1);
    m.get(KSM, "kube_job_created", job).set(created);
    m.get(KSM, "kube_job_owner", {
      ...job,
      owner_kind: this.cronJob ? "CronJob" : "<none>",
      owner_name: this.cronJob ?? "<none>",
      owner_is_controller: this.cronJob ? "true" : "<none>",
    }).set(1);
    m.get(KSM, "kube_job_spec_parallelism", job).set(this.parallelism());
    m.get(KSM, "kube_job_spec_completions", job).set(this.parallelism());
    m.get(KSM, "kube_job_status_start_time", job).set(created);
    m.get(KSM, "kube_job_status_succeeded", job).set(this.succeeded);
    m.get(KSM, "kube_job_status_failed", job).set(0);
    if (this.completedAt !== undefined) {
      m.get(KSM, "kube_job_complete", { ...job, condition: "true" }).set(1);
      m.get(KSM, "kube_job_status_completion_time", job).set(this.completedAt);
    }
  }

  /** The CronJob exists all along: its schedule, and the last run before this one (yesterday's). */
  private observeCronJob(tick: Tick): void {
    const m = this.world.metrics;
    const labels: Labels = { namespace: this.namespace, cronjob: this.cronJob as string };
    const scheduled = this.world.scenario.start + this.start;
    const started = tick.offset >= this.start;
    m.get(KSM, "kube_cronjob_info", {
      ...labels,
      schedule: this.spec.str("cronJob.schedule"),
      concurrency_policy: "Forbid",
    }).set(1);
    m.get(KSM, "kube_cronjob_created", labels).set(scheduled - 90 * 86400);
    m.get(KSM, "kube_cronjob_spec_suspend", labels).set(0);
    m.get(KSM, "kube_cronjob_status_active", labels).set(started && this.completedAt === undefined ? 1 : 0);
    m.get(KSM, "kube_cronjob_status_last_schedule_time", labels).set(started ? scheduled : scheduled - 86400);
    m.get(KSM, "kube_cronjob_next_schedule_time", labels).set(started ? scheduled + 86400 : scheduled);
    const lastSuccess = this.completedAt ?? scheduled - 86400 + this.spec.seconds("cronJob.usualDuration", 900);
    m.get(KSM, "kube_cronjob_status_last_successful_time", labels).set(lastSuccess);
  }
}

export function createJob(name: string, spec: Spec, world: World): BatchJob {
  return new BatchJob(name, spec, world);
}
