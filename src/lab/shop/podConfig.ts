/** What the lab tells a shop pod when it starts it: one JSON document in an environment variable. */
import { readEnvConfig } from "./envConfig.js";
import type { Level } from "./log.js";
import type { ConnectOptions, PoolSpec } from "./pool.js";

/** The environment variable holding a pod's configuration. */
export const POD_CONFIG_ENV = "BENEATH_LAB_POD";

export interface PodConfig {
  service: string;
  pod: string;
  namespace: string;
  port: number;
  /** The route prefix it answers: GET `${path}/{id}` (the `uri` tag of its request metrics). */
  path: string;
  logFile: string;
  /** The lowest level written to the log. */
  logLevel: Level;
  /** DEBUG lines its request path writes per request (written only while the level is DEBUG). */
  debugLinesPerRequest: number;
  /** A service backed by the database: its MySQL user and pool (null: a connection per request). */
  db?: { connect: ConnectOptions; pool: PoolSpec | null; queryMs: number };
  /** A service that talks to the broker: where it is, and what it does there. */
  amqp?: { url: string } & AmqpRole;
  /** Services this one calls on every request: name and URL prefix (through the lab's per-service proxy). */
  upstreams: { service: string; url: string }[];
  /** How long a call to an upstream may take before it counts as failed. */
  upstreamTimeoutMs: number;
}

/** What a service does with the broker's queue. */
export interface AmqpRole {
  queue: string;
  /** Publishes one message for each request it answers; a publish not confirmed within the timeout fails the request. */
  publishPerRequest?: { confirmTimeoutMs: number };
  /** Consumes the queue, spending `workMs` on each message before acking it. */
  consume?: { prefetch: number; workMs: number };
  /** Publishes in the background from connections of its own, as a batch job does. */
  batch?: BatchSpec;
}

export interface BatchSpec {
  /** Connections the pod opens, `opensPerSecond` at a time. */
  connections: number;
  opensPerSecond: number;
  /** Messages a second each connection publishes, each confirmed within `confirmTimeoutMs` or logged as failed. */
  ratePerConnection: number;
  confirmTimeoutMs: number;
  /** The batch stops publishing after this long even if nobody stops it. */
  maxSeconds: number;
}

export function readPodConfig(env: NodeJS.ProcessEnv): PodConfig {
  return readEnvConfig<PodConfig>(env, POD_CONFIG_ENV, "shop pods");
}
