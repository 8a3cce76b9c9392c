/**
 * Trace evidence per service: latency added on calls into it (network and queueing, seen by callers),
 * error spans, and, per operation, changes in how each invocation behaves: its own processing time,
 * the log templates it writes and the calls it makes. Comparing invocations of the same operation keeps
 * the evidence free of shifts in the traffic mix (a load generator switching workflows changes which
 * operations run, not how each one behaves).
 */
import type { Case } from "../case/model.js";
import { NO_PARENT, type SpanTable } from "../case/spanTable.js";
import { childrenOf, NO_ROW, type SpanTree, spanTree } from "../case/spanTree.js";
import { inEntityBaseline } from "./episodes.js";
import { formatValue } from "./format.js";
import { LEVEL_WEIGHT } from "./levelWeight.js";
import { median } from "./robust.js";
import { binomialUpperTail, countChangeSignificance, MIN_SIGNIFICANCE, significanceStrength } from "./significance.js";
import { MIN_SURPRISE, strengthOf } from "./strength.js";
import { levelShift } from "./surprise.js";
import type { Evidence, SignalFamily, Window } from "./types.js";
import { inBaseline } from "./window.js";

/**
 * Samples needed on each side before a latency shift or a behaviour change is judged. Kept low on purpose:
 * a rarely called service may be called twice a minute, and the significance test, which accounts for
 * how few samples there are, decides whether the change counts.
 */
const MIN_SAMPLES = 2;
/**
 * Baseline invocations enough to hold a feature's share against. One: where the baseline's other requests
 * were failing (the tail of an earlier incident, see recoveringParts), the one healthy request left is the
 * only picture of the usual path, and a line every incident invocation now skips is still plain against it.
 * How little one invocation says is the significance test's to weigh (the smoothing towards the share over
 * all contexts and the binomial tail); the incident side keeps MIN_SAMPLES.
 */
const MIN_BASELINE_INVOCATIONS = 1;
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

/**
 * A span named after a database statement, as OpenTelemetry's database conventions name client spans
 * (`SELECT shop.orders`, `INSERT orders`): its time is the database's, not the service's own processing.
 */
const DATABASE_STATEMENT = /^(?:SELECT|INSERT|UPDATE|DELETE|UPSERT|MERGE|REPLACE|CALL|BEGIN|COMMIT|ROLLBACK)(?:\s|$)/;

/** A span as one invocation of its operation: what it did and who asked, whatever the window. */
interface Invocation {
  /** The span's row in the Case's span table. */
  row: number;
  traceId: string;
  /**
   * Who asked: the nearest calling span in another service, and the parent span (within the service, the
   * endpoint or method that ran it). Empty for a request's root.
   */
  context: string;
  /** Seconds in its own code; NaN for a client span, whose uncovered time is the call's, not its own. */
  selfTime: number;
  /** What the invocation did: `log:<template index>`, `call:<service> <operation>`, `error`. */
  features: ReadonlySet<string>;
}

interface OverheadSample {
  traceId: string;
  seconds: number;
  /** The callee's invocation the caller waited for. */
  invocation: Invocation;
}

interface ServiceSamples {
  /** Caller-side time not spent inside this service's span: network, queueing, connection set-up. */
  callOverhead: OverheadSample[];
  /** The phase of each callOverhead sample. */
  overheadPhase: Phase[];
  errors: Record<Phase, number>;
  /** Baseline spans left out as the service's own episodes: counted as traffic, not as its normal. */
  episodeSpans: number;
  baselineSpans: number;
  operations: Map<string, Invocations>;
  /** Example trace id per phase, for excerpts. */
  exampleTrace: Partial<Record<Phase, string>>;
}

/** One operation's invocations in the window: all of them in the order read, and those of each phase. */
interface Invocations {
  all: Invocation[];
  baseline: Invocation[];
  incident: Invocation[];
}

/** A span in the baseline but inside one of its service's episodes (detect/episodes.ts): traffic, not normal. */
type Placed = Phase | "episode";

function phaseOf(start: number, service: string, window: Window): Placed | undefined {
  if (inEntityBaseline(start, window, service)) return "baseline";
  if (inBaseline(start, window)) return "episode";
  if (start >= window.at && start <= window.end) return "incident";
  return undefined;
}

function samplesFor(map: Map<string, ServiceSamples>, service: string): ServiceSamples {
  let s = map.get(service);
  if (!s) {
    s = {
      callOverhead: [],
      overheadPhase: [],
      errors: { baseline: 0, incident: 0 },
      episodeSpans: 0,
      baselineSpans: 0,
      operations: new Map(),
      exampleTrace: {},
    };
    map.set(service, s);
  }
  return s;
}

/** The shared features of invocations that did nothing of note (never added to). */
const NO_FEATURES: ReadonlySet<string> = new Set();

/**
 * Texts that many invocations share, made once: a feature's name for a log template or a call, an
 * invocation's context, whether an operation is a database statement.
 */
class SharedTexts {
  private readonly logs = new Map<number, string>();
  private readonly calls = new Map<string, Map<number, string>>();
  private readonly contexts = new Map<string, Map<number, Map<number, string>>>();
  private readonly statements = new Map<number, boolean>();

  constructor(private readonly spans: SpanTable) {}

  log(template: number): string {
    let text = this.logs.get(template);
    if (text === undefined) {
      text = `log:${template}`;
      this.logs.set(template, text);
    }
    return text;
  }

  /** `call:<service> <operation>` of a called span. */
  call(row: number): string {
    const service = this.spans.serviceOf(row);
    const operation = this.spans.operation[row];
    let byOperation = this.calls.get(service);
    if (!byOperation) {
      byOperation = new Map();
      this.calls.set(service, byOperation);
    }
    let text = byOperation.get(operation);
    if (text === undefined) {
      text = `call:${service} ${this.spans.operationOf(row)}`;
      byOperation.set(operation, text);
    }
    return text;
  }

  /** `<caller's service> <caller's operation> / <parent's operation>`. */
  context(caller: number, parent: number): string {
    const service = this.spans.serviceOf(caller);
    let byCaller = this.contexts.get(service);
    if (!byCaller) {
      byCaller = new Map();
      this.contexts.set(service, byCaller);
    }
    let byParent = byCaller.get(this.spans.operation[caller]);
    if (!byParent) {
      byParent = new Map();
      byCaller.set(this.spans.operation[caller], byParent);
    }
    let text = byParent.get(this.spans.operation[parent]);
    if (text === undefined) {
      text = `${service} ${this.spans.operationOf(caller)} / ${this.spans.operationOf(parent)}`;
      byParent.set(this.spans.operation[parent], text);
    }
    return text;
  }

  isStatement(row: number): boolean {
    const operation = this.spans.operation[row];
    let statement = this.statements.get(operation);
    if (statement === undefined) {
      statement = DATABASE_STATEMENT.test(this.spans.operationOf(row));
      this.statements.set(operation, statement);
    }
    return statement;
  }
}

/** What an invocation did (see Invocation.features). */
function featuresOf(spans: SpanTable, tree: SpanTree, row: number, texts: SharedTexts): ReadonlySet<string> {
  const templates = spans.logTemplatesOf(row);
  const kids = childrenOf(tree, row);
  const error = spans.error[row] === 1;
  if (templates.length === 0 && kids.length === 0 && !error) return NO_FEATURES;
  const features = new Set<string>();
  for (let i = 0; i < templates.length; i++) features.add(texts.log(templates[i]));
  for (const kid of kids) features.add(texts.call(kid));
  if (error) features.add("error");
  return features;
}

/**
 * The nearest span up the parent chain in another service than `row`'s (or the topmost of its own
 * service's spans when the chain ends); NO_ROW when a parent is named but not in the Case.
 */
function callerOf(spans: SpanTable, tree: SpanTree, row: number): number {
  let caller = tree.parent[row];
  // Corrupt ids can make a parent chain loop: each span is climbed through once.
  let climbed: Set<number> | undefined;
  while (caller !== NO_ROW && spans.parentId[caller] !== NO_PARENT && spans.service[caller] === spans.service[row]) {
    climbed ??= new Set();
    if (climbed.has(caller)) break;
    climbed.add(caller);
    caller = tree.parent[caller];
  }
  return caller;
}

/** Every span as an invocation, and the call overhead its caller saw (where the caller is another service). */
interface SpanInvocations {
  invocations: Invocation[];
  overheads: (OverheadSample | undefined)[];
}

const invocationsBuilt = new WeakMap<SpanTable, SpanInvocations>();

/**
 * The spans as invocations, built once per span table: they do not depend on the window, and the
 * detector runs once per alert lag.
 */
function spanInvocations(spans: SpanTable): SpanInvocations {
  const known = invocationsBuilt.get(spans);
  if (known) return known;
  const tree = spanTree(spans);
  const texts = new SharedTexts(spans);
  const invocations: Invocation[] = [];
  const overheads: (OverheadSample | undefined)[] = [];
  for (let row = 0; row < spans.length; row++) {
    const duration = spans.duration[row];
    const traceId = spans.traceOf(row);
    const kids = childrenOf(tree, row);
    let childTime = 0;
    let callsOut = false;
    for (const kid of kids) {
      childTime += spans.duration[kid];
      if (spans.service[kid] !== spans.service[row]) callsOut = true;
    }
    // A span that calls another service is the client side of that call: the time it does not spend in
    // the remote span is the network's and the callee's queue's (counted as calls into the callee). A
    // database statement's span is the client side of a call into the database.
    callsOut ||= texts.isStatement(row);
    const selfTime = callsOut ? Number.NaN : Math.max(0, duration - childTime);
    const parent = tree.parent[row];
    const caller = parent === NO_ROW ? NO_ROW : callerOf(spans, tree, row);
    const context = caller !== NO_ROW ? texts.context(caller, parent) : "";
    const features = featuresOf(spans, tree, row, texts);
    const invocation: Invocation = { row, traceId, context, selfTime, features };
    invocations.push(invocation);
    overheads.push(
      parent !== NO_ROW && spans.service[parent] !== spans.service[row]
        ? { traceId, seconds: Math.max(0, spans.duration[parent] - duration), invocation }
        : undefined,
    );
  }
  const built = { invocations, overheads };
  invocationsBuilt.set(spans, built);
  return built;
}

function collect(c: Case, window: Window) {
  const spans = c.spans;
  const { invocations, overheads } = spanInvocations(spans);
  const perService = new Map<string, ServiceSamples>();
  const spanCount = { baseline: 0, incident: 0 };
  const rootDurations: number[] = [];
  for (let row = 0; row < spans.length; row++) {
    const service = spans.serviceOf(row);
    const placed = phaseOf(spans.start[row], service, window);
    if (!placed) continue;
    if (placed === "episode") {
      spanCount.baseline++;
      samplesFor(perService, service).episodeSpans++;
      continue;
    }
    const phase = placed;
    spanCount[phase]++;
    const s = samplesFor(perService, service);
    const invocation = invocations[row];
    if (phase === "baseline") s.baselineSpans++;
    if (phase === "baseline" && spans.parentId[row] === NO_PARENT) rootDurations.push(spans.duration[row]);
    s.exampleTrace[phase] ??= invocation.traceId;
    if (spans.error[row] === 1) s.errors[phase]++;
    const operation = spans.operationOf(row);
    let ofOperation = s.operations.get(operation);
    if (!ofOperation) {
      ofOperation = { all: [], baseline: [], incident: [] };
      s.operations.set(operation, ofOperation);
    }
    ofOperation.all.push(invocation);
    ofOperation[phase].push(invocation);
    const overhead = overheads[row];
    if (overhead) {
      s.callOverhead.push(overhead);
      s.overheadPhase.push(phase);
    }
  }
  return { perService, spanCount, typicalRequest: median(rootDurations) };
}

/**
 * Pseudo-invocations at the share over all contexts that a context's own baseline share is smoothed with:
 * a context seen twice before says little alone, and the other contexts are the best guess for the rest.
 */
const CONTEXT_PRIOR_WEIGHT = 2;

interface ShareChange {
  rose: boolean;
  /** −log10 p of a change this large or larger, in its direction. */
  significance: number;
  /**
   * Incident invocations compared in the contexts where the feature occurs at all (before or now), how
   * many had it, and the share the baseline predicts for them, by context. Contexts that never show it on
   * either side say nothing about its share: an operation name shared by two endpoints, one of which writes
   * a line on every call, must not dilute that line's switch from always to never.
   */
  m: number;
  k: number;
  expected: number;
}

/**
 * Did a feature's share of invocations change, either way? Invocations are compared within their context
 * (who asked): what a service does depends on what it is asked, so a shift in who calls it (a caller that
 * recovers, a workflow that switches) must not read as a change in how it behaves. Each incident invocation
 * is held to the share its context had in the baseline, smoothed towards the share over all contexts (itself
 * smoothed by one pseudo-invocation each way) by CONTEXT_PRIOR_WEIGHT pseudo-invocations; contexts absent
 * from either side give no comparison. Undefined when fewer than MIN_BASELINE_INVOCATIONS baseline or
 * MIN_SAMPLES incident invocations compare, or no compared context shows the feature.
 */
function shareChange(feature: string, baseline: Invocation[], incident: Invocation[]): ShareChange | undefined {
  const strata = new Map<string, { n: number; b: number; m: number; k: number }>();
  const stratum = (context: string) => {
    let found = strata.get(context);
    if (!found) {
      found = { n: 0, b: 0, m: 0, k: 0 };
      strata.set(context, found);
    }
    return found;
  };
  for (const i of baseline) {
    const x = stratum(i.context);
    x.n++;
    if (i.features.has(feature)) x.b++;
  }
  for (const i of incident) {
    const x = stratum(i.context);
    x.m++;
    if (i.features.has(feature)) x.k++;
  }
  let n = 0;
  let b = 0;
  for (const x of strata.values()) {
    if (x.n === 0 || x.m === 0) continue;
    n += x.n;
    b += x.b;
  }
  const pooled = (b + 1) / (n + 2);
  let m = 0;
  let k = 0;
  let smoothed = 0;
  const bearing = { m: 0, k: 0, expected: 0 };
  for (const x of strata.values()) {
    if (x.n === 0 || x.m === 0) continue;
    m += x.m;
    k += x.k;
    smoothed += x.m * ((x.b + CONTEXT_PRIOR_WEIGHT * pooled) / (x.n + CONTEXT_PRIOR_WEIGHT));
    if (x.b === 0 && x.k === 0) continue;
    bearing.m += x.m;
    bearing.k += x.k;
    bearing.expected += x.m * (x.b / x.n);
  }
  if (n < MIN_BASELINE_INVOCATIONS || m < MIN_SAMPLES || bearing.m === 0) return undefined;
  const rise = binomialUpperTail(k, m, smoothed / m);
  const fall = binomialUpperTail(m - k, m, 1 - smoothed / m);
  const change = { m: bearing.m, k: bearing.k, expected: bearing.expected / bearing.m };
  return rise >= fall ? { rose: true, significance: rise, ...change } : { rose: false, significance: fall, ...change };
}

interface OperationFinding {
  signal: string;
  family: SignalFamily;
  strength: number;
  detail: string;
  /** Self time excludes the children: a slower callee cannot have caused it. */
  own: boolean;
  /** The incident invocations that show the change. */
  showing?: Invocation[];
  /** The numbers behind `detail`, for reports. */
  numbers: Pick<Evidence, "value" | "baseline" | "unit">;
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
    for (const { baseline, incident } of s.operations.values()) {
      if (baseline.length < MIN_SAMPLES || incident.length < MIN_SAMPLES) continue;
      const failures = new Set<string>();
      for (const i of baseline) for (const f of i.features) if (isFailure(f, c)) failures.add(f);
      for (const failure of failures) {
        const change = shareChange(failure, baseline, incident);
        if (!change || change.rose || change.significance < MIN_SIGNIFICANCE) continue;
        for (const i of baseline) if (i.features.has(failure)) parts.add(requestPart(service, i.traceId));
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
  invocations: Invocations,
  typicalRequest: number,
  recovering: Set<string>,
): OperationFinding[] {
  const { baseline: everyBaseline, incident } = invocations;
  const healthyBaseline = everyBaseline.filter((i) => !recovering.has(requestPart(service, i.traceId)));
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
        numbers: { value: shift.incidentLevel, baseline: shift.baselineMedian, unit: "seconds" },
        own: true,
        showing: incident.filter(
          (i) => shift.beyond(i.selfTime) && timeMateriality(i.selfTime - shift.baselineMedian, typicalRequest) >= 1,
        ),
      });
    }
  }
  const features = new Set<string>();
  for (const i of invocations.all) for (const f of i.features) features.add(f);
  for (const feature of features) {
    const failure = isFailure(feature, c);
    const change = shareChange(feature, failure ? everyBaseline : healthyBaseline, incident);
    if (!change || change.significance < MIN_SIGNIFICANCE || (!change.rose && failure)) continue;
    const { what, family, weight } = describeFeature(feature, c);
    const percent = (share: number) => `${(100 * share).toFixed(0)}%`;
    const { k, m, expected } = change;
    findings.push({
      showing: incident.filter((i) => i.features.has(feature) === change.rose),
      signal: `${operation}: ${what}`,
      family,
      // As strong as both its significance and its size allow: a code path that switches for every call
      // (0% -> 100%) is a fault's mark; a share drifting with the request payloads (100% -> 73%) is not.
      strength: weight * Math.min(significanceStrength(change.significance), Math.abs(k / m - expected)),
      detail: `${operation} ${change.rose ? "started" : "stopped"} doing ${what}: ${percent(k / m)} of ${m} invocations vs ${percent(expected)} before`,
      numbers: { value: k / m, baseline: expected, unit: "ratio" },
      own: false,
    });
  }
  return findings;
}

/**
 * Share of a change in what a service does that a callee's change in the same requests explains. Where a
 * service behaves differently inside requests in which a service it calls also behaves differently, the
 * change below is the likelier cause: failures, timeouts and changed answers travel up the calls. The
 * comparison is per request, so a callee that changed in other requests (or merely saw fewer calls)
 * explains nothing. Not all of it: a caller can be the root and its callee merely affected.
 */
const IN_REQUEST_DISCOUNT = 0.8;

/** Per changed invocation, the strength of the strongest change it shows. */
type Changed = Map<Invocation, number>;

/** The requests' span trees and which invocations in them changed, with the part strengths found so far. */
interface RequestChanges {
  spans: SpanTable;
  tree: SpanTree;
  changed: Changed;
  /** Each row's invocation (see spanInvocations); only those in the window can have changed. */
  invocations: Invocation[];
  /** Each row's part strength once found; NaN before. */
  memo: Float64Array;
}

/** How strongly a service's part of a request, from `row` down to where it calls other services, changed (0: not). */
function partChange(row: number, r: RequestChanges): number {
  const known = r.memo[row];
  if (!Number.isNaN(known)) return known;
  let strongest = r.changed.get(r.invocations[row]) ?? 0;
  for (const kid of childrenOf(r.tree, row))
    if (r.spans.service[kid] === r.spans.service[row]) strongest = Math.max(strongest, partChange(kid, r));
  r.memo[row] = strongest;
  return strongest;
}

/**
 * How strongly each direct callee's part of the request below `row` changed. Direct callees only, as in
 * the reasoner: a deep request reaches many services, and one of them has almost always changed somewhere.
 */
function calleeChanges(row: number, r: RequestChanges): Map<string, number> {
  const found = new Map<string, number>();
  const service = r.spans.service[row];
  const walk = (s: number) => {
    for (const kid of childrenOf(r.tree, s)) {
      if (r.spans.service[kid] === service) walk(kid);
      else {
        const strength = partChange(kid, r);
        const callee = r.spans.serviceOf(kid);
        if (strength > 0) found.set(callee, Math.max(found.get(callee) ?? 0, strength));
      }
    }
  };
  walk(row);
  return found;
}

/**
 * Discounts a finding by how much of it its callees' changes in the same requests explain (see
 * IN_REQUEST_DISCOUNT). As in the reasoner, a callee explains in proportion to how its own change compares:
 * a weak change below (a share drifting with the payloads) explains little of a strong one above.
 */
function explainInRequests(finding: OperationFinding, r: RequestChanges): void {
  const showing = finding.showing ?? [];
  if (showing.length === 0 || !(finding.strength > 0)) return;
  const by = new Map<string, number>();
  let explained = 0;
  for (const i of showing) {
    let best = 0;
    for (const [service, strength] of calleeChanges(i.row, r)) {
      const share = Math.min(1, strength / finding.strength) ** 2;
      best = Math.max(best, share);
      by.set(service, (by.get(service) ?? 0) + share);
    }
    explained += best;
  }
  if (explained === 0) return;
  const share = explained / showing.length;
  finding.strength *= 1 - IN_REQUEST_DISCOUNT * share;
  const culprits = [...by].sort((a, b) => b[1] - a[1]).map(([s]) => s);
  finding.detail += `; ${(100 * share).toFixed(0)}% explained by changes of ${culprits.slice(0, 2).join(", ")} in the same requests`;
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

/** How calls into a service got slower: against its own baseline, and against calls into other services. */
function overheadFindings(
  perService: Map<string, ServiceSamples>,
  service: string,
  recovering: Set<string>,
  typicalRequest: number,
): OperationFinding[] {
  const s = perService.get(service);
  if (!s) return [];
  const incident = s.callOverhead.filter((_, k) => s.overheadPhase[k] === "incident");
  if (incident.length < MIN_SAMPLES) return [];
  const baseline = s.callOverhead
    .filter((o, k) => s.overheadPhase[k] === "baseline" && !recovering.has(requestPart(service, o.traceId)))
    .map((o) => o.seconds);
  const references = [
    {
      values: baseline,
      signal: "latency of calls into it",
      detail: (from: string, to: string, sigma: string) =>
        `latency of calls into it rose from ${from} ms to ${to} ms (${sigma}σ)`,
    },
    {
      values: peerOverheads(perService, service),
      signal: "latency of calls into it against calls into other services",
      detail: (from: string, to: string, sigma: string) =>
        `calls into it spend ${to} ms outside it vs ${from} ms for calls into other services (${sigma}σ)`,
    },
  ];
  const findings: OperationFinding[] = [];
  for (const reference of references) {
    if (reference.values.length < MIN_SAMPLES) continue;
    const shift = levelShift(
      reference.values,
      incident.map((o) => o.seconds),
      "up",
      MIN_SURPRISE,
    );
    if (!shift || shift.surprise < MIN_SURPRISE) continue;
    findings.push({
      signal: reference.signal,
      family: "latency",
      strength:
        timeMateriality(shift.incidentLevel - shift.baselineMedian, typicalRequest) *
        Math.min(strengthOf(shift.surprise), significanceStrength(shift.significance)),
      detail: reference.detail(
        formatValue(shift.baselineMedian * 1e3),
        formatValue(shift.incidentLevel * 1e3),
        formatValue(shift.surprise),
      ),
      numbers: { value: shift.incidentLevel, baseline: shift.baselineMedian, unit: "seconds" },
      own: true,
      showing: incident
        .filter(
          (o) => shift.beyond(o.seconds) && timeMateriality(o.seconds - shift.baselineMedian, typicalRequest) >= 1,
        )
        .map((o) => o.invocation),
    });
  }
  return findings;
}

export function detectTraceChanges(c: Case, window: Window, nextId: () => string): Evidence[] {
  if (c.spans.length === 0) return [];
  const { perService, spanCount, typicalRequest } = collect(c, window);
  if (spanCount.baseline === 0 || spanCount.incident === 0) return [];
  const ratio = spanCount.incident / spanCount.baseline;
  const recovering = recoveringParts(c, perService);
  const overheadOf = new Map<string, OperationFinding[]>();
  const findingsOf = new Map<string, OperationFinding[]>();
  for (const [service, s] of perService) {
    overheadOf.set(service, overheadFindings(perService, service, recovering, typicalRequest));
    findingsOf.set(
      service,
      [...s.operations].flatMap(([operation, invocations]) =>
        operationFindings(c, service, operation, invocations, typicalRequest, recovering),
      ),
    );
  }
  // Invocations that behaved differently in any measured way: slower to reach or slower in their own code by
  // a material part of a request (enough to time a caller out), or doing something else. They are what can
  // explain a caller's change in the same request.
  const changed: Changed = new Map();
  for (const found of [...overheadOf.values(), ...findingsOf.values()])
    for (const f of found) for (const i of f.showing ?? []) changed.set(i, Math.max(changed.get(i) ?? 0, f.strength));
  const requests: RequestChanges = {
    spans: c.spans,
    tree: spanTree(c.spans),
    changed,
    invocations: spanInvocations(c.spans).invocations,
    memo: new Float64Array(c.spans.length).fill(Number.NaN),
  };
  const evidence: Evidence[] = [];
  const add = (service: string, f: Omit<OperationFinding, "showing">, excerpt: string) => {
    if (f.strength <= 0) return;
    const item: Evidence = {
      id: nextId(),
      entity: service,
      signal: f.signal,
      type: "trace",
      family: f.family,
      start: window.at,
      strength: f.strength,
      detail: f.detail,
      excerpt,
      ...f.numbers,
    };
    if (f.own) item.own = true;
    evidence.push(item);
  };
  for (const [service, s] of perService) {
    const trace = `trace ${s.exampleTrace.incident ?? ""}`;
    for (const f of overheadOf.get(service) ?? []) add(service, f, trace);
    // The service's normal is its baseline less its episodes: its expected errors scale up by what was left out.
    const ownRatio = s.baselineSpans > 0 ? (ratio * (s.baselineSpans + s.episodeSpans)) / s.baselineSpans : ratio;
    const errorSignificance = countChangeSignificance(s.errors.incident, s.errors.baseline, ownRatio);
    add(
      service,
      {
        signal: "error spans",
        family: "errors",
        strength: significanceStrength(errorSignificance),
        detail: `${s.errors.incident} error spans vs ${(s.errors.baseline * ownRatio).toFixed(1)} expected`,
        numbers: { value: s.errors.incident, baseline: s.errors.baseline * ownRatio, unit: "spans" },
        own: false,
      },
      trace,
    );
    const findings = findingsOf.get(service) ?? [];
    for (const f of findings) if (!f.own) explainInRequests(f, requests);
    findings.sort((a, b) => b.strength - a.strength);
    for (const f of findings.slice(0, MAX_OPERATION_ITEMS)) add(service, f, trace);
  }
  return evidence;
}
