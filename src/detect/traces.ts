/**
 * Trace evidence per service: latency added on calls into it (network and queueing, seen by callers),
 * its own processing time, error spans, and operations that appear or vanish.
 */
import type { Case, Span } from "../case/model.js";
import { formatValue } from "./format.js";
import { countChangeSignificance, normalUpperTail, significanceStrength } from "./significance.js";
import { MIN_SURPRISE, strengthOf } from "./strength.js";
import { levelShift, mixShift } from "./surprise.js";
import type { Evidence, SignalFamily, Window } from "./types.js";

/** Samples needed on each side before a latency shift is judged. */
const MIN_LATENCY_SAMPLES = 5;
/** Changes in which operations run are weaker than latency or errors: traffic mix shifts too. */
const OPERATION_CHANGE_WEIGHT = 0.6;

type Phase = "baseline" | "incident";

interface ServiceSamples {
  /** Caller-side time not spent inside this service's span: network, queueing, connection set-up. */
  callOverhead: Record<Phase, number[]>;
  /** Time a span spends in its own code, not waiting on children. */
  selfTime: Record<Phase, number[]>;
  errors: Record<Phase, number>;
  operations: Map<string, Record<Phase, number>>;
  /** Example trace id per phase, for excerpts. */
  exampleTrace: Partial<Record<Phase, string>>;
}

function phaseOf(span: Span, window: Window): Phase | undefined {
  if (span.start < window.at) return "baseline";
  if (span.start <= window.end) return "incident";
  return undefined;
}

function samplesFor(map: Map<string, ServiceSamples>, service: string): ServiceSamples {
  let s = map.get(service);
  if (!s) {
    s = {
      callOverhead: { baseline: [], incident: [] },
      selfTime: { baseline: [], incident: [] },
      errors: { baseline: 0, incident: 0 },
      operations: new Map(),
      exampleTrace: {},
    };
    map.set(service, s);
  }
  return s;
}

function collect(
  c: Case,
  window: Window,
): { perService: Map<string, ServiceSamples>; spanCount: Record<Phase, number> } {
  const byId = new Map<string, Span>();
  for (const span of c.spans) byId.set(`${span.traceId}/${span.spanId}`, span);
  const childTime = new Map<Span, number>();
  for (const span of c.spans) {
    const parent = span.parent ? byId.get(`${span.traceId}/${span.parent}`) : undefined;
    if (parent) childTime.set(parent, (childTime.get(parent) ?? 0) + span.duration);
  }
  const perService = new Map<string, ServiceSamples>();
  const spanCount = { baseline: 0, incident: 0 };
  for (const span of c.spans) {
    const phase = phaseOf(span, window);
    if (!phase) continue;
    spanCount[phase]++;
    const s = samplesFor(perService, span.service);
    s.exampleTrace[phase] ??= span.traceId;
    s.selfTime[phase].push(Math.max(0, span.duration - (childTime.get(span) ?? 0)));
    if (span.error) s.errors[phase]++;
    const op = s.operations.get(span.operation) ?? { baseline: 0, incident: 0 };
    op[phase]++;
    s.operations.set(span.operation, op);
    const parent = span.parent ? byId.get(`${span.traceId}/${span.parent}`) : undefined;
    if (parent && parent.service !== span.service) {
      s.callOverhead[phase].push(Math.max(0, parent.duration - span.duration));
    }
  }
  return { perService, spanCount };
}

export function detectTraceChanges(c: Case, window: Window, nextId: () => string): Evidence[] {
  if (c.spans.length === 0) return [];
  const { perService, spanCount } = collect(c, window);
  if (spanCount.baseline === 0 || spanCount.incident === 0) return [];
  const ratio = spanCount.incident / spanCount.baseline;
  const evidence: Evidence[] = [];
  const add = (
    service: string,
    signal: string,
    family: SignalFamily,
    strength: number,
    detail: string,
    excerpt: string,
  ) => {
    if (strength <= 0) return;
    evidence.push({
      id: nextId(),
      entity: service,
      signal,
      type: "trace",
      family,
      start: window.at,
      strength,
      detail,
      excerpt,
    });
  };
  for (const [service, s] of perService) {
    const trace = s.exampleTrace.incident ?? "";
    for (const [signal, samples] of [
      ["latency of calls into it", s.callOverhead],
      ["own processing time", s.selfTime],
    ] as const) {
      if (samples.baseline.length < MIN_LATENCY_SAMPLES || samples.incident.length < MIN_LATENCY_SAMPLES) continue;
      const shift = levelShift(samples.baseline, samples.incident, "up", MIN_SURPRISE);
      if (!shift || shift.surprise < MIN_SURPRISE) continue;
      add(
        service,
        signal,
        "latency",
        Math.min(strengthOf(shift.surprise), significanceStrength(shift.significance)),
        `${signal} rose from ${formatValue(shift.baselineMedian * 1e3)} ms to ${formatValue(shift.incidentLevel * 1e3)} ms (${formatValue(shift.surprise)}σ)`,
        `trace ${trace}`,
      );
    }
    add(
      service,
      "error spans",
      "errors",
      significanceStrength(countChangeSignificance(s.errors.incident, s.errors.baseline, ratio)),
      `${s.errors.incident} error spans vs ${(s.errors.baseline * ratio).toFixed(1)} expected`,
      `trace ${trace}`,
    );
    const operations = [...s.operations.values()];
    const mix = mixShift(
      operations.map((o) => o.baseline),
      operations.map((o) => o.incident),
    );
    add(
      service,
      "operation mix",
      "errors",
      significanceStrength(normalUpperTail(mix)),
      `the mix of operations it runs changed (${mix.toFixed(1)}σ)`,
      `trace ${trace}`,
    );
    for (const [operation, counts] of s.operations) {
      const expected = counts.baseline * ratio;
      const significance = Math.abs(countChangeSignificance(counts.incident, counts.baseline, ratio));
      const what =
        counts.baseline === 0
          ? "new operation"
          : counts.incident < expected
            ? "operation vanishing"
            : "operation surging";
      add(
        service,
        `${what}: ${operation}`,
        "errors",
        OPERATION_CHANGE_WEIGHT * significanceStrength(significance),
        `${what} ${operation}: ${counts.incident} spans vs ${expected.toFixed(1)} expected`,
        `trace ${trace}`,
      );
    }
  }
  return evidence;
}
