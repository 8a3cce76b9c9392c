/**
 * Collects what readers emit (the CaseSink contract) into one Case: resolves entities, merges series
 * with the same identity from different files in time order, and turns log lines into template
 * counts as they stream.
 */
import type { CaseSink, EventRecord, Labels, LogRecord, SpanRecord } from "../read/types.js";
import { rateIfCounter } from "./counters.js";
import { entityId, type Resolved, resolveEntity } from "./entity.js";
import { EntityCap, isFoldedEntity } from "./entityCap.js";
import { detectLevel } from "./logLevel.js";
import type { Case, CaseEvent, Entity, KubeObject, LogLevel, LogTemplate, Relation, Series, Skipped } from "./model.js";
import { entityRenames, type PodOwners, podOwnersFromObjects, podOwnersFromSeries, renameEntities } from "./owners.js";
import { SpanLogTies } from "./spanLogs.js";
import { SpanColumns } from "./spanTable.js";
import { TemplateMiner } from "./templateMiner.js";

/** Log counts are kept per 10 s: fine enough to order causes before effects, coarse enough to stay small. */
export const LOG_BUCKET_SECONDS = 10;
/** Raw lines kept per template, as evidence excerpts. */
const SAMPLES_PER_TEMPLATE = 3;

interface SeriesChunks {
  entity: string;
  metric: string;
  labels: Labels;
  unit?: string;
  /** Each addSamples call's samples, as typed arrays: 16 bytes a sample, the Series' own size. */
  t: Float64Array[];
  v: Float64Array[];
}

interface EntityLogs {
  miner: TemplateMiner;
  /** Indexed by the miner's template id: the number of the counted template per level. */
  templates: Map<LogLevel, number>[];
}

/** Labels that resolve the entity; the rest (plus `pod`) make a series' identity within its entity. */
const ENTITY_ONLY_LABELS = new Set(["service", "app", "app.kubernetes.io/name", "job", "deployment", "container"]);

export interface CaseBuilderOptions {
  /** Distinct entities kept per kind before the rest are folded (DEFAULT_MAX_ENTITIES when absent). */
  maxEntities?: number;
}

export class CaseBuilder {
  private readonly entities = new Map<string, Entity>();
  private readonly relations = new Map<string, Relation>();
  private readonly series = new Map<string, SeriesChunks>();
  /** Per entity: its miner, and the counted templates per miner template id and level. */
  private readonly miners = new Map<string, EntityLogs>();
  private readonly templates: LogTemplate[] = [];
  /** The entity of each labels object seen on a log line: lines share them, and resolving is costly. */
  private readonly logEntities = new WeakMap<Labels, string>();
  /** Which miner template each counted template came from, to report the final generalised text. */
  private readonly templateOrigins = new Map<LogTemplate, { entity: string; id: number }>();
  /**
   * Per template, the lines of its latest bucket not yet in its counts: lines come mostly in time
   * order, so a count is kept in a field while the bucket lasts rather than in a map per line.
   */
  private readonly pending: ({ bucket: number; count: number; traced: number } | undefined)[] = [];
  /** The templates of the lines written within a span. */
  private readonly spanLogs = new SpanLogTies();
  private readonly spans = new SpanColumns();
  private readonly events: Case["events"] = [];
  private readonly objects: KubeObject[] = [];
  private readonly skipped: Skipped[] = [];
  private readonly sources: string[] = [];
  /** Pods whose entity was guessed from their name (`namespace/pod` -> entity id), for owner correction. */
  private readonly guessedPods: PodOwners = new Map();
  private readonly cap: EntityCap;

  constructor(options: CaseBuilderOptions = {}) {
    this.cap = new EntityCap(options.maxEntities);
  }

  /** A sink that attributes skips to one file. */
  sinkFor(file: string): CaseSink {
    this.sources.push(file);
    return {
      addSamples: (labels, metric, t, v, unit) => this.addSamples(labels, metric, t, v, unit),
      addLog: (record) => this.addLog(file, record),
      addSpan: (record) => this.addSpan(file, record),
      addEvent: (record) => this.addEvent(record),
      addObject: (labels, object) => this.addObject(labels, object),
      addRelation: (from, to, type, weight) => this.addRelation(from, to, type, weight),
      skip: (where, reason) => this.skipped.push({ file, where, reason }),
    };
  }

  skip(item: Skipped): void {
    this.skipped.push(item);
  }

  private register(resolved: Resolved): string {
    const primary = this.cap.admit(resolved.primary, this.entities);
    const pod = resolved.pod && this.cap.admit(resolved.pod, this.entities);
    const node = resolved.node && this.cap.admit(resolved.node, this.entities);
    if (pod && pod.id !== primary.id) this.relate(primary.id, pod.id, "owns");
    if (pod && node) this.relate(pod.id, node.id, "runs-on");
    // A fold stands for many pods and workloads: no one owner can correct it.
    if (resolved.guessedFromPod && pod && !isFoldedEntity(pod.id) && !isFoldedEntity(primary.id))
      this.guessedPods.set(pod.id, primary.id);
    return primary.id;
  }

  private resolve(labels: Labels, metric?: string): string | undefined {
    const resolved = resolveEntity(labels, metric);
    return resolved ? this.register(resolved) : undefined;
  }

  private relate(from: string, to: string, type: Relation["type"], weight?: number): void {
    const key = `${from}\u0000${to}\u0000${type}`;
    const existing = this.relations.get(key);
    if (existing) {
      if (weight !== undefined) existing.weight = (existing.weight ?? 0) + weight;
      return;
    }
    const relation: Relation = { from, to, type };
    if (weight !== undefined) relation.weight = weight;
    this.relations.set(key, relation);
  }

  private addSamples(labels: Labels, metric: string, t: ArrayLike<number>, v: ArrayLike<number>, unit?: string) {
    const entity = this.resolve(labels, metric) ?? "service:unknown";
    const identity = Object.entries(labels)
      .filter(([k]) => !ENTITY_ONLY_LABELS.has(k) && k !== "__name__")
      .sort(([a], [b]) => (a < b ? -1 : 1));
    const key = `${entity}\u0000${metric}\u0000${JSON.stringify(identity)}`;
    let chunks = this.series.get(key);
    if (!chunks) {
      if (!this.cap.keepsSeries(entity, metric, key)) return;
      chunks = { entity, metric, labels: Object.fromEntries(identity), t: [], v: [] };
      if (unit) chunks.unit = unit;
      this.series.set(key, chunks);
    }
    chunks.t.push(Float64Array.from(t));
    chunks.v.push(Float64Array.from(v));
  }

  private addLog(file: string, record: LogRecord): void {
    let entity = this.logEntities.get(record.labels);
    if (entity === undefined) {
      entity = this.resolve(record.labels) ?? this.resolve({ service: baseName(file) }) ?? "service:unknown";
      this.logEntities.set(record.labels, entity);
    }
    let logs = this.miners.get(entity);
    if (!logs) {
      logs = { miner: new TemplateMiner(), templates: [] };
      this.miners.set(entity, logs);
    }
    const level: LogLevel = record.level ?? detectLevel(record.message);
    const mined = logs.miner.add(record.message, record.prepared);
    logs.templates[mined.id] ??= new Map();
    const byLevel = logs.templates[mined.id];
    let index = byLevel.get(level);
    if (index === undefined) {
      index = this.templates.length;
      const template: LogTemplate = {
        entity,
        template: mined.template,
        level,
        counts: new Map(),
        traced: new Map(),
        samples: [],
        total: 0,
      };
      byLevel.set(level, index);
      this.templates.push(template);
      this.templateOrigins.set(template, { entity, id: mined.id });
    }
    const template = this.templates[index];
    const bucket = Math.floor(record.t / LOG_BUCKET_SECONDS) * LOG_BUCKET_SECONDS;
    let pending = this.pending[index];
    if (pending?.bucket !== bucket) {
      this.countPending(index);
      pending = { bucket, count: 0, traced: 0 };
      this.pending[index] = pending;
    }
    pending.count++;
    template.total++;
    if (template.samples.length < SAMPLES_PER_TEMPLATE) template.samples.push(record.message);
    if (record.spanId) {
      pending.traced++;
      this.spanLogs.add(record.traceId ?? "", record.spanId, index);
    }
  }

  /** Adds a template's pending lines to its counts (a bucket enters the maps when its first lines do, as before). */
  private countPending(index: number): void {
    const pending = this.pending[index];
    if (!pending) return;
    const { counts, traced } = this.templates[index];
    counts.set(pending.bucket, (counts.get(pending.bucket) ?? 0) + pending.count);
    if (pending.traced > 0) traced.set(pending.bucket, (traced.get(pending.bucket) ?? 0) + pending.traced);
    this.pending[index] = undefined;
  }

  private addSpan(file: string, record: SpanRecord): void {
    const service = this.resolve(record.labels) ?? this.resolve({ service: baseName(file) }) ?? "service:unknown";
    this.spans.add(
      record.traceId,
      record.spanId,
      record.parent,
      service,
      record.operation,
      record.start,
      record.duration,
      record.error,
    );
  }

  private addEvent(record: EventRecord): void {
    const { labels, ...rest } = record;
    const event: CaseEvent = { ...rest, entity: this.resolve(labels) ?? "service:unknown" };
    if (labels.pod) event.pod = entityId("pod", labels.pod, labels.namespace || undefined);
    this.events.push(event);
  }

  private addObject(labels: Labels, object: Omit<KubeObject, "entity">): void {
    this.objects.push({ ...object, entity: this.resolve(labels) ?? "service:unknown" });
  }

  private addRelation(from: Labels, to: Labels, type: Relation["type"], weight?: number): void {
    const a = this.resolve(from);
    const b = this.resolve(to);
    if (a && b && a !== b) this.relate(a, b, type, weight);
  }

  /**
   * The Case. Call it once: it hands each series' samples over as it converts them, so that a raw
   * counter's samples are freed while the rest are converted rather than all held to the end.
   */
  build(): Case {
    for (let index = 0; index < this.templates.length; index++) this.countPending(index);
    const series: Series[] = [];
    for (const [key, chunks] of this.series) {
      series.push(toSeries(chunks));
      this.series.delete(key);
    }
    const templates = [...this.templates];
    // A miner generalises a template as more lines arrive; report each with its final text.
    const finalText = new Map<string, Map<number, string>>();
    for (const [entity, { miner }] of this.miners) {
      finalText.set(entity, new Map(miner.templates().map((m) => [m.id, m.template])));
    }
    for (const [template, origin] of this.templateOrigins) {
      template.template = finalText.get(origin.entity)?.get(origin.id) ?? template.template;
    }
    const spans = this.spans.finish();
    this.spanLogs.tieTo(spans);
    const built: Case = {
      entities: this.entities,
      relations: [...this.relations.values()],
      series,
      logs: { bucketSeconds: LOG_BUCKET_SECONDS, templates },
      spans,
      events: this.events.sort((a, b) => a.t - b.t),
      objects: this.objects,
      sources: this.sources,
      skipped: this.skipped,
    };
    const folded = this.cap.summary();
    if (folded.length > 0) built.folded = folded;
    // A pod's name only suggests its workload (a Job pod's suffix can read like a word); where the
    // cluster recorded the owner, the owner decides.
    const owners = new Map([...podOwnersFromSeries(series), ...podOwnersFromObjects(this.objects)]);
    renameEntities(built, entityRenames(this.guessedPods, owners));
    return built;
  }
}

/** The unit of a counter read raw and turned into its rate. */
export const COUNTER_RATE_UNIT = "per second";

/**
 * Sorts by time and keeps the last value read for a repeated timestamp (a later file wins); a raw
 * counter becomes its per-second rate.
 */
function toSeries(chunks: SeriesChunks): Series {
  const [t, v] = inTimeOrder(concatenated(chunks.t), concatenated(chunks.v));
  const result: Series = { entity: chunks.entity, metric: chunks.metric, labels: chunks.labels, t, v };
  if (chunks.unit) result.unit = chunks.unit;
  const rate = rateIfCounter(chunks.metric, result.t, result.v);
  if (rate) {
    result.t = rate.t;
    result.v = rate.v;
    result.unit = COUNTER_RATE_UNIT;
  }
  return result;
}

/** The chunks as one array; a single chunk is itself (no copy: a series read from one file costs its size once). */
function concatenated(chunks: Float64Array[]): Float64Array {
  if (chunks.length === 1) return chunks[0];
  const all = new Float64Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return all;
}

/** Whether times are finite and strictly rising: then the samples are already in order, each time once. */
function isStrictlyRising(t: Float64Array): boolean {
  for (let i = 0; i < t.length; i++) if (!Number.isFinite(t[i]) || (i > 0 && t[i] <= t[i - 1])) return false;
  return true;
}

/** Samples sorted by time, without non-finite times; for a repeated time the last value read wins. */
function inTimeOrder(times: Float64Array, values: Float64Array): [Float64Array, Float64Array] {
  if (isStrictlyRising(times)) return [times, values];
  const order = Array.from(times.keys()).sort((a, b) => times[a] - times[b] || a - b);
  const t: number[] = [];
  const v: number[] = [];
  for (const i of order) {
    if (!Number.isFinite(times[i])) continue;
    if (t.length > 0 && t[t.length - 1] === times[i]) v[v.length - 1] = values[i];
    else {
      t.push(times[i]);
      v.push(values[i]);
    }
  }
  return [Float64Array.from(t), Float64Array.from(v)];
}

/** `logs/shipping-2024-01-16.log.gz` -> `shipping-2024-01-16`: the source's name when nothing else names it. */
function baseName(file: string): string {
  const name = file.split(/[\\/]/).pop() ?? file;
  return name.replace(/(\.(gz|log|txt|json|jsonl|ndjson|csv|\d+))+$/i, "");
}
