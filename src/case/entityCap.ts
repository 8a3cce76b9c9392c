/**
 * Bounded cardinality: a Case keeps at most so many distinct entities of each kind. Each entity costs
 * memory of its own (a template miner for its logs, its series, its relations), so a label that is
 * really an ID (a request id read as `service`, a hostile file) would otherwise grow memory with every
 * new value. Beyond the cap, new names of a kind are folded into one entity of that kind, so that their
 * data still counts somewhere, and the Case says how many names were folded.
 */

import { DistinctCount } from "./distinctCount.js";
import { entityId, entityName, makeEntity } from "./entity.js";
import type { Entity, EntityKind, FoldedEntities } from "./model.js";

/**
 * Distinct entities kept per kind. Real incident bundles hold at most a few thousand services, pods or
 * nodes (a large cluster has ~5,000 nodes and ~150,000 pods over its life, but an incident's hour sees
 * far fewer); 20,000 is well above that, while 20,000 entities' miners and series stay within a few
 * hundred MB.
 */
export const DEFAULT_MAX_ENTITIES = 20_000;

/**
 * The name of the entity a kind's names beyond the cap are folded into. Parentheses cannot appear in a
 * Kubernetes name; a label that nonetheless reads exactly this is folded too, so the id always means the fold.
 */
export const FOLDED_NAME = "(folded)";

/** Whether an entity id is a fold of names beyond the cap (`service:(folded)`), not one real thing. */
export function isFoldedEntity(id: string): boolean {
  return entityName(id) === FOLDED_NAME;
}

export class EntityCap {
  private readonly kept = new Map<EntityKind, number>();
  private readonly folded = new Map<EntityKind, DistinctCount>();

  constructor(readonly max: number = DEFAULT_MAX_ENTITIES) {
    if (!(Number.isSafeInteger(max) && max >= 1))
      throw new RangeError(`max entities must be a whole number ≥ 1 (${max})`);
  }

  /**
   * The entity to record `entity` as: itself when it is already known or its kind is under the cap
   * (then it is added to `known`), else its kind's fold (added to `known` when first needed).
   */
  admit(entity: Entity, known: Map<string, Entity>): Entity {
    const existing = known.get(entity.id);
    if (existing && !isFoldedEntity(existing.id)) return existing;
    const kept = this.kept.get(entity.kind) ?? 0;
    if (kept < this.max && entity.name !== FOLDED_NAME) {
      this.kept.set(entity.kind, kept + 1);
      known.set(entity.id, entity);
      return entity;
    }
    let count = this.folded.get(entity.kind);
    if (!count) {
      count = new DistinctCount();
      this.folded.set(entity.kind, count);
    }
    count.add(entity.id);
    const foldId = entityId(entity.kind, FOLDED_NAME);
    const fold = known.get(foldId) ?? makeEntity(entity.kind, FOLDED_NAME);
    known.set(foldId, fold);
    return fold;
  }

  /** Per kind with names folded (by kind): how many, and into what. */
  summary(): FoldedEntities[] {
    const kinds = [...this.folded].sort(([a], [b]) => a.localeCompare(b));
    return kinds.map(([kind, count]) => ({
      kind,
      into: entityId(kind, FOLDED_NAME),
      names: count.count,
      estimated: !count.isExact,
      cap: this.max,
    }));
  }
}
