/** Builds the Diagnosis document from ranked hypotheses (DESIGN.md, step 5). */

import { entityName } from "../case/entity.js";
import type { Case } from "../case/model.js";
import { toIso } from "../case/time.js";
import { fill } from "../catalogue/fill.js";
import type { Finding, ResourceFacts } from "../catalogue/types.js";
import type { Evidence, Window } from "../detect/types.js";
import { type ConfidenceFeatures, confidences, featuresOf } from "../reason/confidence.js";
import { explainedBy } from "../reason/findings.js";
import type { CallGraph } from "../reason/graph.js";
import type { Hypothesis } from "../reason/rank.js";
import { CONFIDENT_AT, percent } from "./present.js";
import { inputSources, type ReadSource } from "./sources.js";
import { type Cause, DIAGNOSIS_SCHEMA, type Diagnosis, type DiagnosisEvidence, type ResourceUsage } from "./types.js";

/** Evidence items shown per cause: the strongest say it; the rest are in the data. */
const EVIDENCE_PER_CAUSE = 8;
/** The chain stops after this many hops up the callers. */
const MAX_CHAIN = 6;

export interface BuildInput {
  c: Case;
  window: Window;
  alertTime?: number;
  ranked: Hypothesis[];
  graph: CallGraph;
  context?: string[];
  top: number;
  formats: ReadSource[];
  /** List every input file, however many. */
  listInputs?: boolean;
  timing: { read_ms: number; analyze_ms: number };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function toDiagnosisEvidence(e: Evidence): DiagnosisEvidence {
  const out: DiagnosisEvidence = {
    id: e.id,
    entity: e.entity,
    type: e.type,
    signal: e.signal,
    detail: e.detail,
    excerpt: e.excerpt,
    start: toIso(e.start),
    score: round3(e.strength),
  };
  if (e.value !== undefined && Number.isFinite(e.value)) out.value = e.value;
  if (e.baseline !== undefined && Number.isFinite(e.baseline)) out.baseline = e.baseline;
  if (e.limit !== undefined && Number.isFinite(e.limit)) out.limit = e.limit;
  if (e.unit) out.unit = e.unit;
  if (e.series) out.series = e.series;
  if (e.template) out.template = e.template;
  return out;
}

/**
 * The root's evidence with what defines its kind first (a leak's OOM kills before the refused calls they
 * caused), by the weight the kind's signature gives each family times the item's strength.
 */
function definingFirst(h: Hypothesis): Evidence[] {
  const weight = (e: Evidence) => (h.kind.signature[e.family] ?? 0) * e.strength;
  return [...h.evidence].sort((a, b) => weight(b) - weight(a) || b.strength - a.strength);
}

/** From the root up through callers that show evidence, strongest first: how the fault reached users. */
function chainOf(h: Hypothesis, byEntity: Map<string, Hypothesis>, graph: CallGraph): Cause["chain"] {
  const rootEvidence = definingFirst(h);
  const links: Cause["chain"] = [
    {
      entity: h.entity,
      effect: `${h.kind.title}: ${rootEvidence[0]?.detail ?? "its signals moved"}`,
      evidence: rootEvidence.slice(0, 3).map((e) => e.id),
    },
  ];
  const seen = new Set([h.entity]);
  let current = h.entity;
  while (links.length < MAX_CHAIN) {
    const next = [...(graph.callers.get(current) ?? [])]
      .filter((e) => !seen.has(e) && byEntity.has(e))
      .sort((a, b) => (byEntity.get(b)?.score ?? 0) - (byEntity.get(a)?.score ?? 0))[0];
    if (!next) break;
    const caller = byEntity.get(next) as Hypothesis;
    links.push({
      entity: next,
      effect: `${h.kind.effectOnCallers}: ${caller.evidence[0]?.detail ?? "its signals moved"}`,
      evidence: caller.evidence.slice(0, 2).map((e) => e.id),
    });
    seen.add(next);
    current = next;
  }
  return links;
}

/**
 * The story of a finding: the root, the resource it exhausted, the victims whose symptoms it explains,
 * and where users saw it (the top-most caller that shows evidence).
 */
function findingChain(h: Hypothesis, f: Finding, byEntity: Map<string, Hypothesis>, graph: CallGraph): Cause["chain"] {
  const links: Cause["chain"] = [
    {
      entity: h.entity,
      effect: fill(f.kind.verdict, f.facts),
      evidence: f.evidence.slice(0, 2).map((e) => e.id),
      role: "cause",
    },
  ];
  const seen = new Set([h.entity]);
  if (f.via && !seen.has(f.via)) {
    const about = f.evidence.find((e) => e.entity === f.via);
    links.push({
      entity: f.via,
      effect: about?.detail ?? `${f.kind.resource} exhausted`,
      evidence: about ? [about.id] : [],
      role: "resource",
    });
    seen.add(f.via);
  }
  const victims = [
    ...explainedBy(
      f,
      graph,
      [...byEntity.values()].flatMap((x) => x.evidence),
    ),
  ]
    .filter((e) => !seen.has(e) && byEntity.has(e) && (byEntity.get(e)?.evidence.length ?? 0) > 0)
    .sort((a, b) => (byEntity.get(b)?.evidence.length ?? 0) - (byEntity.get(a)?.evidence.length ?? 0));
  const entry = victims.find((v) => (graph.callers.get(v)?.size ?? 0) === 0 && (graph.callees.get(v)?.size ?? 0) > 0);
  for (const v of victims.filter((x) => x !== entry).slice(0, MAX_CHAIN - 3)) {
    const victim = byEntity.get(v) as Hypothesis;
    links.push({
      entity: v,
      effect: `${f.kind.effectOnCallers}: ${victim.evidence[0]?.detail ?? "its signals moved"}`,
      evidence: victim.evidence.slice(0, 2).map((e) => e.id),
      role: "victim",
    });
  }
  if (entry) {
    const symptom = byEntity.get(entry) as Hypothesis;
    links.push({
      entity: entry,
      effect: `users see it here: ${symptom.evidence[0]?.detail ?? "its signals moved"}`,
      evidence: symptom.evidence.slice(0, 2).map((e) => e.id),
      role: "symptom",
    });
  }
  return links;
}

function resourceUsage(r: ResourceFacts): ResourceUsage {
  const usage: ResourceUsage = { entity: r.entity, name: r.name, used: r.used, limit: r.limit, unit: r.unit };
  if (r.since !== undefined) usage.since = toIso(r.since);
  if (r.arithmetic) usage.arithmetic = r.arithmetic;
  return usage;
}

/** The cause's strongest evidence plus every item its chain cites, so each citation resolves. */
function causeOf(
  h: Hypothesis,
  rank: number,
  confidence: number,
  chain: Cause["chain"],
  all: Map<string, Evidence>,
): Cause {
  const evidence = h.evidence.slice(0, EVIDENCE_PER_CAUSE);
  for (const id of chain.flatMap((l) => l.evidence)) {
    const cited = all.get(id);
    if (cited && !evidence.includes(cited)) evidence.push(cited);
  }
  const families = Object.entries(h.familyStrength)
    .sort(([, a], [, b]) => (b ?? 0) - (a ?? 0))
    .map(([f, s]) => `${f} ${(s ?? 0).toFixed(2)}`)
    .join(", ");
  const f = h.finding;
  const facts = f?.facts ?? { entity: entityName(h.entity) };
  const cause: Cause = {
    rank,
    entity: h.entity,
    kind: h.kind.id,
    resource: h.kind.resource,
    confidence,
    start: toIso(h.start),
    chain,
    evidence: evidence.map(toDiagnosisEvidence),
    remediation: {
      now: h.kind.remediation.now.map((line) => fill(line, facts)),
      fix: h.kind.remediation.fix.map((line) => fill(line, facts)),
    },
    why: f
      ? `${f.kind.checks.join(", ")} hold: ${f.evidence
          .slice(0, 2)
          .map((e) => e.detail)
          .join("; ")}`
      : `strongest own signals: ${families}${h.explainedBy ? `; partly explained by ${h.explainedBy} downstream` : ""}`,
  };
  if (f?.resource) cause.resource_usage = resourceUsage(f.resource);
  if (f && f.contributing.length > 0) {
    cause.contributing = f.contributing.map((k) => ({
      entity: k.entity,
      kind: k.kind,
      why: k.why,
      evidence: k.evidence.map((e) => e.id),
    }));
    for (const e of f.contributing.flatMap((k) => k.evidence)) {
      if (!cause.evidence.some((x) => x.id === e.id)) cause.evidence.push(toDiagnosisEvidence(e));
    }
  }
  return cause;
}

function missingData(c: Case, alertTime: number | undefined): string[] {
  const missing: string[] = [];
  if (c.series.length === 0) missing.push("metrics (Prometheus query_range JSON or metric CSV) to see resource usage");
  if (c.spans.length === 0) missing.push("traces (OTLP/Jaeger JSON or span CSV) to follow calls between services");
  if (c.logs.templates.length === 0)
    missing.push("logs (JSON lines, CSV or plain text) to see errors as the services wrote them");
  if (alertTime === undefined) missing.push("the alert time (--at) to anchor the incident window");
  return missing;
}

/** Candidates whose scores are within this share of the top's cannot be told apart by the data. */
const TIED_SEPARATION = 0.05;

/** "A or B: the data cannot tell them apart", when the top candidates' scores are within a few percent. */
function ambiguityOf(ranked: Hypothesis[], features: ConfidenceFeatures[]): string | undefined {
  if (ranked.length < 2 || features[0].separation >= TIED_SEPARATION) return undefined;
  const tied = ranked.filter((h) => h.score >= ranked[0].score * (1 - TIED_SEPARATION)).slice(0, 4);
  const names = tied.map((h) => `${h.entity} (${h.kind.id})`);
  const shared = [...new Set(tied.map((h) => h.evidence[0]?.signal).filter(Boolean))];
  const why =
    shared.length === 1
      ? `they show the same signal (${shared[0]?.slice(0, 80)})`
      : "their evidence is about as strong on each and nothing in the data (a call between them, a limit reached first) orders them";
  return `${names.join(" or ")}: the data cannot tell them apart, because ${why}.`;
}

export function buildDiagnosis(input: BuildInput): Diagnosis {
  const { c, window, ranked, graph, top } = input;
  const shown = ranked.slice(0, top);
  const conf = confidences(ranked);
  const features = ranked.slice(0, Math.max(top, 2)).map((_, i) => featuresOf(ranked, i));
  const byEntity = new Map(ranked.map((h) => [h.entity, h]));
  const all = new Map(ranked.flatMap((h) => h.evidence.map((e) => [e.id, e] as const)));
  const causes = shown.map((h, i) => {
    const chain = h.finding ? findingChain(h, h.finding, byEntity, graph) : chainOf(h, byEntity, graph);
    const cause = causeOf(h, i + 1, conf[i], chain, all);
    const f = features[i];
    cause.calibration = {
      score: round3(f.score),
      separation: round3(f.separation),
      finding: f.finding,
      fault: f.fault,
    };
    return cause;
  });
  const lead = causes[0];
  const ambiguity = ambiguityOf(ranked, features);
  const summary = !lead
    ? "No cause found: no signal moved beyond its baseline in the incident window."
    : ambiguity
      ? ambiguity
      : lead.confidence >= CONFIDENT_AT
        ? `${lead.entity} is the likely root cause (${lead.kind}, ${percent(lead.confidence)} confidence): ${lead.chain[0].effect}.`
        : `The leading candidate is ${lead.entity} (${lead.kind}, ${percent(lead.confidence)}), too weak to name as the cause.`;
  const ruledOut = ranked.slice(top, top + 5).map((h) => ({
    entity: h.entity,
    kind: h.kind.id,
    why: h.explainedBy
      ? `its symptoms are explained by ${h.explainedBy}, which it calls`
      : `weaker evidence (score ${h.score.toFixed(2)} vs ${ranked[0].score.toFixed(2)})`,
  }));
  const diagnosis: Diagnosis = {
    schema: DIAGNOSIS_SCHEMA,
    generated_at: new Date().toISOString(),
    input: {
      ...inputSources(input.formats, input.listInputs === true),
      skipped: c.skipped,
      window: { start: toIso(window.at), end: toIso(window.end) },
    },
    summary,
    confident: lead !== undefined && lead.confidence >= CONFIDENT_AT,
    causes,
    ruled_out: ruledOut,
    missing_data: missingData(c, input.alertTime),
    timing: input.timing,
  };
  if (input.alertTime !== undefined) diagnosis.input.alert_time = toIso(input.alertTime);
  if (c.folded) diagnosis.input.folded = c.folded;
  if (input.context && input.context.length > 0) diagnosis.context = input.context;
  return diagnosis;
}
