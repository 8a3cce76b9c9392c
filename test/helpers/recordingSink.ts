/** A CaseSink that records every call, for reader tests. */
import type { Relation } from "../../src/case/model.js";
import type { CaseSink, EventRecord, Labels, LogRecord, SpanRecord } from "../../src/read/types.js";

export interface RecordedSamples {
  labels: Labels;
  metric: string;
  /** Copied to plain arrays so a reader reusing its buffers cannot change what was recorded. */
  t: number[];
  v: number[];
  unit?: string;
}

export interface RecordedObject {
  labels: Labels;
  object: Parameters<CaseSink["addObject"]>[1];
}

export interface RecordedRelation {
  from: Labels;
  to: Labels;
  type: Relation["type"];
  weight?: number;
}

export interface RecordedSkip {
  where: string;
  reason: string;
}

/** Every call in the order made, for tests that care about order or about methods not called. */
export interface RecordedCall {
  method: keyof CaseSink;
  args: unknown[];
}

export class RecordingSink implements CaseSink {
  readonly calls: RecordedCall[] = [];
  readonly samples: RecordedSamples[] = [];
  readonly logs: LogRecord[] = [];
  readonly spans: SpanRecord[] = [];
  readonly events: EventRecord[] = [];
  readonly objects: RecordedObject[] = [];
  readonly relations: RecordedRelation[] = [];
  readonly skipped: RecordedSkip[] = [];

  addSamples(labels: Labels, metric: string, t: ArrayLike<number>, v: ArrayLike<number>, unit?: string): void {
    this.calls.push({ method: "addSamples", args: [labels, metric, t, v, unit] });
    const recorded: RecordedSamples = { labels: { ...labels }, metric, t: Array.from(t), v: Array.from(v) };
    if (unit !== undefined) recorded.unit = unit;
    this.samples.push(recorded);
  }

  addLog(record: LogRecord): void {
    this.calls.push({ method: "addLog", args: [record] });
    this.logs.push(record);
  }

  addSpan(record: SpanRecord): void {
    this.calls.push({ method: "addSpan", args: [record] });
    this.spans.push(record);
  }

  addEvent(record: EventRecord): void {
    this.calls.push({ method: "addEvent", args: [record] });
    this.events.push(record);
  }

  addObject(labels: Labels, object: RecordedObject["object"]): void {
    this.calls.push({ method: "addObject", args: [labels, object] });
    this.objects.push({ labels, object });
  }

  addRelation(from: Labels, to: Labels, type: Relation["type"], weight?: number): void {
    this.calls.push({ method: "addRelation", args: [from, to, type, weight] });
    const recorded: RecordedRelation = { from, to, type };
    if (weight !== undefined) recorded.weight = weight;
    this.relations.push(recorded);
  }

  skip(where: string, reason: string): void {
    this.calls.push({ method: "skip", args: [where, reason] });
    this.skipped.push({ where, reason });
  }

  /** The recorded series with this metric name (and, when given, this label value). */
  series(metric: string, label?: [string, string]): RecordedSamples[] {
    return this.samples.filter((s) => s.metric === metric && (!label || s.labels[label[0]] === label[1]));
  }
}
