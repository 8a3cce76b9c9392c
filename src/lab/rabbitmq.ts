/**
 * A scratch RabbitMQ node for the broker scenarios: its own epmd and node on 127.0.0.1 at free ports,
 * a fresh data directory, a low absolute memory watermark (so a burst of connections raises the
 * memory alarm), and the rabbitmq_prometheus plugin serving /metrics.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort, httpOk, LOOPBACK, waitUntil } from "./net.js";
import type { ProcessGroup } from "./processes.js";
import { BINARIES } from "./requirements.js";

/** An Erlang VM with RabbitMQ and three plugins boots in 10-30 s on a shared machine. */
const START_TIMEOUT_MS = 120_000;

export interface RabbitMq {
  /** amqp://guest:guest@127.0.0.1:<port> */
  amqpUrl: string;
  /** host:port of rabbitmq_prometheus. */
  metricsAddress: string;
}

export interface RabbitMqOptions {
  /** vm_memory_high_watermark.absolute: publishers are blocked above it. */
  watermarkBytes: number;
}

export async function startRabbitMq(group: ProcessGroup, scratch: string, options: RabbitMqOptions): Promise<RabbitMq> {
  const [epmdPort, amqpPort, distPort, metricsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const epmdLog = join(scratch, "epmd.log");
  const epmd = group.start("epmd", BINARIES.epmd.command, ["-port", String(epmdPort), "-address", LOOPBACK], {
    logFile: epmdLog,
  });
  const config = [
    `listeners.tcp.1 = ${LOOPBACK}:${amqpPort}`,
    `vm_memory_high_watermark.absolute = ${options.watermarkBytes}`,
    `prometheus.tcp.ip = ${LOOPBACK}`,
    `prometheus.tcp.port = ${metricsPort}`,
  ].join("\n");
  await writeFile(join(scratch, "rabbitmq.conf"), `${config}\n`);
  await writeFile(join(scratch, "enabled_plugins"), "[rabbitmq_prometheus].\n");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // The Erlang cookie is written under HOME: a scratch one, not the machine's.
    HOME: scratch,
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: LOOPBACK,
    RABBITMQ_NODENAME: `beneath-lab-${amqpPort}@localhost`,
    RABBITMQ_DIST_PORT: String(distPort),
    // Erlang distribution listens on every interface unless told otherwise.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: "-kernel inet_dist_use_interface {127,0,0,1}",
    RABBITMQ_CONFIG_FILE: join(scratch, "rabbitmq"),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(scratch, "enabled_plugins"),
    RABBITMQ_MNESIA_BASE: join(scratch, "rabbitmq-mnesia"),
    RABBITMQ_LOG_BASE: join(scratch, "rabbitmq-log"),
    RABBITMQ_PID_FILE: join(scratch, "rabbitmq.pid"),
    RABBITMQ_LOGS: "-",
  };
  const logFile = join(scratch, "rabbitmq.log");
  const proc = group.start("rabbitmq-server", BINARIES.rabbitmqServer.command, [], { logFile, env });
  const metricsAddress = `${LOOPBACK}:${metricsPort}`;
  await waitUntil("rabbitmq-server", () => httpOk(`http://${metricsAddress}/metrics`), {
    timeoutMs: START_TIMEOUT_MS,
    alive: () => group.isRunning(proc) && group.isRunning(epmd),
    logFile,
  });
  return { amqpUrl: `amqp://guest:guest@${LOOPBACK}:${amqpPort}`, metricsAddress };
}
