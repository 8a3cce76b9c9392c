/**
 * A scratch RabbitMQ node for the broker scenarios: its own epmd and node on 127.0.0.1 at free ports,
 * a fresh data directory, the rabbitmq_prometheus plugin serving /metrics, and a low absolute memory
 * watermark: the node's own resident memory once it has settled plus a headroom, set with rabbitmqctl
 * as an operator would, so a burst of connections raises the memory alarm on any machine (an idle
 * node's memory differs from one machine to the next by more than the headroom).
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { freePort, httpOk, LOOPBACK, waitUntil } from "./net.js";
import type { ProcessGroup } from "./processes.js";
import { BINARIES } from "./requirements.js";

const run = promisify(execFile);

/** An Erlang VM with RabbitMQ and three plugins boots in 10-30 s on a shared machine. */
const START_TIMEOUT_MS = 120_000;
/** A freshly booted node's memory settles within seconds (plugins and stats tables allocated); it is read this long after it answers. */
const SETTLE_MS = 10_000;
/** rabbitmqctl boots an Erlang VM of its own to talk to the node. */
const CTL_TIMEOUT_MS = 60_000;

export interface RabbitMq {
  /** amqp://guest:guest@127.0.0.1:<port> */
  amqpUrl: string;
  /** host:port of rabbitmq_prometheus. */
  metricsAddress: string;
  /** The memory high watermark set (bytes). */
  watermarkBytes: number;
}

export interface RabbitMqOptions {
  /** The memory watermark is set this many bytes above the settled node's resident memory: publishers are blocked above it. */
  watermarkHeadroomBytes: number;
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
  await sleep(SETTLE_MS);
  const watermarkBytes =
    (await gauge(metricsAddress, "rabbitmq_process_resident_memory_bytes")) + options.watermarkHeadroomBytes;
  await run(BINARIES.rabbitmqctl.command, ["set_vm_memory_high_watermark", "absolute", String(watermarkBytes)], {
    env,
    timeout: CTL_TIMEOUT_MS,
  }).catch((err: Error & { stderr?: string }) => {
    throw new Error(
      `rabbitmqctl could not set the memory watermark: ${(err.stderr || err.message).trim().split("\n")[0]}`,
    );
  });
  // The node's memory monitor applies a new limit at its next poll, seconds later: the baseline starts after it.
  await waitUntil(
    "rabbitmq memory watermark",
    async () => (await gauge(metricsAddress, "rabbitmq_resident_memory_limit_bytes")) === watermarkBytes,
    {
      timeoutMs: START_TIMEOUT_MS,
      alive: () => group.isRunning(proc),
      logFile,
    },
  );
  return { amqpUrl: `amqp://guest:guest@${LOOPBACK}:${amqpPort}`, metricsAddress, watermarkBytes };
}

/** A gauge of the node's, from a rabbitmq_prometheus scrape. */
async function gauge(metricsAddress: string, name: string): Promise<number> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  const value = Number(new RegExp(`^${name}\\s+(\\S+)`, "m").exec(text)?.[1]);
  if (!Number.isFinite(value)) throw new Error(`rabbitmq_prometheus at ${metricsAddress} reports no ${name}`);
  return value;
}
