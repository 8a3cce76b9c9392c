/** What the lab tells a job-worker pod when it starts it: one JSON document in an environment variable. */
import type { Level } from "./log.js";

/** The environment variable holding a worker pod's configuration. */
export const WORKER_CONFIG_ENV = "BENEATH_LAB_WORKER";

export interface WorkerConfig {
  service: string;
  pod: string;
  namespace: string;
  /** Where it takes jobs (GET /jobs/<id>) and serves /metrics. */
  port: number;
  logFile: string;
  logLevel: Level;
  /** The pooler's Service address and the role it logs in as. */
  db: { host: string; port: number; user: string; database: string };
  /** Jobs processed at once (Sidekiq's -c), each holding one database connection while it runs. */
  concurrency: number;
  /** The job's statement time (ms). */
  jobMs: number;
  /** The job class its jobs are (the `job_name` label and the log's `class`). */
  jobClass: string;
  queue: string;
}

export function readWorkerConfig(env: NodeJS.ProcessEnv): WorkerConfig {
  const text = env[WORKER_CONFIG_ENV];
  if (!text) throw new Error(`${WORKER_CONFIG_ENV} is not set: worker pods are started by \`beneath lab\``);
  return JSON.parse(text) as WorkerConfig;
}
