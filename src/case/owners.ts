/**
 * The workloads that own pods, as the cluster recorded them: kube-state-metrics' `kube_pod_info`
 * (`created_by_kind`, `created_by_name`) and the pods' `ownerReferences`. Used to correct entities that
 * were guessed from a pod's name.
 */
import { entityId, entityName, workloadOfOwner } from "./entity.js";
import type { Case, KubeObject, Series } from "./model.js";

/** Pod entity id (`pod:<namespace>/<name>`) -> the entity id of its workload. */
export type PodOwners = Map<string, string>;

function ownerEntity(kind: string, name: string): string | undefined {
  if (!kind || !name || kind === "<none>" || name === "<none>") return undefined;
  return entityId("service", workloadOfOwner(kind, name));
}

export function podOwnersFromSeries(series: Series[]): PodOwners {
  const owners: PodOwners = new Map();
  for (const s of series) {
    if (s.metric !== "kube_pod_info" || !s.labels.pod) continue;
    const owner = ownerEntity(s.labels.created_by_kind, s.labels.created_by_name);
    if (owner) owners.set(entityId("pod", s.labels.pod, s.labels.namespace || undefined), owner);
  }
  return owners;
}

interface OwnerReference {
  kind?: unknown;
  name?: unknown;
  controller?: unknown;
}

export function podOwnersFromObjects(objects: KubeObject[]): PodOwners {
  const owners: PodOwners = new Map();
  for (const o of objects) {
    if (o.kind !== "Pod") continue;
    const metadata = (o.metadata ?? {}) as { name?: unknown; namespace?: unknown; ownerReferences?: unknown };
    if (typeof metadata.name !== "string" || !Array.isArray(metadata.ownerReferences)) continue;
    const refs = metadata.ownerReferences as OwnerReference[];
    const ref = refs.find((r) => r.controller === true) ?? refs[0];
    const owner = ref ? ownerEntity(String(ref.kind ?? ""), String(ref.name ?? "")) : undefined;
    const namespace = typeof metadata.namespace === "string" ? metadata.namespace : undefined;
    if (owner) owners.set(entityId("pod", metadata.name, namespace), owner);
  }
  return owners;
}

/**
 * Entity renames: a guessed entity becomes its pods' recorded owner when all its pods with a recorded
 * owner agree on it.
 */
export function entityRenames(guessed: PodOwners, owners: PodOwners): Map<string, string> {
  const votes = new Map<string, Set<string>>();
  for (const [pod, entity] of guessed) {
    const owner = owners.get(pod);
    if (!owner || owner === entity) continue;
    const set = votes.get(entity) ?? new Set();
    set.add(owner);
    votes.set(entity, set);
  }
  const renames = new Map<string, string>();
  for (const [entity, set] of votes) if (set.size === 1) renames.set(entity, [...set][0]);
  return renames;
}

/** Applies entity renames everywhere the Case names an entity. */
export function renameEntities(c: Case, renames: Map<string, string>): void {
  if (renames.size === 0) return;
  const to = (id: string) => renames.get(id) ?? id;
  for (const s of c.series) s.entity = to(s.entity);
  for (const t of c.logs.templates) t.entity = to(t.entity);
  c.spans.renameServices(to);
  for (const e of c.events) e.entity = to(e.entity);
  for (const o of c.objects) o.entity = to(o.entity);
  const seen = new Set<string>();
  c.relations = c.relations
    .map((r) => ({ ...r, from: to(r.from), to: to(r.to) }))
    .filter((r) => {
      const key = `${r.from}\u0000${r.to}\u0000${r.type}`;
      if (r.from === r.to || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  for (const [from, target] of renames) {
    const entity = c.entities.get(from);
    c.entities.delete(from);
    if (!c.entities.has(target) && entity) c.entities.set(target, { ...entity, id: target, name: entityName(target) });
  }
}
