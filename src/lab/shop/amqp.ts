/**
 * A pod's AMQP side over amqplib: connections that each hold one confirm channel, publishes that are
 * confirmed by the broker within a timeout or fail, and a consumer that acks what it gets. A broker in
 * memory alarm stops reading from publishing connections (connection.blocked): their confirms never
 * come, which is how a real publisher without its own deadline hangs, and with one, times out.
 */
import amqp, { type ChannelModel, type ConfirmChannel } from "amqplib";

/** A connect attempt that takes longer than this fails (amqplib's socket timeout). */
const CONNECT_TIMEOUT_MS = 5_000;

/** What the pod's metrics and logs hear from its connections. */
export interface AmqpHooks {
  published(): void;
  confirmed(): void;
  failedToPublish(): void;
  consumed(): void;
  /** The broker blocked (reason: RabbitMQ's, e.g. "low on memory") or unblocked a connection. */
  blocked(connection: string, reason: string | undefined): void;
}

/** A publish the broker did not confirm in time; names the block when the broker had blocked the connection. */
export class PublishTimeoutError extends Error {
  constructor(queue: string, ms: number, blockedBecause: string | undefined) {
    const why = blockedBecause ? ` (connection blocked by the broker: ${blockedBecause})` : "";
    super(`Publish to queue '${queue}' was not confirmed within ${ms}ms${why}`);
    this.name = "PublishTimeoutError";
  }
}

/** One AMQP connection with one confirm channel on it, declaring the queue it works with. */
export class AmqpConnection {
  private blockedBecause?: string;
  private closed = false;

  private constructor(
    readonly name: string,
    private readonly model: ChannelModel,
    private readonly channel: ConfirmChannel,
    private readonly queue: string,
    private readonly hooks: AmqpHooks,
  ) {
    model.on("blocked", (reason: string) => {
      this.blockedBecause = reason;
      hooks.blocked(name, reason);
    });
    model.on("unblocked", () => {
      this.blockedBecause = undefined;
      hooks.blocked(name, undefined);
    });
    // A broker-side close ends the connection; the pod counts it gone and does not reuse it.
    model.on("error", () => {});
    model.on("close", () => {
      this.closed = true;
    });
  }

  /** Opens a connection named `name` (the client-provided name RabbitMQ lists it by) and declares `queue` on it. */
  static async open(url: string, name: string, queue: string, hooks: AmqpHooks): Promise<AmqpConnection> {
    const model = await amqp.connect(url, {
      timeout: CONNECT_TIMEOUT_MS,
      clientProperties: { connection_name: name },
    });
    try {
      const channel = await model.createConfirmChannel();
      channel.on("error", () => {});
      await channel.assertQueue(queue, { durable: true });
      return new AmqpConnection(name, model, channel, queue, hooks);
    } catch (err) {
      await model.close().catch(() => {});
      throw err;
    }
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Publishes `body` to the queue; resolves when the broker confirms it, fails after `timeoutMs`. */
  publish(body: Buffer, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.hooks.failedToPublish();
        reject(new PublishTimeoutError(this.queue, timeoutMs, this.blockedBecause));
      }, timeoutMs);
      this.hooks.published();
      this.channel.publish("", this.queue, body, { persistent: false, contentType: "application/json" }, (err) => {
        clearTimeout(timer);
        if (err) {
          this.hooks.failedToPublish();
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        this.hooks.confirmed();
        resolve();
      });
    });
  }

  /** Consumes the queue with at most `prefetch` unacknowledged messages, acking each after `handle`. */
  async consume(prefetch: number, handle: (body: Buffer) => Promise<void>): Promise<void> {
    await this.channel.prefetch(prefetch);
    await this.channel.consume(this.queue, (msg) => {
      if (!msg) return;
      handle(msg.content).then(
        () => {
          this.hooks.consumed();
          this.channel.ack(msg);
        },
        () => this.channel.nack(msg, false, true),
      );
    });
  }

  /** Closes the connection; one the broker keeps blocked is dropped after `graceMs`. */
  async close(graceMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.race([this.model.close().catch(() => {}), new Promise((r) => setTimeout(r, graceMs))]);
  }
}

/** The connections a pod holds, counted for its metrics. */
export class AmqpConnections {
  private readonly open = new Set<AmqpConnection>();

  constructor(
    private readonly url: string,
    private readonly queue: string,
    private readonly hooks: AmqpHooks,
  ) {}

  get size(): number {
    return [...this.open].filter((c) => c.isOpen).length;
  }

  async add(name: string): Promise<AmqpConnection> {
    const connection = await AmqpConnection.open(this.url, name, this.queue, this.hooks);
    this.open.add(connection);
    return connection;
  }

  async closeAll(graceMs: number): Promise<void> {
    const all = [...this.open];
    this.open.clear();
    await Promise.all(all.map((c) => c.close(graceMs)));
  }
}
