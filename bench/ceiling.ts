/**
 * The per-case protocol's ceiling: a case whose labelled service already wrote, in the case's own
 * pre-fault minute, the log lines it writes in the fault minute holds no change to find in its own
 * files (typically an earlier injection on the same service still active). Measured on the data,
 * not on any engine: the service's mix of log templates in three minutes (the date's fault-free
 * reference, the pre-fault minute, the fault minute), compared by total variation distance.
 *
 * Only code faults are measured: their signal lives only in the minute files' logs, whereas a
 * resource fault also shows in the metrics, which cover the hour before the time for every protocol.
 */
import type { Case } from "../src/case/model.js";
import { serviceOf } from "./metrics.js";

/**
 * The pre-fault minute "already behaved the same way" when its mix is within a fifth of the distance
 * the fault minute moved from normal: nearly all of the fault's change in the service's logs was
 * there before the injection. At half the distance, 4 of the 9 cases so counted on train-ticket were
 * still found at rank 1, so "half-way there" is not "the same way".
 */
export const ALREADY_SHARE = 0.2;

/** The kinds whose signal lives only in the logs and traces of the minute files. */
export const MINUTE_FILE_KINDS: ReadonlySet<string> = new Set(["code.error"]);

/** Each log template's share of the service's log lines in the Case (empty when it wrote none). */
export function templateMix(c: Case, service: string): Map<string, number> {
  const counts = new Map<string, number>();
  let total = 0;
  for (const t of c.logs.templates) {
    if (serviceOf(t.entity) !== service) continue;
    counts.set(t.template, (counts.get(t.template) ?? 0) + t.total);
    total += t.total;
  }
  return new Map([...counts].map(([template, n]) => [template, n / total]));
}

/** Half the L1 distance between two shares: 0 for the same mix, 1 for disjoint ones. */
export function totalVariation(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const key of new Set([...a.keys(), ...b.keys()])) sum += Math.abs((a.get(key) ?? 0) - (b.get(key) ?? 0));
  return sum / 2;
}

export interface PreFaultLikeness {
  /** Total variation between the reference minute's mix and the fault minute's. */
  normal_to_fault: number;
  /** Total variation between the pre-fault minute's mix and the fault minute's. */
  pre_to_fault: number;
  /** The pre-fault minute already behaved as in the fault: pre_to_fault < ALREADY_SHARE × normal_to_fault. */
  already: boolean;
}

/** How far the labelled service's pre-fault minute already looked like its fault minute. */
export function preFaultLikeness(normal: Case, pre: Case, fault: Case, service: string): PreFaultLikeness {
  const [n, p, f] = [normal, pre, fault].map((c) => templateMix(c, service));
  const normalToFault = totalVariation(n, f);
  const preToFault = totalVariation(p, f);
  return {
    normal_to_fault: normalToFault,
    pre_to_fault: preToFault,
    already: preToFault < ALREADY_SHARE * normalToFault,
  };
}
