/** What the lab tells a shop pod when it starts it: one JSON document in an environment variable. */
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
  /** Services this one calls on every request: name and URL prefix (through the lab's per-service proxy). */
  upstreams: { service: string; url: string }[];
  /** How long a call to an upstream may take before it counts as failed. */
  upstreamTimeoutMs: number;
}

export function readPodConfig(env: NodeJS.ProcessEnv): PodConfig {
  const text = env[POD_CONFIG_ENV];
  if (!text) throw new Error(`${POD_CONFIG_ENV} is not set: shop pods are started by \`beneath lab\``);
  return JSON.parse(text) as PodConfig;
}
