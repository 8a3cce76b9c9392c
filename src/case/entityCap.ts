/**
 * Bounded cardinality: a Case keeps at most so many distinct entities of each kind. Each entity costs
 * memory of its own (a template miner for its logs, its series, its relations), so a label that is
 * really an ID (a request id read as `service`, a hostile file) would otherwise grow memory with every
 * new value. Beyond the cap, new names of a kind are folded into one entity of that kind, so that their
 * data still counts somewhere, and the Case says how many names were folded.
 */

import { DistinctCount } from "./distinctCount.js";
import { entityName, makeEntity } from "./entity.js";
import type { Entity, EntityKind, FoldedEntities } from "./model.js";

/**
 * Distinct entities kept per kind. Real incident bundles hold at most a few thousand services, pods or
 * nodes; 10,000 is well above that. Each kept entity costs memory and analysis time (measured on 600k
 * distinct names in 100 MB of logs: 10,000 kept take 361 MB and 3 s of analysis, 20,000 take 535 MB
 * and 9 s), so the cap is not set higher than real bundles need.
 */
export const DEFAULT_MAX_ENTITIES = 10_000;

/**
 * The name of the entity a kind's names beyond the cap are folded into. Parentheses cannot appear in a
 * Kubernetes name; a label that nonetheless reads exactly this is folded too, so the id always means the fold.
 */
export const FOLDED_NAME = "(folded)";

/** Whether an entity id is a fold of names beyond the cap (`service:(folded)`), not one real thing. */
export function isFoldedEntity(id: string): boolean {
  return entityName(id) === FOLDED_NAME;
}

/** One kind's fold: the entity its names beyond the cap go to, and how many distinct names did. */
interface Fold {
  entity: Entity;
  names: DistinctCount;
}

export class EntityCap {
  private readonly kept = new Map<EntityKind, number>();
  private readonly folds = new Map<EntityKind, Fold>();

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
    if (existing && existing.name !== FOLDED_NAME) return existing;
    const kept = this.kept.get(entity.kind) ?? 0;
    if (kept < this.max && entity.name !== FOLDED_NAME) {
      this.kept.set(entity.kind, kept + 1);
      known.set(entity.id, entity);
      return entity;
    }
    let fold = this.folds.get(entity.kind);
    if (!fold) {
      fold = { entity: makeEntity(entity.kind, FOLDED_NAME), names: new DistinctCount() };
      this.folds.set(entity.kind, fold);
      known.set(fold.entity.id, fold.entity);
    }
    fold.names.add(entity.id);
    return fold.entity;
  }

  /** Per kind with names folded (by kind): how many, and into what. */
  summary(): FoldedEntities[] {
    const folds = [...this.folds.values()].sort((a, b) => a.entity.kind.localeCompare(b.entity.kind));
    return folds.map(({ entity, names }) => ({
      kind: entity.kind,
      into: entity.id,
      names: names.count,
      estimated: !names.isExact,
      cap: this.max,
    }));
  }
}
