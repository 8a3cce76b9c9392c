/** Log lines as a Fluent Bit-shipped JSON-lines file per workload, with Kubernetes metadata. */
import type { LogLine, LogSource } from "../telemetry.js";

/**
 * `new Date(t * 1000).toISOString()`, formatting each second once: the millisecond part is cut from
 * the time the way the Date constructor cuts it (toward zero).
 */
function isoFormatter(): (t: number) => string {
  let second = Number.NaN;
  let prefix = "";
  return (t: number) => {
    const ms = Math.trunc(t * 1000);
    const s = Math.floor(ms / 1000);
    if (s !== second) {
      second = s;
      prefix = new Date(s * 1000).toISOString().slice(0, -4);
    }
    return `${prefix}${String(ms - s * 1000).padStart(3, "0")}Z`;
  };
}

export function logLinesByWorkload(lines: LogLine[]): Map<string, LogLine[]> {
  const files = new Map<string, LogLine[]>();
  for (const line of lines) {
    const key = `${line.source.namespace}_${line.source.workload}`;
    const list = files.get(key) ?? [];
    list.push(line);
    files.set(key, list);
  }
  for (const list of files.values()) list.sort((a, b) => a.t - b.t);
  return files;
}

/** The `kubernetes` object Fluent Bit's Kubernetes filter adds, as JSON. */
function kubernetesJson(source: LogSource): string {
  return JSON.stringify({
    namespace_name: source.namespace,
    pod_name: source.pod,
    container_name: source.container,
    host: source.node,
    labels: { app: source.workload },
  });
}

/**
 * One record: `{"time","level","message","kubernetes"[,"trace_id","span_id"]}`, built as text (the
 * same bytes JSON.stringify gives the object) so large files encode fast; `kubernetes` may be given
 * when the caller already has it.
 */
export function jsonLine(line: LogLine, kubernetes = kubernetesJson(line.source), iso = isoFormatter()): string {
  let text = `{"time":"${iso(line.t)}","level":${JSON.stringify(line.level)},"message":${JSON.stringify(line.message)},"kubernetes":${kubernetes}`;
  if (line.traceId) text += `,"trace_id":${JSON.stringify(line.traceId)}`;
  if (line.spanId) text += `,"span_id":${JSON.stringify(line.spanId)}`;
  return `${text}}`;
}

/** A JSON-lines file's text, line by line (each with its newline); the metadata of each source is encoded once. */
export function* jsonLinePieces(lines: LogLine[]): Generator<string> {
  const metadata = new Map<LogSource, string>();
  const iso = isoFormatter();
  for (const line of lines) {
    let kubernetes = metadata.get(line.source);
    if (kubernetes === undefined) {
      kubernetes = kubernetesJson(line.source);
      metadata.set(line.source, kubernetes);
    }
    yield `${jsonLine(line, kubernetes, iso)}\n`;
  }
}
