/**
 * Change evidence: a Deployment rolled out something new shortly before or during the incident. A
 * rolling update scales a new ReplicaSet up and the old one down (an autoscaler scales one ReplicaSet
 * only), and its pods run an image the workload did not run before. Both are facts the cluster
 * records (ScalingReplicaSet events, kube-state-metrics' `kube_pod_container_info{image}`).
 */
import type { Case } from "../case/model.js";
import type { Evidence, Window } from "./types.js";

/**
 * How certain a recorded rollout is: it happened. Whether it is the cause is for the reasoner, from
 * what followed it.
 */
const ROLLOUT_STRENGTH = 0.9;
/** A rollout this long before the alert can still be the cause: pods replace one by one, and errors build. */
const LOOKBACK_SECONDS = 1800;
const SCALED = /^Scaled (up|down) replica set (\S+) to \d+/;

interface Rollout {
  entity: string;
  start: number;
  detail: string;
  excerpt: string;
  series?: Evidence["series"];
}

/** Rollouts from events: per entity, a scale-up of one ReplicaSet and a scale-down of another. */
function rolloutsFromEvents(c: Case, from: number, to: number): Rollout[] {
  const byEntity = new Map<string, { up: Map<string, number>; down: Set<string>; message: string }>();
  for (const e of c.events) {
    if (e.reason !== "ScalingReplicaSet" || e.t < from || e.t > to) continue;
    const m = SCALED.exec(e.message);
    if (!m) continue;
    const seen = byEntity.get(e.entity) ?? {
      up: new Map<string, number>(),
      down: new Set<string>(),
      message: e.message,
    };
    if (m[1] === "up") {
      if (!seen.up.has(m[2])) seen.up.set(m[2], e.t);
      if (seen.up.size === 1) seen.message = e.message;
    } else seen.down.add(m[2]);
    byEntity.set(e.entity, seen);
  }
  const out: Rollout[] = [];
  for (const [entity, { up, down, message }] of byEntity) {
    const replaced = [...down].find((rs) => !up.has(rs));
    const added = [...up].find(([rs]) => rs !== replaced && !down.has(rs));
    if (!replaced || !added) continue;
    out.push({
      entity,
      start: added[1],
      detail: `rolled out a new ReplicaSet: ${added[0]} scaled up while ${replaced} scaled down`,
      excerpt: message,
    });
  }
  return out;
}

/** Rollouts from kube-state-metrics: an image label first seen for the workload after `from`. */
function rolloutsFromImages(c: Case, from: number, to: number): Rollout[] {
  const firstSeen = new Map<string, Map<string, number>>();
  for (const s of c.series) {
    if (s.metric !== "kube_pod_container_info" || !s.labels.image || s.t.length === 0) continue;
    const images = firstSeen.get(s.entity) ?? new Map<string, number>();
    images.set(s.labels.image, Math.min(images.get(s.labels.image) ?? Number.POSITIVE_INFINITY, s.t[0]));
    firstSeen.set(s.entity, images);
  }
  const out: Rollout[] = [];
  for (const [entity, images] of firstSeen) {
    const old = [...images].filter(([, t]) => t < from);
    const fresh = [...images].filter(([, t]) => t >= from && t <= to).sort((a, b) => a[1] - b[1])[0];
    if (old.length === 0 || !fresh) continue;
    out.push({
      entity,
      start: fresh[1],
      detail: `a new image appeared: ${fresh[0]} (before: ${old.map(([image]) => image).join(", ")})`,
      excerpt: `kube_pod_container_info{image="${fresh[0]}"}`,
      series: { metric: "kube_pod_container_info", labels: { image: fresh[0] } },
    });
  }
  return out;
}

export function detectChanges(c: Case, window: Window, nextId: () => string): Evidence[] {
  const from = Math.max(window.baselineStart, window.at - LOOKBACK_SECONDS);
  const rollouts = [...rolloutsFromEvents(c, from, window.end), ...rolloutsFromImages(c, from, window.end)];
  const strongest = new Map<string, Rollout>();
  for (const r of rollouts) if (!strongest.has(r.entity)) strongest.set(r.entity, r);
  return [...strongest.values()].map((r) => ({
    id: nextId(),
    entity: r.entity,
    signal: "rollout",
    type: "change",
    family: "change",
    start: r.start,
    strength: ROLLOUT_STRENGTH,
    detail: r.detail,
    excerpt: r.excerpt,
    ...(r.series ? { series: r.series } : {}),
  }));
}
