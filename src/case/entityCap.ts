/**
 * Bounded cardinality: a Case keeps at most so many distinct entities of each kind. Each entity costs
 * memory of its own (a template miner for its logs, its series, its relations), so a label that is
 * really an ID (a request id read as `service`, a hostile file) would otherwise grow memory with every
 * new value. Beyond the cap, new names of a kind are folded into one entity of that kind, so that their
 * data still counts somewhere, and the Case says how many names were folded. A fold's own series are
 * capped per metric too: otherwise every folded name would still bring its series along.
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

/**
 * Series a fold keeps per metric. The fold is never a cause; its series only show how the folded names
 * moved as a group (in the incident-start search, in traffic changes), which a thousand show as well as
 * all of them, while 300k folded names' series of one metric took about 700 MB.
 */
export const FOLD_SERIES_PER_METRIC = 1000;

/** One kind's fold: the entity its names beyond the cap go to, how many distinct names did, its series. */
interface Fold {
  entity: Entity;
  names: DistinctCount;
  /** Series kept per metric, and the distinct series left out beyond FOLD_SERIES_PER_METRIC. */
  series: Map<string, number>;
  seriesLeftOut: DistinctCount;
}

export class EntityCap {
  private readonly kept = new Map<EntityKind, number>();
  private readonly folds = new Map<EntityKind, Fold>();
  private readonly foldsById = new Map<string, Fold>();

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
      const folded = makeEntity(entity.kind, FOLDED_NAME);
      fold = { entity: folded, names: new DistinctCount(), series: new Map(), seriesLeftOut: new DistinctCount() };
      this.folds.set(entity.kind, fold);
      this.foldsById.set(folded.id, fold);
      known.set(fold.entity.id, fold.entity);
    }
    fold.names.add(entity.id);
    return fold.entity;
  }

  /**
   * Whether a new series (`key`, its identity) of `metric` on `entity` is kept: always on a real entity;
   * on a fold, the first FOLD_SERIES_PER_METRIC of each metric.
   */
  keepsSeries(entity: string, metric: string, key: string): boolean {
    const fold = this.foldsById.get(entity);
    if (!fold) return true;
    const kept = fold.series.get(metric) ?? 0;
    if (kept < FOLD_SERIES_PER_METRIC) {
      fold.series.set(metric, kept + 1);
      return true;
    }
    fold.seriesLeftOut.add(key);
    return false;
  }

  /** Per kind with names folded (by kind): how many, and into what. */
  summary(): FoldedEntities[] {
    const folds = [...this.folds.values()].sort((a, b) => a.entity.kind.localeCompare(b.entity.kind));
    return folds.map(({ entity, names, seriesLeftOut }) => {
      const summary: FoldedEntities = {
        kind: entity.kind,
        into: entity.id,
        names: names.count,
        estimated: !names.isExact,
        cap: this.max,
      };
      if (seriesLeftOut.count > 0) summary.series_left_out = seriesLeftOut.count;
      return summary;
    });
  }
}
