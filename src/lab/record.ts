/**
 * Saves what the lab's Prometheus holds over a run as standard Prometheus HTTP API `query_range` JSON,
 * one gzipped file per metric name, returning an index of what was pulled. The smallest recorder the lab
 * needs; `beneath export` (the live source) is the general one.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { createGzip, gzip } from "node:zlib";

const gzipAsync = promisify(gzip);

/** A query_range call over a lab run (minutes of 2-5 s samples) answers within seconds. */
const QUERY_TIMEOUT_MS = 30_000;

interface ApiAnswer<T> {
  status: string;
  data: T;
  error?: string;
}

interface RangeData {
  resultType: string;
  result: { metric: Record<string, string>; values: [number, string][] }[];
}

async function api<T>(base: string, path: string, params: Record<string, string>): Promise<ApiAnswer<T>> {
  const url = `${base}${path}?${new URLSearchParams(params)}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
  const body = (await response.json()) as ApiAnswer<T>;
  if (!response.ok || body.status !== "success")
    throw new Error(`Prometheus ${path} failed: ${body.error ?? response.statusText}`);
  return body;
}

/** What was pulled: kept beside the case (not inside it, where the readers would take it for input). */
export interface Recording {
  start: number;
  end: number;
  step: number;
  bytes: number;
  metrics: { metric: string; series: number; file: string }[];
}

/** Writes `<outDir>/<metric>.json.gz` for every metric name seen in [start, end] (unix s). */
export async function recordPrometheus(
  prometheusUrl: string,
  start: number,
  end: number,
  stepSeconds: number,
  outDir: string,
): Promise<Recording> {
  await mkdir(outDir, { recursive: true });
  const range = { start: String(start), end: String(end) };
  const names = (await api<string[]>(prometheusUrl, "/api/v1/label/__name__/values", range)).data;
  const pulled: Recording["metrics"] = [];
  let bytes = 0;
  for (const name of names.sort()) {
    const answer = await api<RangeData>(prometheusUrl, "/api/v1/query_range", {
      query: name,
      ...range,
      step: String(stepSeconds),
    });
    if (answer.data.result.length === 0) continue;
    const file = `${name}.json.gz`;
    const packed = await gzipAsync(JSON.stringify(answer));
    await writeFile(join(outDir, file), packed);
    bytes += packed.length;
    pulled.push({ metric: name, series: answer.data.result.length, file });
  }
  return { start, end, step: stepSeconds, bytes, metrics: pulled };
}

/** Copies every log file of `fromDir` to `<outDir>/<name>.gz` (a run's JSON-lines logs shrink tenfold). */
export async function recordLogs(fromDir: string, outDir: string): Promise<number> {
  await mkdir(outDir, { recursive: true });
  const files = await readdir(fromDir);
  for (const file of files) {
    await pipeline(createReadStream(join(fromDir, file)), createGzip(), createWriteStream(join(outDir, `${file}.gz`)));
  }
  return files.length;
}
