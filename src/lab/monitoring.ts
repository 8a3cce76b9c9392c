/**
 * The lab's monitoring: prometheus-mysqld-exporter (processlist collectors on), prometheus-node-exporter
 * (a few host collectors) and a Prometheus that scrapes them and the shop's pods at a short interval.
 * The pods come and go with rollouts, so they are file-based service discovery targets.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import type { MariaDb } from "./mariadb.js";
import { freePort, httpOk, LOOPBACK, waitUntil } from "./net.js";
import type { ProcessGroup } from "./processes.js";
import { BINARIES, type Binary } from "./requirements.js";

/** Exporters and Prometheus answer within seconds of starting. */
const START_TIMEOUT_MS = 60_000;

/** Targets with the labels Prometheus adds to their series (a pod's `node`, as Kubernetes discovery relabels it). */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

export interface ScrapeJob {
  job: string;
  /** Fixed targets (exporters); pods are given through `Monitoring.setTargets`. */
  targets?: string[];
  /** Discovered targets to start with, changed later through `Monitoring.setTargetGroups` (pods that move between nodes). */
  groups?: TargetGroup[];
  /** Of the series whose name starts with `prefix`, only these names are stored (the rest are dropped at scrape). */
  keepOnly?: { prefix: string; names: string[] };
}

/**
 * Prometheus metric_relabel_configs keeping, among the names that start with a prefix, only the
 * given ones. RE2 has no negative lookahead, so the kept names are marked in a temporary label first.
 */
function keepOnlyRules({ prefix, names }: { prefix: string; names: string[] }): object[] {
  const mark = "__tmp_keep";
  return [
    { source_labels: ["__name__"], regex: `${prefix}(${names.join("|")})`, target_label: mark, replacement: "1" },
    { source_labels: ["__name__", mark], regex: `${prefix}.*;`, action: "drop" },
    { regex: mark, action: "labeldrop" },
  ];
}

export interface Monitoring {
  prometheusUrl: string;
  /** Replaces the scrape targets of a shop job (its pods' host:port). */
  setTargets(job: string, targets: string[]): Promise<void>;
  /** Replaces the scrape targets of a discovered job, each group with its labels. */
  setTargetGroups(job: string, groups: TargetGroup[]): Promise<void>;
}

/**
 * Starts a server that takes `--web.listen-address` (the Prometheus family) on a free loopback port
 * and waits until `readyPath` answers 200; returns its host:port.
 */
async function startWebServer(
  group: ProcessGroup,
  scratch: string,
  binary: Binary,
  args: string[],
  readyPath: string,
  env?: NodeJS.ProcessEnv,
): Promise<string> {
  const address = `${LOOPBACK}:${await freePort()}`;
  const logFile = join(scratch, `${binary.command}.log`);
  const proc = group.start(binary.command, binary.command, [`--web.listen-address=${address}`, ...args], {
    logFile,
    env,
  });
  await waitUntil(binary.command, () => httpOk(`http://${address}${readyPath}`), {
    timeoutMs: START_TIMEOUT_MS,
    alive: () => group.isRunning(proc),
    logFile,
  });
  return address;
}

export async function startMysqldExporter(
  group: ProcessGroup,
  scratch: string,
  db: MariaDb,
  user: string,
): Promise<string> {
  const cnf = join(scratch, "exporter.my.cnf");
  await writeFile(cnf, `[client]\nuser=${user}\npassword=${db.passwordOf(user)}\nhost=${db.host}\nport=${db.port}\n`, {
    mode: 0o600,
  });
  const args = [
    `--config.my-cnf=${cnf}`,
    "--collect.info_schema.processlist",
    "--collect.info_schema.processlist.min_time=0",
    "--collect.info_schema.processlist.processes_by_user",
    "--collect.info_schema.processlist.processes_by_host",
  ];
  return startWebServer(group, scratch, BINARIES.mysqldExporter, args, "/metrics");
}

/** prometheus-postgres-exporter for a database it logs in to with `dataSourceName` (a libpq URL). */
export function startPostgresExporter(group: ProcessGroup, scratch: string, dataSourceName: string): Promise<string> {
  const env = { ...process.env, DATA_SOURCE_NAME: dataSourceName };
  return startWebServer(group, scratch, BINARIES.postgresExporter, [], "/metrics", env);
}

/** node_exporter with only the given collectors: the rest would add series a lab run does not change. */
export function startNodeExporter(group: ProcessGroup, scratch: string, collectors: string[]): Promise<string> {
  const args = ["--collector.disable-defaults", ...collectors.map((c) => `--collector.${c}`)];
  return startWebServer(group, scratch, BINARIES.nodeExporter, args, "/metrics");
}

export async function startPrometheus(
  group: ProcessGroup,
  scratch: string,
  jobs: ScrapeJob[],
  scrapeIntervalSeconds: number,
): Promise<Monitoring> {
  const sdDir = join(scratch, "prometheus-sd");
  await mkdir(sdDir, { recursive: true });
  const sdFile = (job: string) => join(sdDir, `${job}.json`);
  const setTargetGroups = async (job: string, groups: TargetGroup[]) => {
    // Written whole and renamed, so Prometheus never reads a half-written file.
    const tmp = `${sdFile(job)}.tmp`;
    await writeFile(tmp, JSON.stringify(groups));
    await rename(tmp, sdFile(job));
  };
  const setTargets = (job: string, targets: string[]) => setTargetGroups(job, [{ targets, labels: {} }]);
  const config = {
    global: {
      scrape_interval: `${scrapeIntervalSeconds}s`,
      scrape_timeout: `${Math.max(1, scrapeIntervalSeconds - 1)}s`,
      evaluation_interval: `${scrapeIntervalSeconds}s`,
    },
    scrape_configs: await Promise.all(
      jobs.map(async ({ job, targets, groups, keepOnly }) => {
        const relabel = keepOnly ? { metric_relabel_configs: keepOnlyRules(keepOnly) } : {};
        if (targets) return { job_name: job, static_configs: [{ targets }], ...relabel };
        await setTargetGroups(job, groups ?? []);
        return { job_name: job, file_sd_configs: [{ files: [sdFile(job)], refresh_interval: "5s" }] };
      }),
    ),
  };
  const configFile = join(scratch, "prometheus.yml");
  await writeFile(configFile, stringify(config));
  const address = await startWebServer(
    group,
    scratch,
    BINARIES.prometheus,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${join(scratch, "prometheus-data")}`],
    "/-/ready",
  );
  const prometheusUrl = `http://${address}`;
  return { prometheusUrl, setTargets, setTargetGroups };
}
