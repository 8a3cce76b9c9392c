/**
 * Reasoning across relations: the kinds that rest on checks (a resource at its limit and who holds it, a
 * node that vanished) propose their roots, and every entity whose symptoms a finding explains — the
 * resource's other users, the node's pods, and their callers — is discounted as a victim or reporter.
 */
import { entityName } from "../case/entity.js";
import type { Case } from "../case/model.js";
import { buildTopology } from "../case/topology.js";
import { CHECKED_KINDS } from "../catalogue/index.js";
import { LOG_SHIPPER } from "../catalogue/loggingFlood.js";
import type { Finding } from "../catalogue/types.js";
import type { Evidence } from "../detect/types.js";
import type { CallGraph } from "./graph.js";
import type { Hypothesis } from "./rank.js";

/**
 * Share of a victim's score removed by a finding that explains it, scaled by the finding's own score: a
 * limit reached and attributed explains nearly everything downstream of it.
 */
const EXPLAINED_BY_FINDING = 0.9;

export function findCauses(c: Case, evidence: Evidence[]): Finding[] {
  const topology = buildTopology(c);
  const findings = CHECKED_KINDS.flatMap((kind) => kind.find({ c, topology, evidence }));
  for (const f of findings) {
    const namespace = topology.namespaceOf.get(f.entity);
    if (namespace && f.facts.namespace === undefined) f.facts.namespace = namespace;
  }
  return findings.sort((a, b) => b.score - a.score);
}

/**
 * Entities a finding explains, with every caller above them (symptoms climb the calls to users) and every
 * client whose errors name an explained entity (`.../ratings/api/rate/260 returned 500`): without traces,
 * a client's own words say which peer failed it.
 */
export function explainedBy(f: Finding, graph: CallGraph, evidence: Evidence[] = []): Set<string> {
  const explained = new Set([...f.explains, ...(f.via ? [f.via] : [])]);
  const queue = [...explained, f.entity];
  while (queue.length > 0) {
    const next = queue.pop() as string;
    const callers = [...(graph.callers.get(next) ?? []), ...namers(evidence, entityName(next))];
    for (const caller of callers) {
      if (!explained.has(caller) && caller !== f.entity) {
        explained.add(caller);
        queue.push(caller);
      }
    }
  }
  explained.delete(f.entity);
  return explained;
}

function hypothesisOf(f: Finding, own: Hypothesis | undefined): Hypothesis {
  const evidence = [...f.evidence, ...(own?.evidence ?? []).filter((e) => !f.evidence.includes(e))];
  return {
    entity: f.entity,
    kind: f.kind,
    score: f.score,
    familyStrength: { ...(own?.familyStrength ?? {}), resource: f.score },
    evidence,
    ownScore: f.score,
    propagated: [],
    fault: true,
    start: Math.min(...f.evidence.map((e) => e.start)),
    finding: f,
  };
}

/** The ranking with findings in it: each finding's root takes its kind, and what it explains steps back. */
export function mergeFindings(ranked: Hypothesis[], findings: Finding[], graph: CallGraph): Hypothesis[] {
  const allEvidence = ranked.flatMap((h) => h.evidence);
  const byEntity = new Map(ranked.map((h) => [h.entity, h]));
  const merged = new Map(ranked.map((h) => [h.entity, h]));
  const taken = new Set<string>();
  for (const f of findings) {
    if (taken.has(f.entity)) continue;
    taken.add(f.entity);
    const current = merged.get(f.entity);
    if (!current?.finding || current.score < f.score) merged.set(f.entity, hypothesisOf(f, byEntity.get(f.entity)));
    for (const entity of explainedBy(f, graph, allEvidence)) {
      const victim = merged.get(entity);
      if (!victim || victim.finding) continue;
      merged.set(entity, {
        ...victim,
        score: victim.score * (1 - EXPLAINED_BY_FINDING * f.score),
        explainedBy: f.entity,
      });
    }
  }
  return [...merged.values()].sort((a, b) => b.score - a.score || a.start - b.start);
}

/**
 * Share of a candidate's score removed when planned work or a harmless change around it explains what it
 * shows (a drained node's workloads reconnecting, a log shipper dropping a DEBUG window it cannot ship).
 */
const CONTEXT_DISCOUNT = 0.6;
/** A client's words when its peer closed or reset the connection: what a planned restart leaves behind. */
const CONNECTION_DROPPED =
  /closed the connection|connection reset|ECONNRESET|broken pipe|unexpected EOF|server conn crashed/i;
/** A drain's resets reach clients within minutes of the node going, from the first eviction to the reconnect backoff. */
const DRAIN_ECHO_SECONDS = 600;

/** Entities whose evidence names `name` in its words: clients that say which peer failed them. */
function namers(evidence: Evidence[], name: string): string[] {
  if (name.length < MIN_NAME_LENGTH) return [];
  // As a word: "ratings" in ".../ratings/api" or "ratings:8080", a member "chronik-0", not "ratings_total".
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const word = new RegExp(`(^|[^\\w-])${escaped}(-\\d+)?([^\\w-]|$)`);
  return evidence
    .filter((e) => entityName(e.entity) !== name && word.test(`${e.excerpt} ${e.detail}`))
    .map((e) => e.entity);
}

/** Names shorter than this ("db", "ui") match too many words to say which peer a line names. */
const MIN_NAME_LENGTH = 3;

export interface ContextNote {
  line: string;
  explains: string[];
}

/** Planned work and changes within capacity: reported as context, and they explain what moved around them. */
export function contextNotes(c: Case, evidence: Evidence[], graph: CallGraph): ContextNote[] {
  const notes: ContextNote[] = [];
  const shippers = [...new Set(c.series.filter((s) => LOG_SHIPPER.test(s.metric)).map((s) => s.entity))];
  for (const e of evidence) {
    if (e.check === "node.drained") {
      const ran = String(e.facts?.workloads ?? "")
        .split(",")
        .filter(Boolean);
      const around = new Set(ran);
      for (const w of ran) for (const caller of graph.callers.get(w) ?? []) around.add(caller);
      for (const x of evidence) {
        if (Math.abs(x.start - e.start) <= DRAIN_ECHO_SECONDS && CONNECTION_DROPPED.test(x.excerpt))
          around.add(x.entity);
      }
      notes.push({ line: `${e.entity}: ${e.detail}`, explains: [...around] });
    } else if (e.check === "logging.flood-within-capacity") {
      const name = e.entity.slice(e.entity.indexOf(":") + 1);
      notes.push({ line: `${e.entity}: ${e.detail}`, explains: [e.entity, ...shippers, ...namers(evidence, name)] });
    }
  }
  return notes;
}

export function applyContext(ranked: Hypothesis[], notes: ContextNote[]): Hypothesis[] {
  const explained = new Set(notes.flatMap((n) => n.explains));
  return ranked
    .map((h) => (h.finding || !explained.has(h.entity) ? h : { ...h, score: h.score * (1 - CONTEXT_DISCOUNT) }))
    .sort((a, b) => b.score - a.score || a.start - b.start);
}
