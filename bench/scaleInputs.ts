/**
 * The inputs `npm run bench:scale` reads, written to a file of about the size asked for: JSON-lines
 * logs, one Prometheus query_range document, OTLP/JSON traces. Deterministic (a seeded generator),
 * written in chunks so that a gigabyte costs a few megabytes of memory, and shaped as real exporters
 * write them: many services and pods, an hour at a scrape interval, an incident at a known time.
 */

import { once } from "node:events";
import { createWriteStream } from "node:fs";

/** The hour the inputs cover, and the alert inside it (unix seconds). */
export const START = 1_768_528_800; // 2026-01-16T02:00:00Z
export const HOUR = 3600;
/** The alert: three quarters into the hour, so an hour-long baseline is mostly there. */
export const ALERT = START + 45 * 60;
/** Where the incident starts: a few minutes before the alert, as a real one would. */
const ONSET = ALERT - 3 * 60;

const SERVICES = ["cart", "catalogue", "checkout", "orders", "payment", "shipping", "user", "web", "search", "ratings"];
const PODS_PER_SERVICE = 8;
/** A service whose latency and errors rise at the onset, so that the engine has a cause to find. */
const FAULTY = "payment";
/** Bytes per write: large enough that writes are few. */
const CHUNK_CHARS = 1 << 20;

/** A small seeded generator (mulberry32): the same inputs every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function podName(service: string, index: number): string {
  return `${service}-7d9f8c6b5-${index.toString(36).padStart(5, "q")}`;
}

/** What was written: bytes, and the lines, series or spans they hold. */
export interface Written {
  bytes: number;
  items: number;
}

/** Writes the pieces to `file`; returns the bytes written. */
async function writeChunks(file: string, pieces: Iterable<string>): Promise<number> {
  const out = createWriteStream(file);
  let bytes = 0;
  let buffer = "";
  for (const piece of pieces) {
    buffer += piece;
    if (buffer.length < CHUNK_CHARS) continue;
    bytes += Buffer.byteLength(buffer);
    if (!out.write(buffer)) await once(out, "drain");
    buffer = "";
  }
  bytes += Buffer.byteLength(buffer);
  out.end(buffer);
  await once(out, "finish");
  return bytes;
}

const LOG_MESSAGES = [
  (r: () => number) => `GET /api/items/${Math.floor(r() * 100_000)} 200 in ${Math.floor(r() * 40)} ms`,
  (r: () => number) => `order ${Math.floor(r() * 1e9)} accepted for user ${Math.floor(r() * 50_000)}`,
  (r: () => number) => `cache hit ratio ${(r() * 100).toFixed(1)}% over ${Math.floor(r() * 5000)} keys`,
  (r: () => number) => `POST /api/cart/${Math.floor(r() * 100_000)}/checkout 201 in ${Math.floor(r() * 90)} ms`,
];

/** The average length of the lines below, measured: it turns a size asked for into a line count. */
const LOG_LINE_BYTES = 148;

/** About `bytes` of JSON-lines logs over the hour; the faulty service logs timeouts after the onset. */
export async function writeJsonLinesLogs(file: string, bytes: number): Promise<Written> {
  const lines = Math.max(1, Math.round(bytes / LOG_LINE_BYTES));
  return { bytes: await writeChunks(file, logLines(lines)), items: lines };
}

/** One line in this many names one of the real services; the others name an ID as their service. */
const REAL_SERVICE_EVERY = 10;

/**
 * About `bytes` of the same logs, but with a label that is really an ID: nine lines in ten name a
 * service never seen before (`job-<line>`), so 100 MB hold about 600k distinct service names, while
 * every tenth line comes from the real services (the faulty one among them). Items: the distinct names.
 */
export async function writeDistinctNameLogs(file: string, bytes: number): Promise<Written> {
  const lines = Math.max(1, Math.round(bytes / LOG_LINE_BYTES));
  const names = new Set<string>();
  const idName = (line: number, service: string) => {
    const name = line % REAL_SERVICE_EVERY === 0 ? service : `job-${line}`;
    // Only the real services repeat; the ids are counted, not held.
    if (name === service) names.add(name);
    return name;
  };
  const written = await writeChunks(file, logLines(lines, idName));
  return { bytes: written, items: names.size + lines - Math.ceil(lines / REAL_SERVICE_EVERY) };
}

function* logLines(lines: number, nameOf = (_line: number, service: string) => service): Generator<string> {
  const random = seeded(1);
  for (let i = 0; i < lines; i++) {
    const t = START + (i / lines) * HOUR;
    const service = nameOf(i, SERVICES[Math.floor(random() * SERVICES.length)]);
    const pod = podName(service, Math.floor(random() * PODS_PER_SERVICE));
    const failing = service === FAULTY && t >= ONSET && random() < 0.3;
    const level = failing ? "error" : "info";
    const msg = failing
      ? `upstream request timeout after ${3000 + Math.floor(random() * 100)} ms calling bank-gateway`
      : LOG_MESSAGES[Math.floor(random() * LOG_MESSAGES.length)](random);
    yield `{"time":"${new Date(t * 1000).toISOString()}","level":"${level}","service":"${service}","pod":"${pod}","msg":"${msg}"}\n`;
  }
}

/** The metrics of each pod: a counter of requests and one of CPU seconds, a latency, memory. */
const METRICS = [
  "http_requests_total",
  "container_cpu_usage_seconds_total",
  "http_request_duration_seconds",
  "container_memory_working_set_bytes",
];
/** The step of the query_range document: an hour at 10 s is 360 samples a series, so 1 GB is about 100k series. */
const STEP = 10;

function sampleValue(metric: string, service: string, t: number, random: () => number): number {
  const faulty = service === FAULTY && t >= ONSET;
  const elapsed = t - START;
  switch (metric) {
    case "http_requests_total":
      return Math.floor(elapsed * 20 + random() * 10);
    case "container_cpu_usage_seconds_total":
      return elapsed * (faulty ? 0.9 : 0.2) + random() * 0.01;
    case "http_request_duration_seconds":
      return (faulty ? 2.5 : 0.05) + random() * 0.01;
    default:
      return 300e6 + random() * 1e6;
  }
}

/** About `bytes` of one Prometheus query_range answer (resultType matrix), 360 samples a series. */
export async function writeQueryRange(file: string, bytes: number): Promise<Written> {
  // Measured: about 150 bytes of labels and 21 a sample.
  const seriesBytes = 150 + 21 * (HOUR / STEP);
  const series = Math.max(1, Math.round(bytes / seriesBytes));
  return { bytes: await writeChunks(file, matrix(series)), items: series };
}

function* matrix(series: number): Generator<string> {
  const random = seeded(2);
  yield '{"status":"success","data":{"resultType":"matrix","result":[';
  for (let s = 0; s < series; s++) {
    const service = SERVICES[s % SERVICES.length];
    const pod = podName(service, Math.floor(s / SERVICES.length) % PODS_PER_SERVICE);
    const metric = METRICS[Math.floor(s / (SERVICES.length * PODS_PER_SERVICE)) % METRICS.length];
    // Beyond the pods' own series, an endpoint label makes more of them, as an instrumented service has.
    const endpoint = Math.floor(s / (SERVICES.length * PODS_PER_SERVICE * METRICS.length));
    const pairs: string[] = [];
    for (let t = START; t < START + HOUR; t += STEP)
      pairs.push(`[${t},"${Number(sampleValue(metric, service, t, random).toPrecision(6))}"]`);
    const labels = `{"__name__":"${metric}","service":"${service}","pod":"${pod}","endpoint":"/e${endpoint}"}`;
    yield `${s > 0 ? "," : ""}{"metric":${labels},"values":[${pairs.join(",")}]}`;
  }
  yield "]}}\n";
}

const SPANS_PER_BATCH = 500;

function hex(random: () => number, digits: number): string {
  let text = "";
  while (text.length < digits)
    text += Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, "0");
  return text.slice(0, digits);
}

/** `spans` spans as OTLP/JSON, in batches of 500 per resource as a collector exports them. */
export async function writeOtlpSpans(file: string, spans: number): Promise<Written> {
  return { bytes: await writeChunks(file, resourceSpans(spans)), items: spans };
}

function* resourceSpans(spans: number): Generator<string> {
  const random = seeded(3);
  yield '{"resourceSpans":[';
  for (let written = 0, batch = 0; written < spans; batch++) {
    const service = SERVICES[batch % SERVICES.length];
    const count = Math.min(SPANS_PER_BATCH, spans - written);
    const items: string[] = [];
    for (let j = 0; j < count; j++) {
      const start = START + ((written + j) / spans) * HOUR;
      const failing = service === FAULTY && start >= ONSET && random() < 0.3;
      const duration = failing ? 3 : 0.005 + random() * 0.05;
      const startNs = `${Math.floor(start * 1e3)}000000`;
      const endNs = `${Math.floor((start + duration) * 1e3)}000000`;
      items.push(
        `{"traceId":"${hex(random, 32)}","spanId":"${hex(random, 16)}","parentSpanId":"${hex(random, 16)}","name":"GET /api/${service}","kind":2,"startTimeUnixNano":"${startNs}","endTimeUnixNano":"${endNs}","status":{"code":${failing ? 2 : 0}}}`,
      );
    }
    const resource = `{"attributes":[{"key":"service.name","value":{"stringValue":"${service}"}}]}`;
    yield `${batch > 0 ? "," : ""}{"resource":${resource},"scopeSpans":[{"scope":{"name":"bench"},"spans":[${items.join(",")}]}]}`;
    written += count;
  }
  yield "]}\n";
}
