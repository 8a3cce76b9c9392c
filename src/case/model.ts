/**
 * The Case: the one in-memory model every step after reading works on (DESIGN.md, step 2).
 * Plain data only; builders and resolution live beside it.
 */
import type { SpanTable } from "./spanTable.js";

export type EntityKind =
  | "service"
  | "pod"
  | "node"
  | "database"
  | "broker"
  | "workload"
  | "namespace"
  | "zone"
  | "container"
  | "cluster";

export interface Entity {
  /** `kind:name`, with the namespace before the name for namespaced kinds: `pod:robot-shop/shipping-7d9f-abc`. */
  id: string;
  kind: EntityKind;
  name: string;
  namespace?: string;
  labels: Record<string, string>;
}

export type RelationType =
  | "calls"
  | "runs-on"
  | "owns"
  | "member-of"
  | "connects-to"
  | "publishes-to"
  | "consumes-from"
  | "in-zone";

export interface Relation {
  from: string;
  to: string;
  type: RelationType;
  /** Strength of the relation where the source gives one (call counts, weights). */
  weight?: number;
}

export interface Series {
  entity: string;
  metric: string;
  labels: Record<string, string>;
  unit?: string;
  /** Unix seconds, ascending. */
  t: Float64Array;
  v: Float64Array;
}

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "unknown";

/** One log template seen for one entity: counts per time bucket, and a few raw lines for evidence. */
export interface LogTemplate {
  entity: string;
  /** The mined template, variable parts replaced by `<*>`. */
  template: string;
  level: LogLevel;
  /** Bucket start (unix s) -> count. */
  counts: Map<number, number>;
  /**
   * Of those, lines written inside a traced span (bucket start -> count). Traced lines are judged per
   * operation along with their spans; volume alone says little about them.
   */
  traced: Map<number, number>;
  samples: string[];
  total: number;
}

export interface Logs {
  /** Width of a count bucket in seconds. */
  bucketSeconds: number;
  templates: LogTemplate[];
}

/** One span as an object: what SpanTable.get gives, and what SpanTable.of takes. */
export interface Span {
  traceId: string;
  spanId: string;
  parent?: string;
  /** Entity id of the service (or pod) that emitted the span. */
  service: string;
  operation: string;
  /** Unix seconds. */
  start: number;
  /** Seconds. */
  duration: number;
  error: boolean;
  /** Indexes into `logs.templates` of the lines written within this span, when logs carry span ids. */
  logTemplates?: number[];
}

export interface CaseEvent {
  t: number;
  entity: string;
  /** The pod the event is about (`pod:<namespace>/<name>`), when it names one: its entity is the pod's workload. */
  pod?: string;
  type: string;
  reason: string;
  message: string;
  count: number;
}

/** The latest known spec/status of a Kubernetes object, as read. */
export interface KubeObject {
  entity: string;
  kind: string;
  spec: unknown;
  status: unknown;
  metadata: unknown;
}

export interface Skipped {
  file: string;
  where: string;
  reason: string;
}

/** Entities of one kind beyond the cap on distinct entities, folded into one (entityCap.ts). */
export interface FoldedEntities {
  kind: EntityKind;
  /** The entity their data went to: `service:(folded)`. */
  into: string;
  /** Distinct names folded: exact when `estimated` is false, else an estimate (standard error 0.8%). */
  names: number;
  estimated: boolean;
  /** Distinct entities of the kind kept before folding began. */
  cap: number;
  /** The fold's series beyond FOLD_SERIES_PER_METRIC of one metric, left out (counted as `names` are). */
  series_left_out?: number;
}

export interface Case {
  entities: Map<string, Entity>;
  relations: Relation[];
  series: Series[];
  logs: Logs;
  /** Kept as columns (spanTable.ts). */
  spans: SpanTable;
  events: CaseEvent[];
  objects: KubeObject[];
  sources: string[];
  skipped: Skipped[];
  /** Kinds whose distinct entities went beyond the cap, when any did. */
  folded?: FoldedEntities[];
}
