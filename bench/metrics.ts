/**
 * Accuracy metrics of the real-data benchmark: truth matching, AC@k, Avg@5, kind accuracy and the
 * small statistics the report prints. Pure functions only, so they can be tested on tiny inputs.
 */

/** Avg@5 averages AC@1..AC@K_MAX, as in the RCA literature (BARO, RCAEval). */
export const K_MAX = 5;

/**
 * A pod-name suffix part: the ReplicaSet template hash or the pod's random suffix. Kubernetes draws
 * both from an alphabet without vowels (so they never spell words such as `service`), 4 to 10 long;
 * all digits are allowed because older releases used decimal template hashes.
 */
const POD_HASH_PART = /^[bcdfghjklmnpqrstvwxz0-9]{4,10}$/;

/**
 * The service a cause's entity id names: the part after the `kind:` prefix and any `namespace/`,
 * with a pod name folded to its workload by dropping its two trailing hash parts
 * (`pod:ts-contacts-service-866bd68c97-xcqfx` -> `ts-contacts-service`).
 */
export function serviceOf(entityId: string): string {
  const colon = entityId.indexOf(":");
  const kind = colon < 0 ? "" : entityId.slice(0, colon);
  const qualified = colon < 0 ? entityId : entityId.slice(colon + 1);
  const name = qualified.slice(qualified.lastIndexOf("/") + 1);
  return kind === "pod" ? foldPodName(name) : name;
}

/** `<workload>-<replicaset hash>-<pod hash>` -> `<workload>`; names without that shape are kept. */
export function foldPodName(pod: string): string {
  const parts = pod.split("-");
  if (parts.length < 3) return pod;
  const [hash, suffix] = parts.slice(-2);
  if (!POD_HASH_PART.test(hash) || !POD_HASH_PART.test(suffix)) return pod;
  return parts.slice(0, -2).join("-");
}

/** The 1-based rank of the first cause naming the true service, or undefined when none does. */
export function rankOfTruth(causeEntities: readonly string[], truthService: string): number | undefined {
  const index = causeEntities.findIndex((entity) => serviceOf(entity) === truthService);
  return index < 0 ? undefined : index + 1;
}

/** The share of cases whose truth rank is at most k (a missing rank is a miss). 0 for no cases. */
export function acAtK(ranks: readonly (number | undefined)[], k: number): number {
  if (ranks.length === 0) return 0;
  return ranks.filter((rank) => rank !== undefined && rank <= k).length / ranks.length;
}

/** Mean of AC@1..AC@5. */
export function avgAt5(ranks: readonly (number | undefined)[]): number {
  let sum = 0;
  for (let k = 1; k <= K_MAX; k++) sum += acAtK(ranks, k);
  return sum / K_MAX;
}

/**
 * The share of cases whose top cause has the expected kind, whatever entity it names: a wrong
 * entity with the right kind still counts, no cause at all does not.
 */
export function kindAccuracy(cases: readonly { topKind?: string; expectedKind: string }[]): number {
  if (cases.length === 0) return 0;
  return cases.filter((c) => c.topKind === c.expectedKind).length / cases.length;
}

/** Median of the values (mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Ours divided by the reference, as text: "∞" when only the reference scored zero, "n/a" when
 * both are zero or the reference did not run.
 */
export function ratioText(ours: number, reference: number | undefined): string {
  if (reference === undefined || Number.isNaN(reference)) return "n/a";
  if (reference === 0) return ours > 0 ? "∞" : "n/a";
  return (ours / reference).toFixed(2);
}

/** One case's outcome under one protocol, for one method. */
export interface Outcome {
  rank: number | undefined;
  topKind?: string;
  expectedKind: string;
}

/** The figures of one report row. */
export interface Scores {
  n: number;
  ac1: number;
  ac3: number;
  avg5: number;
  kind: number;
}

export function scoresOf(outcomes: readonly Outcome[]): Scores {
  const ranks = outcomes.map((o) => o.rank);
  return {
    n: outcomes.length,
    ac1: acAtK(ranks, 1),
    ac3: acAtK(ranks, 3),
    avg5: avgAt5(ranks),
    kind: kindAccuracy(outcomes),
  };
}
