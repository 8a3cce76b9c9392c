/**
 * The shop's services as processes: one process per pod, named as Kubernetes names a Deployment's
 * pods (`shipping-7d9f8c6b5-x2x9q`), behind one proxy per service, scraped by the lab's Prometheus.
 * A redeploy is a rolling update: the new ReplicaSet's pods start, take the traffic, then the old
 * ones get SIGTERM.
 */
import { randomInt } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Monitoring } from "./monitoring.js";
import { freePort, httpOk, LOOPBACK, waitUntil } from "./net.js";
import type { LabProcess, ProcessGroup } from "./processes.js";
import { ServiceProxy } from "./proxy.js";
import type { Backends } from "./servers.js";
import type { Level } from "./shop/log.js";
import type { AmqpRole, PodConfig } from "./shop/podConfig.js";
import { POD_CONFIG_ENV } from "./shop/podConfig.js";
import type { ConnectOptions, PoolSpec } from "./shop/pool.js";
import { WORKER_CONFIG_ENV, type WorkerConfig } from "./shop/workerConfig.js";

/** The characters Kubernetes uses in generated name suffixes (no vowels, no look-alike digits). */
const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
/** A Node pod is up in well under a second; a loaded machine gets a margin. */
const POD_START_TIMEOUT_MS = 30_000;
/** How long a caller waits for a callee before the call counts as failed. */
const UPSTREAM_TIMEOUT_MS = 10_000;
/** Services log at INFO, as production services do. */
const SERVICE_LOG_LEVEL: Level = "INFO";
/** DEBUG lines a request writes when a version does not say: the request and its statement. */
const DEFAULT_DEBUG_LINES = 2;
const SERVICE_ENTRY = fileURLToPath(new URL("./shop/service.js", import.meta.url));
const WORKER_ENTRY = fileURLToPath(new URL("./shop/worker.js", import.meta.url));

export interface ServiceVersion {
  replicas: number;
  /** For a service backed by the database: its pool (null: a connection per request) and the statement's duration. */
  db?: { pool: PoolSpec | null; queryMs: number };
  /** A job worker instead of an HTTP service: it takes jobs at `<path>/<id>` and runs them through the scenario's pooler. */
  worker?: WorkerSpec;
  /** DEBUG lines its request path writes per request (its framework's and driver's trace), written only at DEBUG. */
  debugLinesPerRequest?: number;
  /** For a service that uses the broker: its queue and what it does with it. */
  amqp?: AmqpRole;
}

/** A job worker's settings (see shop/worker.ts). */
export type WorkerSpec = Pick<
  WorkerConfig,
  "concurrency" | "jobMs" | "connectionLifetimeSeconds" | "payloadBytes" | "queryTimeoutMs" | "jobClass" | "queue"
>;

export interface ServiceDef {
  name: string;
  /** Route prefix: the service answers GET `<path>/<id>`. */
  path: string;
  /** Services it calls on every request. */
  calls: string[];
}

interface Pod {
  name: string;
  url: string;
  proc: LabProcess;
}

export function randomName(length: number): string {
  return Array.from({ length }, () => NAME_ALPHABET[randomInt(NAME_ALPHABET.length)]).join("");
}

export class Shop {
  private readonly proxies = new Map<string, ServiceProxy>();
  private readonly pods = new Map<string, Pod[]>();
  readonly logDir: string;

  constructor(
    private readonly group: ProcessGroup,
    private readonly scratch: string,
    private readonly monitoring: Monitoring,
    private readonly backends: Backends,
    readonly namespace: string,
    readonly services: ServiceDef[],
  ) {
    this.logDir = join(scratch, "logs");
  }

  /** The address the load generator calls: the first service's proxy. */
  entryUrl(): string {
    const [front] = this.services;
    if (!front) throw new Error("a shop needs at least one service");
    return `${this.proxyOf(front.name).url}${front.path}`;
  }

  async start(versions: Record<string, ServiceVersion>): Promise<void> {
    await mkdir(this.logDir, { recursive: true });
    for (const def of this.services) this.proxies.set(def.name, await ServiceProxy.start());
    // Callees first, so a caller's first requests find them.
    for (const def of [...this.services].reverse()) await this.deploy(def.name, this.versionOf(versions, def.name));
  }

  /** A rolling update of one service: the new ReplicaSet's pods up and ready, then the old ones stopped. */
  async deploy(service: string, version: ServiceVersion): Promise<string[]> {
    const def = this.defOf(service);
    const replicaSet = `${service}-${randomName(10)}`;
    const fresh: Pod[] = [];
    for (let i = 0; i < version.replicas; i++) fresh.push(await this.startPod(def, replicaSet, version));
    const old = this.pods.get(service) ?? [];
    this.pods.set(service, fresh);
    this.proxyOf(service).setBackends(fresh.map((p) => p.url));
    await this.monitoring.setTargets(
      service,
      fresh.map((p) => p.url.replace("http://", "")),
    );
    await Promise.all(old.map((p) => this.group.stop(p.proc)));
    return fresh.map((p) => p.name);
  }

  /** Sets the log level of every pod of a service through its loggers endpoint (Spring Boot Actuator's). */
  async setLogLevel(service: string, level: Level): Promise<void> {
    await Promise.all(
      (this.pods.get(service) ?? []).map(async (pod) => {
        const response = await fetch(`${pod.url}/actuator/loggers/ROOT`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ configuredLevel: level }),
        });
        if (!response.ok) throw new Error(`${pod.name} refused log level ${level}: HTTP ${response.status}`);
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.pods.values()].flat().map((p) => this.group.stop(p.proc)));
    this.pods.clear();
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
    this.proxies.clear();
  }

  private async startPod(def: ServiceDef, replicaSet: string, version: ServiceVersion): Promise<Pod> {
    const name = `${replicaSet}-${randomName(5)}`;
    const port = await freePort();
    const logFile = join(this.logDir, `${name}.jsonl`);
    const config: PodConfig = {
      service: def.name,
      pod: name,
      namespace: this.namespace,
      port,
      path: def.path,
      logFile,
      logLevel: SERVICE_LOG_LEVEL,
      debugLinesPerRequest: version.debugLinesPerRequest ?? DEFAULT_DEBUG_LINES,
      db: version.db && { connect: this.databaseLogin(def.name), ...version.db },
      amqp: version.amqp && { url: this.brokerUrl(def.name), ...version.amqp },
      upstreams: def.calls.map((callee) => ({
        service: callee,
        url: `${this.proxyOf(callee).url}${this.defOf(callee).path}`,
      })),
      upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS,
    };
    const processLog = join(this.scratch, `${name}.out`);
    const [entry, env] = version.worker
      ? [WORKER_ENTRY, { [WORKER_CONFIG_ENV]: JSON.stringify(this.workerConfig(config, version.worker)) }]
      : [SERVICE_ENTRY, { [POD_CONFIG_ENV]: JSON.stringify(config) }];
    const proc = this.group.start(name, process.execPath, [entry], {
      logFile: processLog,
      env: { ...process.env, ...env },
    });
    const url = `http://${LOOPBACK}:${port}`;
    await waitUntil(`pod ${name}`, () => httpOk(`${url}/metrics`), {
      timeoutMs: POD_START_TIMEOUT_MS,
      alive: () => this.group.isRunning(proc),
      logFile: processLog,
    });
    return { name, url, proc };
  }

  /** A worker pod's configuration: the pod's identity and log, the pooler's Service, its own role. */
  private workerConfig(pod: PodConfig, worker: WorkerSpec): WorkerConfig {
    const pooler = this.backends.pooler;
    if (!pooler) throw new Error(`service ${pod.service} is a job worker, but its scenario runs no pooler`);
    const { service, namespace, port, logFile, logLevel } = pod;
    const db = { host: pooler.service.host, port: pooler.service.port, user: service, database: pooler.db.database };
    return { service, pod: pod.pod, namespace, port, logFile, logLevel, db, ...worker };
  }

  /** The service's own MySQL user on the scenario's MariaDB. */
  private databaseLogin(service: string): ConnectOptions {
    const db = this.backends.mariadb;
    if (!db) throw new Error(`service ${service} uses a database, but its scenario runs no mariadb server`);
    return { host: db.host, port: db.port, user: service, password: db.passwordOf(service), database: db.database };
  }

  /** The scenario's RabbitMQ, for a service that publishes or consumes. */
  private brokerUrl(service: string): string {
    const broker = this.backends.rabbitmq;
    if (!broker) throw new Error(`service ${service} uses the broker, but its scenario runs no rabbitmq server`);
    return broker.amqpUrl;
  }

  private versionOf(versions: Record<string, ServiceVersion>, service: string): ServiceVersion {
    const version = versions[service];
    if (!version) throw new Error(`no version given for service ${service}`);
    return version;
  }

  private defOf(service: string): ServiceDef {
    const def = this.services.find((s) => s.name === service);
    if (!def) throw new Error(`unknown shop service ${service}`);
    return def;
  }

  private proxyOf(service: string): ServiceProxy {
    const proxy = this.proxies.get(service);
    if (!proxy) throw new Error(`service ${service} has no proxy yet`);
    return proxy;
  }
}
