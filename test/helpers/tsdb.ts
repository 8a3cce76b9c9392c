/**
 * Real time-series servers for the live-source tests: Prometheus (fed by `promtool tsdb
 * create-blocks-from openmetrics`) and VictoriaMetrics (fed by its JSON-lines import API), each on
 * 127.0.0.1 at a free port with a scratch data folder, stopped by PID.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Long enough for a cold start on a loaded 2-core machine. */
const READY_TIMEOUT_MS = 20_000;
const READY_POLL_MS = 100;

export interface SeriesData {
  /** Includes `__name__`. */
  labels: Record<string, string>;
  /** Unix seconds. */
  t: number[];
  /** Sample values as text, exactly as both servers are given them. */
  v: string[];
}

/** Whether `name` is on the PATH. */
export function hasBinary(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).status === 0;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  url: string;
  pid: number;
  /** Its data folder, removed when it stops. */
  scratch: string;
  stop(): Promise<void>;
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${log()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
  throw new Error(`server not ready at ${url} within ${READY_TIMEOUT_MS} ms: ${log()}`);
}

/** Starts `bin` and waits for `readyPath` to answer 200; the scratch folder goes when it stops. */
async function startServer(bin: string, args: string[], port: number, readyPath: string, scratch: string) {
  const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(child.pid, "SIGTERM");
      await exited;
    }
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    await waitReady(`${url}${readyPath}`, child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: child.pid ?? 0, scratch, stop };
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** OpenMetrics text with a timestamp on every sample, each metric's series together, ending `# EOF`. */
export function toOpenMetrics(series: SeriesData[]): string {
  const byName = [...series].sort((a, b) => (a.labels.__name__ < b.labels.__name__ ? -1 : 1));
  const lines: string[] = [];
  for (const s of byName) {
    const { __name__: name, ...rest } = s.labels;
    const labels = Object.entries(rest)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(",");
    for (let i = 0; i < s.t.length; i++) lines.push(`${name}{${labels}} ${s.v[i]} ${s.t[i]}`);
  }
  lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}

/** Prometheus over the given series, written as TSDB blocks before it starts. */
export async function startPrometheus(series: SeriesData[]): Promise<RunningServer> {
  const scratch = mkdtempSync(join(tmpdir(), "beneath-prometheus-"));
  const data = join(scratch, "data");
  const config = join(scratch, "prometheus.yml");
  let port: number;
  try {
    const input = join(scratch, "input.om");
    writeFileSync(input, toOpenMetrics(series));
    const created = spawnSync("promtool", ["tsdb", "create-blocks-from", "openmetrics", "--quiet", input, data], {
      encoding: "utf8",
    });
    if (created.status !== 0) throw new Error(`promtool failed: ${created.stderr}`);
    writeFileSync(config, "global:\n  scrape_interval: 15s\nscrape_configs: []\n");
    port = await freePort();
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
  return startServer(
    "prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${data}`,
      "--storage.tsdb.retention.time=100y",
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    port,
    "/-/ready",
    scratch,
  );
}

/** VictoriaMetrics holding the given series (imported, then flushed so queries see them). */
export async function startVictoriaMetrics(series: SeriesData[]): Promise<RunningServer> {
  const port = await freePort();
  const scratch = mkdtempSync(join(tmpdir(), "beneath-victoria-"));
  const server = await startServer(
    "victoria-metrics",
    [
      `-storageDataPath=${join(scratch, "data")}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      "-retentionPeriod=100y",
      "-search.disableCache",
      "-search.latencyOffset=0s",
    ],
    port,
    "/health",
    scratch,
  );
  try {
    const body = series
      .map((s) => JSON.stringify({ metric: s.labels, values: s.v.map(Number), timestamps: s.t.map((t) => t * 1000) }))
      .join("\n");
    const imported = await fetch(`${server.url}/api/v1/import`, { method: "POST", body });
    if (!imported.ok) throw new Error(`import failed: HTTP ${imported.status} ${await imported.text()}`);
    await fetch(`${server.url}/internal/force_flush`);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** A query_range answer holding `series`, as a file beneath reads. */
export function queryRangeText(series: SeriesData[]): string {
  return JSON.stringify({
    status: "success",
    data: {
      resultType: "matrix",
      result: series.map((s) => ({ metric: s.labels, values: s.t.map((t, i) => [t, s.v[i]]) })),
    },
  });
}
