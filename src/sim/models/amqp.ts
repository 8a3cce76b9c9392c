/**
 * AMQP 0-9-1 connections between clients and a broker: the state both ends share, and the client
 * half that services, Jobs and consumers have in common. A client opens its connection through the
 * broker's Kubernetes Service; a publish blocks while the broker has a resource alarm set and the
 * client waits, up to its own timeout; a connection the broker dropped (its node died) is noticed on
 * the next use and reopened.
 */
import { ScenarioError } from "../scenario.js";
import type { Spec } from "../spec.js";
import type { Model, Tick, World } from "../world.js";

export type AmqpRole = "publisher" | "consumer";

/** Who holds a connection: what the broker's connection list and logs show of the client. */
export interface AmqpClientInfo {
  workload: string;
  namespace: string;
  pod: string;
  ip: string;
  user: string;
}

/** Why a client could not open a connection, publish, or keep its connection. */
export type AmqpFailure = "amqp-refused" | "amqp-handshake-timeout" | "amqp-blocked-timeout" | "amqp-connection-lost";

/** A connection as both ends see it: the client sets what it wants, the broker what happened. */
export class AmqpConnection {
  /** Messages a second the client publishes (publishers) or can process (consumers); set each tick. */
  rate = 0;
  /** Unacknowledged deliveries a consumer allows (basic.qos). */
  prefetch = 0;
  /** Publishes are mandatory: an unroutable message is returned, not dropped. */
  mandatory = false;
  /** Publisher confirms are on. */
  confirm = false;
  channels = 1;
  /** The client closed its socket; a broker that is not reading it (blocked) notices only later. */
  clientClosed = false;
  /** The broker dropped the connection (its node died); the client finds out on its next use. */
  dropped = false;
  /** Unix seconds since which the broker has not read the socket (a resource alarm), while blocked. */
  blockedSince: number | undefined;
  /** Bytes the client wrote that wait unread in the socket buffers while the connection is blocked. */
  buffered = 0;
  /** This tick, per broker sub-step: whether the connection was blocked. */
  blocked: boolean[] = [];
  /** This tick: messages the broker took from it, and (mandatory) returned as unroutable. */
  accepted = 0;
  returned = 0;
  /** This tick: messages delivered to it (consumers), and those it holds unacknowledged now. */
  delivered = 0;
  unacked = 0;

  constructor(
    /** The Erlang pid the broker logs it by, e.g. `<0.1234.0>`. */
    readonly pid: string,
    readonly client: AmqpClientInfo,
    readonly clientPort: number,
    readonly role: AmqpRole,
    readonly queue: string,
    /** Index of the broker node (pod) that holds it. */
    readonly node: number,
    readonly openedAt: number,
  ) {}
}

/** The outcome of opening a connection: the connection, or why not, and how long it took. */
export interface ConnectResult {
  connection?: AmqpConnection;
  failure?: AmqpFailure;
  /** Seconds the attempt took (a timeout waits it out; a refusal is quick). */
  seconds: number;
}

/** What a broker offers its clients. */
export interface AmqpBroker {
  readonly name: string;
  /** The Service name clients connect to, and its ClusterIP. */
  readonly host: string;
  readonly serviceIp: string;
  /** Bytes of one message body. */
  readonly messageBytes: number;
  /** Sub-steps per tick: the broker decides blocking at this resolution. */
  subSteps(dt: number): number;
  connect(client: AmqpClientInfo, role: AmqpRole, queue: string, t: number, timeout: number): ConnectResult;
  /** The client closes its connection (a blocked one stays listed until the broker reads again). */
  close(connection: AmqpConnection, t: number): void;
}

/** A stable ClusterIP for a Service name (10.100.0.0/16, the EKS default service range). */
export function serviceClusterIp(name: string): string {
  let h = 0;
  for (const c of name) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return `10.100.${(h >>> 8) % 256}.${(h % 250) + 2}`;
}

/** pika's defaults: a 15 s stack_timeout for opening a connection, no blocked_connection_timeout. */
const DEFAULT_CONNECT_TIMEOUT = 15;
const DEFAULT_BLOCKED_TIMEOUT = Number.POSITIVE_INFINITY;

/** The broker a `publish` or `consume` block names in `target`. */
export function brokerOf(world: World, spec: Spec): AmqpBroker {
  const target = spec.str("target");
  const model = world.find<Model>(target);
  if (!model) throw new ScenarioError(`${spec.path}.target: no component named ${target}`);
  if (typeof (model as Partial<AmqpBroker>).connect !== "function") {
    throw new ScenarioError(`${spec.path}.target: ${model.name} is not a message broker`);
  }
  return model as unknown as AmqpBroker;
}

/** A client's behaviour from a `publish` or `consume` block: the library defaults unless it says otherwise. */
export function clientOptions(spec: Spec, retryDelay: number): AmqpClientOptions {
  return {
    queue: spec.str("queue"),
    connectTimeout: spec.seconds("connectTimeout", DEFAULT_CONNECT_TIMEOUT),
    blockedTimeout: spec.seconds("blockedTimeout", DEFAULT_BLOCKED_TIMEOUT),
    retryDelay: spec.seconds("retryDelay", retryDelay),
    mandatory: spec.bool("mandatory", false),
    confirm: spec.bool("confirm", false),
  };
}

/** How a client behaves: the library defaults unless the scenario says otherwise. */
export interface AmqpClientOptions {
  queue: string;
  /** Seconds a connection attempt may take before the client gives up (pika's stack_timeout: 15 s). */
  connectTimeout: number;
  /** Seconds a publish may stay blocked before the client gives up; Infinity waits for ever (pika's default). */
  blockedTimeout: number;
  /** Seconds between a failure and the next connection attempt. */
  retryDelay: number;
  mandatory: boolean;
  confirm: boolean;
}

/** What happened to a publisher's messages in one tick. */
export interface PublishTick {
  /** Messages published (or requests whose publish completed). */
  ok: number;
  /** Mean seconds the completed ones waited on a blocked connection. */
  wait: number;
  failed: { cause: AmqpFailure; count: number; seconds: number }[];
}

/** An event a client logs: a failure, or a (re)connection. */
export interface ClientEvent {
  t: number;
  kind: AmqpFailure | "connected";
}

/**
 * The client side of one AMQP connection: opens it when needed (after `retryDelay` following a
 * failure), notices when the broker dropped it, and gives up on a publish blocked for longer than
 * `blockedTimeout`, closing the connection as pika does on ConnectionBlockedTimeout.
 */
export class AmqpClient {
  connection: AmqpConnection | undefined;
  private retryAt = Number.NEGATIVE_INFINITY;
  /** Publishes waiting on a blocked connection, and since when the oldest waits. */
  private waiting = 0;
  private waitingSince = 0;
  /** Failures resolved but not yet reported (more than a tick's arrivals). */
  private unreported: PublishTick["failed"] = [];
  readonly events: ClientEvent[] = [];

  constructor(
    readonly broker: AmqpBroker,
    private readonly client: AmqpClientInfo,
    private readonly role: AmqpRole,
    readonly options: AmqpClientOptions,
  ) {}

  /** The process restarted: its socket is gone and nothing waits any more. */
  reset(t: number): void {
    if (this.connection) this.broker.close(this.connection, t);
    this.connection = undefined;
    this.waiting = 0;
    this.retryAt = Number.NEGATIVE_INFINITY;
  }

  /** The client is done: a clean close. */
  close(t: number): void {
    this.reset(t);
  }

  /**
   * The open connection at `t`, opening one when there is none and the retry delay has passed;
   * undefined with the failure when the attempt fails.
   */
  ensure(t: number): { connection?: AmqpConnection; failure?: AmqpFailure; seconds: number } {
    if (this.connection?.dropped) {
      this.connection = undefined;
      this.events.push({ t, kind: "amqp-connection-lost" });
      this.retryAt = t;
    }
    if (this.connection) return { connection: this.connection, seconds: 0 };
    if (t < this.retryAt) return { seconds: 0 };
    const result = this.broker.connect(this.client, this.role, this.options.queue, t, this.options.connectTimeout);
    if (!result.connection) {
      this.retryAt = t + result.seconds + this.options.retryDelay;
      this.events.push({ t, kind: result.failure ?? "amqp-refused" });
      return result;
    }
    const c = result.connection;
    c.mandatory = this.options.mandatory;
    c.confirm = this.options.confirm;
    this.connection = c;
    this.events.push({ t, kind: "connected" });
    return result;
  }

  /**
   * One tick of publishing `rate` messages a second, one per request: which completed, which failed
   * and why. The broker has already stepped this tick, so the connection says which sub-steps were
   * blocked; the rate is what the broker takes from the connection next tick.
   */
  publish(rate: number, tick: Tick): PublishTick {
    const subSteps = this.broker.subSteps(tick.dt);
    const h = tick.dt / subSteps;
    const out: PublishTick = { ok: 0, wait: 0, failed: [] };
    const fail = (cause: AmqpFailure, count: number, seconds: number) => {
      if (count <= 0) return;
      const prior = out.failed.find((f) => f.cause === cause);
      if (prior) {
        prior.seconds = (prior.seconds * prior.count + seconds * count) / (prior.count + count);
        prior.count += count;
      } else out.failed.push({ cause, count, seconds });
    };
    let waitedSeconds = 0;
    for (let s = 0; s < subSteps; s++) {
      const t = tick.t + s * h;
      const arrivals = rate * h;
      if (this.connection?.dropped) {
        // Publishes blocked on a socket that died fail with it; the client reconnects at once.
        fail("amqp-connection-lost", this.waiting, t - this.waitingSince);
        this.waiting = 0;
      }
      const opened = this.ensure(t);
      const c = opened.connection;
      if (!c) {
        fail(opened.failure ?? "amqp-refused", arrivals, Math.max(opened.seconds, 0.001));
        continue;
      }
      if (c.blocked[s]) {
        c.blockedSince ??= t;
        if (this.waiting === 0) this.waitingSince = t;
        this.waiting += arrivals;
        const blockedFor = t + h - (c.blockedSince ?? t);
        if (blockedFor >= this.options.blockedTimeout) {
          fail("amqp-blocked-timeout", this.waiting, this.options.blockedTimeout);
          this.events.push({ t: t + h, kind: "amqp-blocked-timeout" });
          this.waiting = 0;
          c.clientClosed = true;
          this.broker.close(c, t + h);
          this.connection = undefined;
        }
        continue;
      }
      if (this.waiting > 0) {
        waitedSeconds += this.waiting * (t - this.waitingSince);
        out.ok += this.waiting;
        this.waiting = 0;
      }
      out.ok += arrivals;
    }
    out.wait = out.ok > 0 ? waitedSeconds / out.ok : 0;
    if (this.connection) this.connection.rate = rate;
    return this.spread(out, rate * tick.dt);
  }

  /**
   * Failures are known when they resolve: a blocked timeout fails half a minute of publishes at once.
   * A tick reports at most its own arrivals as failed; the rest is reported in the ticks after, so
   * an error rate never passes 100% and no failure is lost.
   */
  private spread(out: PublishTick, arrivals: number): PublishTick {
    for (const f of out.failed) {
      const prior = this.unreported.find((u) => u.cause === f.cause);
      if (prior) prior.count += f.count;
      else this.unreported.push({ ...f });
    }
    let room = arrivals;
    const reported: PublishTick["failed"] = [];
    for (const u of this.unreported) {
      const n = Math.min(room, u.count);
      if (n > 0) reported.push({ cause: u.cause, count: n, seconds: u.seconds });
      u.count -= n;
      room -= n;
    }
    this.unreported = this.unreported.filter((u) => u.count > 1e-9);
    return { ...out, failed: reported };
  }

  /** Events since the last call, for the owner to log. */
  drainEvents(): ClientEvent[] {
    return this.events.splice(0, this.events.length);
  }
}
