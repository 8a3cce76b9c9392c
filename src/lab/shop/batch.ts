/**
 * A batch workload's publishing: connections opened a few at a time, each publishing orders at a
 * fixed rate, every publish waiting for the broker's confirm. A blocked connection's publishes time
 * out one after another; the batch goes on, as a script with retries does. Bounded in time and stopped
 * by the pod's shutdown.
 */
import { setTimeout } from "node:timers/promises";
import type { AmqpConnection, AmqpConnections } from "./amqp.js";
import type { JsonLogger } from "./log.js";
import type { BatchSpec } from "./podConfig.js";

/** How often the batch reports its progress per connection (the seed job's "published N of M orders"). */
const PROGRESS_EVERY = 50;

/** Waits `ms`, or less when the batch is stopped. */
const sleep = (ms: number, signal: AbortSignal) => setTimeout(ms, undefined, { signal }).catch(() => {});

async function publishLoop(
  connection: AmqpConnection,
  spec: BatchSpec,
  queue: string,
  logger: JsonLogger,
  deadline: number,
  signal: AbortSignal,
): Promise<void> {
  const intervalMs = 1000 / spec.ratePerConnection;
  const total = Math.floor(spec.ratePerConnection * spec.maxSeconds);
  let published = 0;
  for (let n = 1; n <= total && Date.now() < deadline && !signal.aborted && connection.isOpen; n++) {
    const started = Date.now();
    const order = { order: `${connection.name}-${n}`, at: new Date(started).toISOString() };
    try {
      await connection.publish(Buffer.from(JSON.stringify(order)), spec.confirmTimeoutMs);
      published++;
      if (published % PROGRESS_EVERY === 0) logger.log("INFO", `published ${published} of ${total} orders to ${queue}`);
    } catch (err) {
      logger.log("ERROR", `Failed to publish order ${order.order}: ${(err as Error).name}: ${(err as Error).message}`);
    }
    await sleep(Math.max(0, intervalMs - (Date.now() - started)), signal);
  }
}

/** Runs the batch until it is done, its time is up or `signal` aborts. */
export async function runBatch(
  connections: AmqpConnections,
  spec: BatchSpec,
  queue: string,
  pod: string,
  logger: JsonLogger,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + spec.maxSeconds * 1000;
  const loops: Promise<void>[] = [];
  logger.log("INFO", `Starting batch: ${spec.connections} publisher connections to ${queue}`);
  for (let i = 0; i < spec.connections && !signal.aborted && Date.now() < deadline; i++) {
    if (i > 0 && i % spec.opensPerSecond === 0) await sleep(1000, signal);
    try {
      const connection = await connections.add(`${pod}-publisher-${i}`);
      loops.push(publishLoop(connection, spec, queue, logger, deadline, signal));
    } catch (err) {
      logger.log(
        "ERROR",
        `Could not open publisher connection ${i}: ${(err as Error).name}: ${(err as Error).message}`,
      );
    }
  }
  await Promise.all(loops);
  logger.log("INFO", `Batch finished with ${connections.size} connections open`);
}
