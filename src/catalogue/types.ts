/** A fault kind: one catalogue file each (DESIGN.md, the catalogue). Mostly data. */
import type { Case } from "../case/model.js";
import type { Topology } from "../case/topology.js";
import type { Evidence, SignalFamily } from "../detect/types.js";

export interface FaultKind {
  /** The contract id shared with the simulator's truth and the benchmarks, e.g. `cpu.saturation`. */
  id: string;
  title: string;
  /** The entity kinds it is rooted at. */
  root: string[];
  /**
   * The evidence families that are this kind's own signature on its root entity, with how typical each is
   * (1 = the defining signal; less for side effects it also causes). A cause's kind is the one whose
   * signature, summed over the families that moved, best matches its evidence.
   */
  signature: Partial<Record<SignalFamily, number>>;
  /**
   * Families whose strong movement on the root argues against this kind (a CPU hog does not grow memory),
   * with how much: the kind's match loses that weight times the family's strength.
   */
  forbids?: Partial<Record<SignalFamily, number>>;
  /**
   * Families without which the kind cannot be named, however well the rest matches: a bad deploy needs
   * a rollout or config change in the data.
   */
  requires?: SignalFamily[];
  /** The resource it exhausts or breaks, as a person names it. */
  resource: string;
  /** What the root does to its callers, used in the chain. */
  effectOnCallers: string;
  /** What it is often confused with, and what separates them. */
  lookAlikes: { kind: string; differs: string }[];
  remediation: { now: string[]; fix: string[] };
}

/** What a kind that rests on checks found: a root, the resource it exhausted, and what that explains. */
export interface Finding {
  kind: CheckedKind;
  entity: string;
  /** 0..1: how fully the checks hold (the limit reached, the root's share of it). */
  score: number;
  /** The evidence the finding rests on, the root's and the resource's first. */
  evidence: Evidence[];
  /** The exhausted resource with its numbers, when there is one. */
  resource?: ResourceFacts;
  /** The entity whose resource was exhausted (a database, a broker), between the root and the victims. */
  via?: string;
  /** Entities whose symptoms the finding explains: the resource's other users, the node's pods, their callers. */
  explains: string[];
  /** Values the kind's sentences and remediation fill in (`{entity}`, `{used}`, `{limit}`, ...). */
  facts: Record<string, string | number>;
  contributing: { kind: string; entity: string; why: string; evidence: Evidence[] }[];
}

export interface ResourceFacts {
  entity: string;
  name: string;
  used: number;
  limit: number;
  unit: string;
  since?: number;
  arithmetic?: string;
}

export interface FindContext {
  c: Case;
  topology: Topology;
  /** Every evidence item of the analysis. */
  evidence: Evidence[];
}

/**
 * A kind that rests on named checks (a resource at its limit, who holds it, a node that vanished):
 * `find` joins the checks' evidence along relations into findings; the rest is data.
 */
export interface CheckedKind extends FaultKind {
  /** The checks it reads (evidence `check` ids), as documentation and for tests. */
  checks: string[];
  /** The verdict sentence, with `{fact}` placeholders. */
  verdict: string;
  find(ctx: FindContext): Finding[];
}
