/**
 * The broker scenarios: a shop whose payment publishes an order event to RabbitMQ for every order
 * (confirmed, or the payment fails) and whose dispatch consumes them; after the baseline a batch
 * workload that did not run before starts publishing from connections of its own.
 */
import type { LabScenario } from "./scenarios.js";
import type { ServerSpec } from "./servers.js";
import type { BatchSpec } from "./shop/podConfig.js";
import type { ServiceDef, ServiceVersion } from "./shop.js";

const QUEUE = "orders";
const MIB = 1024 * 1024;

/**
 * How far above its idle memory the broker's watermark sits: the shop's few connections and a queue
 * drained as it fills stay well within it; a few hundred more connections (about 130 KiB each on
 * RabbitMQ 3.10) and their messages do not.
 */
const WATERMARK_HEADROOM_BYTES = 32 * MIB;

/** How long payment waits for the broker to confirm an order event before failing the payment (its API's deadline). */
const PAYMENT_CONFIRM_TIMEOUT_MS = 2_000;

const BATCH_SERVICE = "orders-backfill";

const BROKER_SERVICES: ServiceDef[] = [
  { name: "web", path: "/api/order", calls: ["payment"] },
  { name: "payment", path: "/payment/pay", calls: [] },
  // Dispatch and the batch take no requests: their HTTP side is their metrics endpoint.
  { name: "dispatch", path: "/dispatch", calls: [] },
  { name: BATCH_SERVICE, path: "/batch", calls: [] },
];

const BROKER_VERSIONS: Record<string, ServiceVersion> = {
  web: { replicas: 1 },
  payment: { replicas: 2, amqp: { queue: QUEUE, publishPerRequest: { confirmTimeoutMs: PAYMENT_CONFIRM_TIMEOUT_MS } } },
  // A few milliseconds of work per order: dispatch keeps up with the shop and with a batch within its budget.
  dispatch: { replicas: 1, amqp: { queue: QUEUE, consume: { prefetch: 20, workMs: 2 } } },
  // Not running before the fault: no pods, so no series and no connections.
  [BATCH_SERVICE]: { replicas: 0 },
};

/** Host collectors kept: CPU, memory and load, what hundreds of connections and their messages change on the host. */
const HOST_COLLECTORS = ["cpu", "meminfo", "loadavg"];

const BROKER_SHOP = {
  servers: [
    { kind: "rabbitmq", watermarkHeadroomBytes: WATERMARK_HEADROOM_BYTES },
    { kind: "node-exporter", collectors: HOST_COLLECTORS },
  ] satisfies ServerSpec[],
  namespace: "shop",
  services: BROKER_SERVICES,
  versions: BROKER_VERSIONS,
  rps: 10,
};

/** A batch never publishes for longer than a lab run lasts. */
const BATCH_MAX_SECONDS = 900;

/**
 * The storm: an ad hoc script started as 4 pods of 100 publisher connections each (the seed's job had
 * ~465 from 400 pods; 400 connections are what this machine bears beside the broker), each publishing
 * 0.7 orders a second with confirms, as the seed's did.
 */
const STORM: BatchSpec = {
  connections: 100,
  opensPerSecond: 20,
  ratePerConnection: 0.7,
  confirmTimeoutMs: 5_000,
  maxSeconds: BATCH_MAX_SECONDS,
};
const STORM_PODS = 4;

/** The scheduled batch within its budget: one pod, four rate-limited connections. */
const WITHIN_BUDGET: BatchSpec = {
  connections: 4,
  opensPerSecond: 4,
  ratePerConnection: 2,
  confirmTimeoutMs: 5_000,
  maxSeconds: BATCH_MAX_SECONDS,
};

/** How long after a scheduled batch starts a queue-depth alert pages someone (a one-minute `for:`). */
const BATCH_ALERT_SECONDS = 60;

export const BROKER_SCENARIOS: LabScenario[] = [
  {
    name: "queue-publisher-storm",
    description: `a batch workload absent before (${BATCH_SERVICE}) opens ${STORM_PODS * STORM.connections} publisher connections to RabbitMQ; the broker's memory passes its watermark, the memory alarm blocks every publisher, payment's publishes are not confirmed in time and web's 5xx rises`,
    ...BROKER_SHOP,
    fault: {
      kind: "redeploy",
      service: BATCH_SERVICE,
      version: { replicas: STORM_PODS, amqp: { queue: QUEUE, batch: STORM } },
    },
    alert: { errors: true },
    truth: {
      root_cause: { entity: `service:${BATCH_SERVICE}`, kind: "broker.connection-storm" },
      notes: `${BATCH_SERVICE} (${STORM_PODS} pods, ${STORM.connections} publisher connections each, not running before) started at fault_start; RabbitMQ's memory passed its watermark (${WATERMARK_HEADROOM_BYTES / MIB} MiB above its idle memory) and the memory alarm blocked every publisher; payment's order events went unconfirmed past ${PAYMENT_CONFIRM_TIMEOUT_MS} ms; alert_time is when web's 5xx share over 10 s first reached the error alert.`,
    },
  },
  {
    name: "queue-publisher-storm-batch",
    description: `a scheduled batch (${BATCH_SERVICE}, one pod, ${WITHIN_BUDGET.connections} rate-limited publisher connections) runs within its budget; no memory alarm`,
    ...BROKER_SHOP,
    fault: {
      kind: "redeploy",
      service: BATCH_SERVICE,
      version: { replicas: 1, amqp: { queue: QUEUE, batch: WITHIN_BUDGET } },
    },
    alert: { afterSeconds: BATCH_ALERT_SECONDS },
    truth: {
      root_cause: null,
      notes: `${BATCH_SERVICE} started at fault_start with ${WITHIN_BUDGET.connections} connections publishing ${WITHIN_BUDGET.ratePerConnection} orders a second each, within every limit; alert_time is ${BATCH_ALERT_SECONDS} s later, when a queue-depth alert would page.`,
    },
  },
];
