/**
 * Trace evidence per service: latency added on calls into it (network and queueing, seen by callers),
 * error spans, and, per operation, changes in how each invocation behaves: its own processing time,
 * the log templates it writes and the calls it makes. Comparing invocations of the same operation keeps
 * the evidence free of shifts in the traffic mix (a load generator switching workflows changes which
 * operations run, not how each one behaves).
 */
import type { Case, Span } from "../case/model.js";
import { formatValue } from "./format.js";
import { LEVEL_WEIGHT } from "./levelWeight.js";
import { median } from "./robust.js";
import { binomialUpperTail, countChangeSignificance, MIN_SIGNIFICANCE, significanceStrength } from "./significance.js";
import { MIN_SURPRISE, strengthOf } from "./strength.js";
import { levelShift } from "./surprise.js";
import type { Evidence, SignalFamily, Window } from "./types.js";

/**
 * Samples needed on each side before a latency shift or a behaviour change is judged. Kept low on purpose:
 * a rarely called service may be called twice a minute, and the significance test, which accounts for
 * how few samples there are, decides whether the change counts.
 */
const MIN_SAMPLES = 2;
/** Evidence items kept per service from its operations: the strongest few say what changed. */
const MAX_OPERATION_ITEMS = 3;
/** A changed call is a changed path that a different request payload can also explain. */
const CALL_FEATURE_WEIGHT = 0.7;
/**
 * Added time is fully material once it reaches this share of a typical request's end-to-end time (the
 * median root span before the incident): a database call going from 1 to 5 ms inside 300 ms requests is
 * real but nobody's incident; 100 ms more is.
 */
const MATERIAL_SHARE_OF_REQUEST = 0.1;

type Phase = "baseline" | "incident";

interface Invocation {
  phase: Phase;
  traceId: string;
  /** Seconds in its own code; NaN for a client span, whose uncovered time is the call's, not its own. */
  selfTime: number;
  /** What the invocation did: `log:<template index>`, `call:<service> <operation>`, `error`. */
  features: Set<string>;
}

interface OverheadSample {
  phase: Phase;
  traceId: string;
  seconds: number;
}

interface ServiceSamples {
  /** Caller-side time not spent inside this service's span: network, queueing, connection set-up. */
  callOverhead: OverheadSample[];
  errors: Record<Phase, number>;
  operations: Map<string, Invocation[]>;
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
      callOverhead: [],
      errors: { baseline: 0, incident: 0 },
      operations: new Map(),
      exampleTrace: {},
    };
    map.set(service, s);
  }
  return s;
}

function collect(c: Case, window: Window) {
  const byId = new Map<string, Span>();
  for (const span of c.spans) byId.set(`${span.traceId}/${span.spanId}`, span);
  const children = new Map<Span, Span[]>();
  for (const span of c.spans) {
    const parent = span.parent ? byId.get(`${span.traceId}/${span.parent}`) : undefined;
    if (!parent) continue;
    const list = children.get(parent) ?? [];
    list.push(span);
    children.set(parent, list);
  }
  const perService = new Map<string, ServiceSamples>();
  const spanCount = { baseline: 0, incident: 0 };
  const rootDurations: number[] = [];
  for (const span of c.spans) {
    const phase = phaseOf(span, window);
    if (!phase) continue;
    spanCount[phase]++;
    if (phase === "baseline" && !span.parent) rootDurations.push(span.duration);
    const s = samplesFor(perService, span.service);
    s.exampleTrace[phase] ??= span.traceId;
    if (span.error) s.errors[phase]++;
    const kids = children.get(span) ?? [];
    const features = new Set<string>();
    for (const index of span.logTemplates ?? []) features.add(`log:${index}`);
    for (const kid of kids) features.add(`call:${kid.service} ${kid.operation}`);
    if (span.error) features.add("error");
    const childTime = kids.reduce((sum, kid) => sum + kid.duration, 0);
    // A span that calls another service is the client side of that call: the time it does not spend in
    // the remote span is the network's and the callee's queue's (counted as calls into the callee).
    const callsOut = kids.some((kid) => kid.service !== span.service);
    const selfTime = callsOut ? Number.NaN : Math.max(0, span.duration - childTime);
    const invocations = s.operations.get(span.operation) ?? [];
    invocations.push({ phase, traceId: span.traceId, selfTime, features });
    s.operations.set(span.operation, invocations);
    const parent = span.parent ? byId.get(`${span.traceId}/${span.parent}`) : undefined;
    if (parent && parent.service !== span.service) {
      s.callOverhead.push({ phase, traceId: span.traceId, seconds: Math.max(0, parent.duration - span.duration) });
    }
  }
  return { perService, spanCount, typicalRequest: median(rootDurations) };
}

/**
 * −log10 p that a feature's share of invocations changed, either way: k of m incident invocations against
 * b of n baseline ones, the baseline share smoothed by one pseudo-invocation each way.
 */
function shareChangeSignificance(b: number, n: number, k: number, m: number): { rose: boolean; significance: number } {
  const rise = binomialUpperTail(k, m, (b + 1) / (n + 2));
  const fall = binomialUpperTail(m - k, m, (n - b + 1) / (n + 2));
  return rise >= fall ? { rose: true, significance: rise } : { rose: false, significance: fall };
}

interface OperationFinding {
  signal: string;
  family: SignalFamily;
  strength: number;
  detail: string;
  /** Self time excludes the children: a slower callee cannot have caused it. */
  own: boolean;
}

/**
 * A failure of the invocation itself: an error status or an error-level log line inside it. Warnings are
 * not: services warn on ordinary outcomes of a request (nothing found, a retry), so whether they are
 * written follows the requests' payloads.
 */
function isFailure(feature: string, c: Case): boolean {
  if (feature === "error") return true;
  if (!feature.startsWith("log:")) return false;
  const level = c.logs.templates[Number(feature.slice(4))].level;
  return level === "error" || level === "fatal";
}

/** Key of a service's part in one request. */
function requestPart(service: string, traceId: string): string {
  return `${service}\u0000${traceId}`;
}

/**
 * The services' parts in baseline requests where they failed in a way that stopped in the incident: an
 * operation's failure that was common before and is significantly rarer now. The baseline then held the
 * tail of an earlier incident, and those failing invocations are no picture of the service's normal:
 * against them, its every return to its usual path (the lines it writes again, the calls it makes again)
 * would look like a change. Other services in the same requests keep their samples: which of their paths
 * a request takes depends on the request, and dropping whole requests would skew their baseline.
 */
function recoveringParts(c: Case, perService: Map<string, ServiceSamples>): Set<string> {
  const parts = new Set<string>();
  for (const [service, s] of perService) {
    for (const invocations of s.operations.values()) {
      const baseline = invocations.filter((i) => i.phase === "baseline");
      const incident = invocations.filter((i) => i.phase === "incident");
      if (baseline.length < MIN_SAMPLES || incident.length < MIN_SAMPLES) continue;
      const failures = new Set<string>();
      for (const i of baseline) for (const f of i.features) if (isFailure(f, c)) failures.add(f);
      for (const failure of failures) {
        const failing = baseline.filter((i) => i.features.has(failure));
        const k = incident.filter((i) => i.features.has(failure)).length;
        const change = shareChangeSignificance(failing.length, baseline.length, k, incident.length);
        if (change.rose || change.significance < MIN_SIGNIFICANCE) continue;
        for (const i of failing) parts.add(requestPart(service, i.traceId));
      }
    }
  }
  return parts;
}

function describeFeature(feature: string, c: Case): { what: string; family: SignalFamily; weight: number } {
  if (feature === "error") return { what: "error status", family: "errors", weight: 1 };
  if (feature.startsWith("call:"))
    return { what: `call to ${feature.slice(5)}`, family: "errors", weight: CALL_FEATURE_WEIGHT };
  const template = c.logs.templates[Number(feature.slice(4))];
  const errorLike = template.level === "error" || template.level === "fatal" || template.level === "warn";
  return {
    what: `${template.level} log "${template.template.slice(0, 100)}"`,
    family: errorLike ? "errors" : "log",
    weight: LEVEL_WEIGHT[template.level],
  };
}

/** 0..1: how much of a typical request an added time amounts to; 1 when requests are not known. */
function timeMateriality(added: number, typicalRequest: number): number {
  if (!(typicalRequest > 0)) return 1;
  return Math.min(1, Math.max(0, added) / (MATERIAL_SHARE_OF_REQUEST * typicalRequest));
}

/**
 * How invocations of one operation changed between baseline and incident. A failure counts only when it
 * starts (one that stops is a recovery), and it is judged against every baseline invocation: a new way of
 * failing is news whatever came before. Everything else is judged against the baseline invocations outside
 * the service's recovering requests (see recoveringParts).
 */
function operationFindings(
  c: Case,
  service: string,
  operation: string,
  invocations: Invocation[],
  typicalRequest: number,
  recovering: Set<string>,
): OperationFinding[] {
  const everyBaseline = invocations.filter((i) => i.phase === "baseline");
  const healthyBaseline = everyBaseline.filter((i) => !recovering.has(requestPart(service, i.traceId)));
  const incident = invocations.filter((i) => i.phase === "incident");
  if (everyBaseline.length < MIN_SAMPLES || incident.length < MIN_SAMPLES) return [];
  const findings: OperationFinding[] = [];
  if (healthyBaseline.length >= MIN_SAMPLES) {
    const shift = levelShift(
      healthyBaseline.map((i) => i.selfTime),
      incident.map((i) => i.selfTime),
      "up",
      MIN_SURPRISE,
    );
    if (shift && shift.surprise >= MIN_SURPRISE && shift.significance >= MIN_SIGNIFICANCE) {
      findings.push({
        signal: `own processing time of ${operation}`,
        family: "processing",
        strength:
          timeMateriality(shift.incidentLevel - shift.baselineMedian, typicalRequest) *
          Math.min(strengthOf(shift.surprise), significanceStrength(shift.significance)),
        detail: `${operation} spent ${formatValue(shift.incidentLevel * 1e3)} ms in its own code vs ${formatValue(shift.baselineMedian * 1e3)} ms (${formatValue(shift.surprise)}σ)`,
        own: true,
      });
    }
  }
  const features = new Set<string>();
  for (const i of invocations) for (const f of i.features) features.add(f);
  for (const feature of features) {
    const failure = isFailure(feature, c);
    const baseline = failure ? everyBaseline : healthyBaseline;
    if (baseline.length < MIN_SAMPLES) continue;
    const b = baseline.filter((i) => i.features.has(feature)).length;
    const k = incident.filter((i) => i.features.has(feature)).length;
    const change = shareChangeSignificance(b, baseline.length, k, incident.length);
    if (change.significance < MIN_SIGNIFICANCE || (!change.rose && failure)) continue;
    const { what, family, weight } = describeFeature(feature, c);
    const share = (x: number, n: number) => `${((100 * x) / n).toFixed(0)}%`;
    findings.push({
      signal: `${operation}: ${what}`,
      family,
      // As strong as both its significance and its size allow: a code path that switches for every call
      // (0% -> 100%) is a fault's mark; a share drifting with the request payloads (100% -> 73%) is not.
      strength:
        weight *
        Math.min(significanceStrength(change.significance), Math.abs(k / incident.length - b / baseline.length)),
      detail: `${operation} ${change.rose ? "started" : "stopped"} doing ${what}: ${share(k, incident.length)} of ${incident.length} invocations vs ${share(b, baseline.length)} of ${baseline.length} before`,
      own: false,
    });
  }
  return findings;
}

/**
 * The call overheads of every other service, baseline and incident: the network and queueing time a call
 * costs here. Judging a service's calls against them too finds a delay that was already there when the
 * recording starts (an onset before the first traced minute leaves no clean baseline of its own); the
 * other services' calls cross the same network.
 */
function peerOverheads(perService: Map<string, ServiceSamples>, service: string): number[] {
  return [...perService]
    .filter(([other]) => other !== service)
    .flatMap(([, samples]) => samples.callOverhead.map((o) => o.seconds));
}

export function detectTraceChanges(c: Case, window: Window, nextId: () => string): Evidence[] {
  if (c.spans.length === 0) return [];
  const { perService, spanCount, typicalRequest } = collect(c, window);
  if (spanCount.baseline === 0 || spanCount.incident === 0) return [];
  const ratio = spanCount.incident / spanCount.baseline;
  const recovering = recoveringParts(c, perService);
  const evidence: Evidence[] = [];
  const add = (
    service: string,
    signal: string,
    family: SignalFamily,
    strength: number,
    detail: string,
    excerpt: string,
    own = false,
  ) => {
    if (strength <= 0) return;
    const item: Evidence = {
      id: nextId(),
      entity: service,
      signal,
      type: "trace",
      family,
      start: window.at,
      strength,
      detail,
      excerpt,
    };
    if (own) item.own = true;
    evidence.push(item);
  };
  for (const [service, s] of perService) {
    const trace = `trace ${s.exampleTrace.incident ?? ""}`;
    const overhead = {
      baseline: s.callOverhead
        .filter((o) => o.phase === "baseline" && !recovering.has(requestPart(service, o.traceId)))
        .map((o) => o.seconds),
      incident: s.callOverhead.filter((o) => o.phase === "incident").map((o) => o.seconds),
    };
    if (overhead.baseline.length >= MIN_SAMPLES && overhead.incident.length >= MIN_SAMPLES) {
      const shift = levelShift(overhead.baseline, overhead.incident, "up", MIN_SURPRISE);
      if (shift && shift.surprise >= MIN_SURPRISE) {
        add(
          service,
          "latency of calls into it",
          "latency",
          timeMateriality(shift.incidentLevel - shift.baselineMedian, typicalRequest) *
            Math.min(strengthOf(shift.surprise), significanceStrength(shift.significance)),
          `latency of calls into it rose from ${formatValue(shift.baselineMedian * 1e3)} ms to ${formatValue(shift.incidentLevel * 1e3)} ms (${formatValue(shift.surprise)}σ)`,
          trace,
          true,
        );
      }
    }
    const peers = peerOverheads(perService, service);
    if (peers.length >= MIN_SAMPLES && overhead.incident.length >= MIN_SAMPLES) {
      const shift = levelShift(peers, overhead.incident, "up", MIN_SURPRISE);
      if (shift && shift.surprise >= MIN_SURPRISE) {
        add(
          service,
          "latency of calls into it against calls into other services",
          "latency",
          timeMateriality(shift.incidentLevel - shift.baselineMedian, typicalRequest) *
            Math.min(strengthOf(shift.surprise), significanceStrength(shift.significance)),
          `calls into it spend ${formatValue(shift.incidentLevel * 1e3)} ms outside it vs ${formatValue(shift.baselineMedian * 1e3)} ms for calls into other services (${formatValue(shift.surprise)}σ)`,
          trace,
          true,
        );
      }
    }
    add(
      service,
      "error spans",
      "errors",
      significanceStrength(countChangeSignificance(s.errors.incident, s.errors.baseline, ratio)),
      `${s.errors.incident} error spans vs ${(s.errors.baseline * ratio).toFixed(1)} expected`,
      trace,
    );
    const findings = [...s.operations].flatMap(([operation, invocations]) =>
      operationFindings(c, service, operation, invocations, typicalRequest, recovering),
    );
    findings.sort((a, b) => b.strength - a.strength);
    for (const f of findings.slice(0, MAX_OPERATION_ITEMS))
      add(service, f.signal, f.family, f.strength, f.detail, trace, f.own);
  }
  return evidence;
}
