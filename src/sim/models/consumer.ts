/**
 * A queue consumer (a Deployment with no HTTP traffic, e.g. Robot-Shop's dispatch): each ready pod
 * holds one connection with one consumer on `consume.queue`, processes up to `consume.ratePerPod`
 * messages a second with a `consume.prefetch` window, and reconnects after `consume.retryDelay` when
 * the broker drops it. Its replicas follow `replicas`, which an autoscaler may write.
 */
import type { Rng } from "../rng.js";
import type { Spec } from "../spec.js";
import type { LogSource } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import { type AmqpBroker, AmqpClient, brokerOf, clientOptions } from "./amqp.js";
import { amqpFailureText } from "./amqpTexts.js";
import { type Cluster, deploymentFromSpec, logSourceOf, type Pod, type Workload, zeroUsage } from "./cluster.js";
import { type Language, languageOf } from "./logTexts.js";

/** robot-shop's dispatch sleeps a second between connection attempts. */
const DEFAULT_RETRY_DELAY = 1;
const IDLE_CPU = 0.005;

export class QueueConsumer implements Model {
  readonly phase = PHASE.workload;
  readonly workload: Workload;
  private readonly cluster: Cluster;
  private brokerModel: AmqpBroker | undefined;
  private readonly rng: Rng;
  private readonly language: Language;
  private readonly clients = new Map<Pod, AmqpClient>();
  private now = 0;

  constructor(
    readonly name: string,
    private readonly spec: Spec,
    private readonly world: World,
  ) {
    this.rng = world.rng.fork(name);
    this.cluster = world.get<Cluster>("cluster", spec.path);
    this.language = languageOf(spec, "go");
    this.workload = this.cluster.workload(name, {
      ...deploymentFromSpec(name, spec, {
        cpuRequest: 0.1,
        cpuLimit: 0.5,
        memoryRequest: 64 * 2 ** 20,
        memoryLimit: 256 * 2 ** 20,
      }),
      onRestart: (pod) => this.clients.get(pod)?.reset(this.now),
    });
  }
  /** The broker, found when first needed (components may be declared in any order). */
  private broker(): AmqpBroker {
    this.brokerModel ??= brokerOf(this.world, this.spec.child("consume"));
    return this.brokerModel;
  }

  private client(pod: Pod): AmqpClient {
    let c = this.clients.get(pod);
    if (!c) {
      c = new AmqpClient(
        this.broker(),
        {
          workload: this.name,
          namespace: pod.namespace,
          pod: pod.name,
          ip: pod.ip ?? "",
          user: this.spec.str("consume.user", "guest"),
        },
        "consumer",
        clientOptions(this.spec.child("consume"), DEFAULT_RETRY_DELAY),
      );
      this.clients.set(pod, c);
    }
    return c;
  }

  private source(pod: Pod): LogSource {
    return logSourceOf(pod, this.name);
  }

  step(tick: Tick): void {
    this.now = tick.t;
    this.cluster.scale(this.workload, this.spec.num("replicas", 1), tick.t);
    for (const [pod, client] of this.clients) {
      if (this.workload.pods.includes(pod)) continue;
      client.close(tick.t);
      this.clients.delete(pod);
    }
    const rate = this.spec.num("consume.ratePerPod");
    const bytes = this.broker().messageBytes;
    for (const pod of this.cluster.readyPods(this.workload)) {
      const client = this.client(pod);
      const delivered = client.connection && !client.connection.dropped ? client.connection.delivered : 0;
      const opened = client.ensure(tick.t);
      if (opened.connection) {
        opened.connection.rate = rate;
        opened.connection.prefetch = this.spec.num("consume.prefetch", 0);
      }
      this.logEvents(pod, client);
      const perSecond = delivered / tick.dt;
      this.world.logs.emit(
        this.source(pod),
        "INFO",
        (rng) => `Order ${rng.hex(16)} dispatched`,
        Math.min(perSecond, this.spec.num("logs.infoRate", 0.2)),
        tick.t,
        tick.dt,
      );
      pod.usage = {
        ...zeroUsage(),
        cpu: this.rng.jitter(IDLE_CPU + perSecond * this.spec.num("cpuPerMessage", 0.004), 0.08),
        memory: this.rng.jitter(this.spec.bytes("memory", this.workload.memoryRequest * 0.5), 0.01),
        rxBytes: perSecond * bytes,
        txBytes: perSecond * 200,
        fsWriteBytes: 0,
      };
    }
  }

  private logEvents(pod: Pod, client: AmqpClient): void {
    for (const e of client.drainEvents()) {
      if (e.kind === "connected") continue;
      const text = amqpFailureText(this.language, e.kind, this.broker().host);
      this.world.logs.line({
        t: e.t,
        level: "ERROR",
        message: typeof text === "string" ? text : text(this.rng),
        source: this.source(pod),
      });
    }
  }
}

export function createConsumer(name: string, spec: Spec, world: World): QueueConsumer {
  return new QueueConsumer(name, spec, world);
}
