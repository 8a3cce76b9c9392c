/** Spans as OTLP/JSON (`resourceSpans`), one resource per service pod, as an OpenTelemetry collector exports them. */
import type { SimSpan } from "../telemetry.js";

const SPAN_KIND: Record<SimSpan["kind"], number> = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 };
/** OTLP status codes. */
const STATUS_OK = 1;
const STATUS_ERROR = 2;

function nanos(t: number): string {
  return (BigInt(Math.round(t * 1e6)) * 1000n).toString();
}

function attribute(key: string, value: string | number) {
  return { key, value: typeof value === "number" ? { intValue: String(value) } : { stringValue: value } };
}

export function otlpTracesJson(spans: SimSpan[]): string {
  const byResource = new Map<string, SimSpan[]>();
  for (const s of spans) {
    const key = `${s.service}\u0000${s.pod}\u0000${s.namespace}`;
    const list = byResource.get(key) ?? [];
    list.push(s);
    byResource.set(key, list);
  }
  const resourceSpans = [...byResource.values()].map((list) => ({
    resource: {
      attributes: [
        attribute("service.name", list[0].service),
        attribute("k8s.pod.name", list[0].pod),
        attribute("k8s.namespace.name", list[0].namespace),
      ],
    },
    scopeSpans: [
      {
        scope: { name: "io.opentelemetry.auto" },
        spans: list.map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
          name: s.name,
          kind: SPAN_KIND[s.kind],
          startTimeUnixNano: nanos(s.start),
          endTimeUnixNano: nanos(s.end),
          attributes: Object.entries(s.attributes).map(([k, v]) => attribute(k, v)),
          status: { code: s.error ? STATUS_ERROR : STATUS_OK },
        })),
      },
    ],
  }));
  return JSON.stringify({ resourceSpans });
}
