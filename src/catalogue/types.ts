/** A fault kind: one catalogue file each (DESIGN.md, the catalogue). Mostly data. */
import type { SignalFamily } from "../detect/types.js";

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
  /** The resource it exhausts or breaks, as a person names it. */
  resource: string;
  /** What the root does to its callers, used in the chain. */
  effectOnCallers: string;
  /** What it is often confused with, and what separates them. */
  lookAlikes: { kind: string; differs: string }[];
  remediation: { now: string[]; fix: string[] };
}
