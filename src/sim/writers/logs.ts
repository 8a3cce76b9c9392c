/** Log lines as a Fluent Bit-shipped JSON-lines file per workload, with Kubernetes metadata. */
import type { LogLine } from "../telemetry.js";

function iso(t: number): string {
  return new Date(t * 1000).toISOString();
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

export function jsonLine(line: LogLine): string {
  const record: Record<string, unknown> = {
    time: iso(line.t),
    level: line.level,
    message: line.message,
    kubernetes: {
      namespace_name: line.source.namespace,
      pod_name: line.source.pod,
      container_name: line.source.container,
      host: line.source.node,
      labels: { app: line.source.workload },
    },
  };
  if (line.traceId) record.trace_id = line.traceId;
  if (line.spanId) record.span_id = line.spanId;
  return JSON.stringify(record);
}
