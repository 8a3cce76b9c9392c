/**
 * Hypotheses and their ranking: one (kind, entity) per entity with evidence, scored by how strongly
 * and in how many independent families its own signals moved, discounted where a direct callee's
 * fault explains its symptoms (faults propagate from callee to caller).
 */
import { isFoldedEntity } from "../case/entityCap.js";
import type { Case } from "../case/model.js";
import { CATALOGUE } from "../catalogue/index.js";
import type { FaultKind, Finding } from "../catalogue/types.js";
import { classifyMetric } from "../detect/metricFamily.js";
import { NEW_WORKLOAD_CHECK } from "../detect/newWorkloads.js";
import { REFERENCE_SECONDS } from "../detect/resourceSeries.js";
import { followsLoad, followsOwnLoad, ownLoadRatio, type TrafficChange, trafficChange } from "../detect/traffic.js";
import type { Evidence, SignalFamily, Window } from "../detect/types.js";
import { applyContext, contextNotes, findCauses, mergeFindings } from "./findings.js";
import { buildCallGraph, type CallGraph } from "./graph.js";

/**
 * How much each family says about the entity's own fault. Throughput and traffic volume move with load
 * from elsewhere, so they count half; `other` (unclassified metrics) a quarter.
 */
const FAMILY_WEIGHT: Record<SignalFamily, number> = {
  cpu: 1,
  memory: 1,
  latency: 1,
  processing: 1,
  errors: 1,
  "packet-loss": 1,
  disk: 1,
  log: 1,
  resource: 1,
  network: 0.5,
  throughput: 0.5,
  // A rollout is a fact about the entity, not a fault: it explains symptoms that follow it, and alone
  // (a routine deploy) must not make a confident cause.
  change: 0.5,
  other: 0.25,
};
/**
 * How symptoms travel up the calls, by kind of symptom: a caller's latency (and traffic) can come from a
 * callee that is slow for any reason; a caller's errors and changed log lines come from a callee that
 * fails. Each maps the caller's propagated families to the callee families that can explain them.
 */
const PROPAGATION: { symptoms: ReadonlySet<SignalFamily>; causes: ReadonlySet<SignalFamily> }[] = [
  {
    symptoms: new Set(["latency", "throughput", "network"]),
    causes: new Set(["latency", "processing", "cpu", "memory", "disk", "packet-loss", "network"]),
  },
  { symptoms: new Set(["errors", "log"]), causes: new Set(["errors", "log"]) },
];
const PROPAGATING: ReadonlySet<SignalFamily> = new Set(PROPAGATION.flatMap((p) => [...p.symptoms]));
/**
 * Share of an entity's propagated evidence removed where a callee's evidence explains it: most of it,
 * not all — a caller can be the root and its callee merely slowed by it.
 */
const EXPLAINED_DISCOUNT = 0.8;

/** Evidence a callee's fault could have produced: a propagating family, not measured to exclude callees. */
function isPropagated(e: Evidence): boolean {
  return PROPAGATING.has(e.family) && !e.own;
}

export interface Hypothesis {
  entity: string;
  kind: FaultKind;
  score: number;
  /** Strongest evidence per family, for the entity. */
  familyStrength: Partial<Record<SignalFamily, number>>;
  evidence: Evidence[];
  /** Strength of the evidence no callee could have produced (resources, own processing time). */
  ownScore: number;
  /** Strength of the evidence a callee's fault could have produced, per PROPAGATION route. */
  propagated: number[];
  /** Set when a callee's fault explains this entity's symptoms. */
  explainedBy?: string;
  start: number;
  /** Its evidence shows a fault the load does not explain (see showsFault, followsLoad). */
  fault: boolean;
  /** Set when a kind that rests on checks proposed this root (the resource, its victims, contributing causes). */
  finding?: Finding;
}

/** Noisy-OR: independent families corroborate, none can exceed 1. */
function combine(strengths: number[]): number {
  return 1 - strengths.reduce((p, s) => p * (1 - s), 1);
}

function familyStrengths(
  evidence: Evidence[],
  strengthOf: (e: Evidence) => number = (e) => e.strength,
): Partial<Record<SignalFamily, number>> {
  const best: Partial<Record<SignalFamily, number>> = {};
  for (const e of evidence) best[e.family] = Math.max(best[e.family] ?? 0, strengthOf(e) * FAMILY_WEIGHT[e.family]);
  return best;
}

/**
 * Memory that doubled is a leak's own signature; a rise of a fifth or so beside saturated CPU is buffers
 * and in-flight work growing with the load, a side effect however many deviations it is. Below this
 * growth, memory evidence counts toward the kind in proportion to how far it grew.
 */
const LEAK_GROWTH = 2;

/** How much an evidence item speaks for the kind whose signature holds its family: its growth, not only its surprise. */
function signatureStrength(e: Evidence): number {
  const { value, baseline } = e;
  if (e.family !== "memory" || e.type !== "anomaly" || !(value !== undefined && value > 0)) return e.strength;
  if (!(baseline !== undefined && baseline > 0)) return e.strength;
  const growth = Math.max(value / baseline, baseline / value);
  return e.strength * Math.min(1, (growth - 1) / (LEAK_GROWTH - 1));
}

/** The kind whose signature best matches the families that moved; ties go to the catalogue's order. */
export function bestKind(strengths: Partial<Record<SignalFamily, number>>): FaultKind {
  let best = CATALOGUE[0];
  let bestMatch = Number.NEGATIVE_INFINITY;
  const weighted = (weights: Partial<Record<SignalFamily, number>> = {}) =>
    Object.entries(weights).reduce((sum, [family, w]) => sum + (w ?? 0) * (strengths[family as SignalFamily] ?? 0), 0);
  for (const kind of CATALOGUE) {
    if (kind.requires?.some((family) => !(strengths[family] ?? 0))) continue;
    const match = weighted(kind.signature) - weighted(kind.forbids);
    if (match > bestMatch) {
      best = kind;
      bestMatch = match;
    }
  }
  return best;
}

/** Log levels that say nothing failed: INFO and DEBUG lines that grow with load are volume, not a fault. */
const QUIET_LEVELS = new Set(["info", "debug", "trace"]);

/** Log evidence about lines of a level that says nothing failed (a change in which lines a request writes counts). */
export function quietLevel(e: Evidence): boolean {
  return QUIET_LEVELS.has(String(e.facts?.level ?? ""));
}
/**
 * What is left of a candidate that shows no fault at all (no failure, no slowdown, no resource pushed past
 * its normal use), only more volume or a different mix: a traffic change or housekeeping is not a cause.
 */
const NO_FAULT_FACTOR = 0.5;
/** Evidence this weak is noise around a fault, not one: a candidate needs one clear sign. */
const FAULT_EVIDENCE_STRENGTH = 0.3;
/** A runtime collecting garbage: housekeeping that grows with allocation, not a fault by itself. */
const GARBAGE_COLLECTION = /(^|_)gc_/;
/** Memory a runtime reserves or sizes for itself, not memory in use. */
const RUNTIME_SIZING = /committed|heap_space_size|heap_size_total|_size_total/;
/**
 * Breakdowns of memory by where it sits, not how much is in use: the kernel's split in /proc/meminfo
 * (page lists, mapped, slab, kernel stacks: pages move between them as processes come and go) and the
 * Erlang VM's own accounting (allocators, memory by use, its tables). Whether memory grew is said by
 * the totals: the host's available memory, a process's resident memory.
 */
const MEMORY_BREAKDOWN =
  /^(node_memory_(?!Mem(Available|Free|Total)_)|erlang_vm_memory_|erlang_vm_allocators|erlang_mnesia_)/;
/** Measurements of what is left (or given back to the system, as a Go heap's released bytes): a rise is more room. */
const HEADROOM = /available|free|released/;
/** An exporter's or scraper's measurements of itself: they describe the monitoring, not the monitored. */
const MONITORING_SELF = /(^|_)exporter_|(^|_)scrape_/;
/**
 * A wait shorter than this is felt by no one: a millisecond is below what any caller's timeout or a
 * person notices. For a summed duration (seconds spent per second) it is under 0.1% of one worker's time.
 */
const FELT_LATENCY_SECONDS = 0.001;
const TIMED_UNITS = new Set(["seconds", "seconds per second"]);

/** A latency measured in time whose incident level is too small to slow anyone down, however much it grew. */
function unfeltLatency(e: Evidence): boolean {
  return e.family === "latency" && TIMED_UNITS.has(e.unit ?? "") && (e.value ?? 0) < FELT_LATENCY_SECONDS;
}
/**
 * CPU below a tenth of a core (or 10% where given as a percentage of a core or of a limit) is far from
 * saturated, however much it grew: smaller CPU limits than that are rare, so such a process is neither
 * starved of CPU nor starving others.
 */
const IDLE_CPU_CORES = 0.1;
/** How CPU is written, by the name's unit: the factor to cores (a percentage counts as one of a core). */
const CPU_UNITS: { pattern: RegExp; toCores: number }[] = [
  { pattern: /\(%\)$|_percent$|_pct$/i, toCores: 0.01 },
  { pattern: /\(m\)$|millicores?$/i, toCores: 0.001 },
  { pattern: /_seconds_total$/, toCores: 1 },
];

/** CPU whose level stays low, by the unit its name states: more work, not a CPU fault. */
function idleCpu(e: Evidence): boolean {
  if (e.family !== "cpu" || e.value === undefined || CPU_SATURATION.test(e.signal)) return false;
  const metric = e.series?.metric ?? e.signal;
  const unit = CPU_UNITS.find((u) => u.pattern.test(metric));
  return unit !== undefined && e.value * unit.toCores < IDLE_CPU_CORES;
}
/**
 * Latency a client measures of the calls it makes (Istio's source reporter, `*ClientLatency*`): its
 * callees' slowness showing through, a symptom at the client, not a fault of its own.
 */
function callerSideLatency(e: Evidence): boolean {
  return e.family === "latency" && e.series !== undefined && classifyMetric(e.series.metric).callerSide;
}
/** Families that measure how much work arrives, not how well it is done. */
const VOLUME_FAMILIES: ReadonlySet<SignalFamily> = new Set(["throughput", "network", "other", "change"]);

/**
 * Whether the evidence shows a fault: a failure, a slowdown a user feels (a millisecond or more), or a
 * resource pushed past its normal use. More volume, a different mix of non-failure log lines, or a series rising from zero (a
 * first write, a cache appearing: it had no normal to be pushed past) does not.
 */
export function showsFault(e: Evidence): boolean {
  if (e.strength < FAULT_EVIDENCE_STRENGTH || VOLUME_FAMILIES.has(e.family)) return false;
  if (
    MONITORING_SELF.test(e.signal) ||
    GARBAGE_COLLECTION.test(e.signal) ||
    unfeltLatency(e) ||
    idleCpu(e) ||
    callerSideLatency(e)
  )
    return false;
  if (e.family === "log") return !quietLevel(e);
  // Headroom that grew (available, free) is the opposite of pressure; a runtime sizing its heap
  // (committed, heap space sizes) is housekeeping unless memory in use approaches a limit.
  if (
    e.family === "memory" &&
    (RUNTIME_SIZING.test(e.signal) ||
      MEMORY_BREAKDOWN.test(e.signal) ||
      (HEADROOM.test(e.signal) && (e.value ?? 0) > (e.baseline ?? 0)))
  )
    return false;
  // Errors from nothing are a failure; any other measurement rising from nothing is new activity.
  if (e.family !== "errors" && e.baseline === 0) return false;
  return true;
}

/** CPU is near its limit when the kernel throttles it or the runtime waits for it. */
const CPU_SATURATION = /throttl|pressure|steal|wait/;

/**
 * Whether an entity's evidence shows a fault the load does not explain. CPU that rose is a fault when
 * it is saturated (throttled, waited for), when the entity also got slower or failed, or when it rose
 * more than the entity's own work did (each request costs more): more CPU for more work, felt by
 * nobody, is a busier service, not a broken one.
 */
function entityShowsFault(
  list: Evidence[],
  traffic: TrafficChange | undefined,
  ownLoad: number | undefined,
  young: boolean,
): boolean {
  // A workload absent at the start of the recording, or measured for less than the reference before the
  // alert, has no normal of its own (its first seconds are no baseline): only a failure or a checked
  // finding counts against it, not how its measurements moved.
  const isNew = young || list.some((e) => e.check === NEW_WORKLOAD_CHECK);
  const faults = list.filter(
    (e) => showsFault(e) && !followsLoad(e, traffic) && (!isNew || e.type !== "anomaly" || e.family === "errors"),
  );
  return faults.some((e) => e.family !== "cpu" || CPU_SATURATION.test(e.signal) || !followsOwnLoad(e, ownLoad));
}

/** Entities whose series began less than the reference's length before the alert: measured too briefly to have a normal. */
function youngEntities(c: Case, window: Window): Set<string> {
  const first = new Map<string, number>();
  for (const s of c.series) if (s.t.length > 0) first.set(s.entity, Math.min(first.get(s.entity) ?? s.t[0], s.t[0]));
  return new Set([...first].filter(([, t]) => t > window.at - REFERENCE_SECONDS).map(([entity]) => entity));
}

export interface Ranking {
  ranked: Hypothesis[];
  graph: CallGraph;
  /** What changed but is not a fault: planned work, a change within capacity. */
  context: string[];
}

/**
 * Whether an entity may be named as a cause: not data of no known source (`service:unknown`), nor a
 * fold of names beyond the entity cap (many unrelated things, none of which could be acted on by name).
 */
function canBeCause(entity: string): boolean {
  return !entity.endsWith(":unknown") && !isFoldedEntity(entity);
}

export function rankHypotheses(c: Case, evidence: Evidence[], window: Window): Ranking {
  const byEntity = new Map<string, Evidence[]>();
  for (const e of evidence) {
    const list = byEntity.get(e.entity) ?? [];
    list.push(e);
    byEntity.set(e.entity, list);
  }
  const own = new Map<string, Hypothesis>();
  const traffic = trafficChange(c, window);
  const young = youngEntities(c, window);
  for (const [entity, list] of byEntity) {
    if (!canBeCause(entity)) continue;
    const strengths = familyStrengths(list);
    const ownScore = combine(Object.values(familyStrengths(list.filter((e) => !isPropagated(e)))) as number[]);
    const propagated = PROPAGATION.map(({ symptoms }) =>
      combine(
        Object.values(familyStrengths(list.filter((e) => isPropagated(e) && symptoms.has(e.family)))) as number[],
      ),
    );
    const fault = entityShowsFault(list, traffic, ownLoadRatio(c, entity, window), young.has(entity));
    const faultFactor = fault ? 1 : NO_FAULT_FACTOR;
    own.set(entity, {
      fault,
      entity,
      kind: bestKind(familyStrengths(list, signatureStrength)),
      score: combine([ownScore, ...propagated]) * faultFactor,
      ownScore,
      propagated,
      familyStrength: strengths,
      evidence: [...list].sort((a, b) => b.strength - a.strength),
      start: Math.min(...list.map((e) => e.start)),
    });
  }
  const graph = buildCallGraph(c);
  const ranked: Hypothesis[] = [];
  for (const h of own.values()) {
    // Direct callees only: symptoms travel one hop at a time, so a fault deeper down shows in the callee
    // between, and a long path would let any noisy service far below explain away a real root.
    const callees = [...(graph.callees.get(h.entity) ?? [])].map((d) => own.get(d)).filter((d) => d !== undefined);
    let explainedBy: string | undefined;
    const remaining = PROPAGATION.map(({ causes }, route) => {
      let best = 0;
      for (const d of callees) {
        const explaining = combine(
          Object.entries(d.familyStrength)
            .filter(([family]) => causes.has(family as SignalFamily))
            .map(([, strength]) => strength as number),
        );
        if (explaining > best) {
          best = explaining;
          if (h.propagated[route] > 0) explainedBy = d.entity;
        }
      }
      // A callee explains a caller's symptom in proportion to how its own evidence compares: a failure is
      // usually at least as plain at its source as in its echo upstream, so a weaker callee explains less.
      const share = h.propagated[route] > 0 ? Math.min(1, best / h.propagated[route]) ** 2 : 0;
      return h.propagated[route] * (1 - EXPLAINED_DISCOUNT * share);
    });
    const faultFactor = h.fault ? 1 : NO_FAULT_FACTOR;
    const explained: Hypothesis = { ...h, score: combine([h.ownScore, ...remaining]) * faultFactor };
    if (explainedBy && explained.score < h.score) explained.explainedBy = explainedBy;
    ranked.push(explained);
  }
  ranked.sort((a, b) => b.score - a.score || a.start - b.start);
  const notes = contextNotes(c, evidence, graph);
  const findings = findCauses(c, evidence).filter((f) => !isFoldedEntity(f.entity));
  const withFindings = mergeFindings(ranked, findings, graph);
  const context = notes.map((n) => n.line);
  if (traffic)
    context.unshift(
      `request rates rose ${traffic.ratio.toFixed(1)}× across ${traffic.services} services: a traffic change; what rose no more than the load did is not counted as a fault`,
    );
  return { ranked: applyContext(withFindings, notes), graph, context };
}
