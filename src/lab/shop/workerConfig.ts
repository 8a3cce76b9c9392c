/** What the lab tells a job-worker pod when it starts it: one JSON document in an environment variable. */
import { readEnvConfig } from "./envConfig.js";
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
  /**
   * A thread retires its connection when it takes a job after the connection has lived this long
   * (HikariCP's maxLifetime, pg-pool's maxLifetimeSeconds), so clients follow a pooler that moved.
   * A thread hung on a statement never takes another job: it keeps its connection.
   */
  connectionLifetimeSeconds: number;
  /** Bytes each job reads back (a row with a body): what makes the workers' traffic. */
  payloadBytes: number;
  /** A client-side timeout on each statement (ms; pg's query_timeout), or none: the seed's workers had none. */
  queryTimeoutMs?: number;
  /** The job class its jobs are (the `job_name` label and the log's `class`). */
  jobClass: string;
  queue: string;
}

export function readWorkerConfig(env: NodeJS.ProcessEnv): WorkerConfig {
  return readEnvConfig<WorkerConfig>(env, WORKER_CONFIG_ENV, "worker pods");
}
