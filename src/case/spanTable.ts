/**
 * The Case's spans as columns: times and durations in Float64Arrays, the error flag in a Uint8Array,
 * and every text (trace, span and parent ids, operations, services) as a number into a list holding
 * each text once. A million spans cost about 40 bytes each plus their distinct texts, instead of an
 * object of eight fields and its own strings per span. Rows keep the order the spans were read in.
 */
import type { Span } from "./model.js";
import { TextNumbers } from "./strings.js";

/** Rows allocated at first; the columns double as spans arrive. */
const INITIAL_ROWS = 1024;
/** The parent column's value for a span without a parent id. */
export const NO_PARENT = -1;
const NO_TEMPLATES: readonly number[] = Object.freeze([]);

/** Which log templates were written inside each span, as compressed rows: span r's are list[start[r]..start[r+1]). */
export interface SpanLogTemplates {
  start: Int32Array;
  list: Int32Array;
}

export class SpanTable {
  constructor(
    readonly length: number,
    /** Unix seconds. */
    readonly start: Float64Array,
    /** Seconds. */
    readonly duration: Float64Array,
    /** 1 for an error span. */
    readonly error: Uint8Array,
    /** Trace, span and parent ids and operations: numbers into `texts`; a parent is NO_PARENT when absent. */
    readonly traceId: Int32Array,
    readonly spanId: Int32Array,
    readonly parentId: Int32Array,
    readonly operation: Int32Array,
    readonly texts: readonly string[],
    /** The emitting service's entity: a number into `services`. */
    readonly service: Int32Array,
    private serviceIds: string[],
    private logTemplates?: SpanLogTemplates,
  ) {}

  /** The services' entity ids, each once, numbered as the `service` column numbers them. */
  get services(): readonly string[] {
    return this.serviceIds;
  }

  serviceOf(row: number): string {
    return this.serviceIds[this.service[row]];
  }

  operationOf(row: number): string {
    return this.texts[this.operation[row]];
  }

  traceOf(row: number): string {
    return this.texts[this.traceId[row]];
  }

  spanIdOf(row: number): string {
    return this.texts[this.spanId[row]];
  }

  /** Indexes into `logs.templates` of the lines written within the span, in the order of the lines. */
  logTemplatesOf(row: number): ArrayLike<number> {
    const ties = this.logTemplates;
    if (!ties || ties.start[row] === ties.start[row + 1]) return NO_TEMPLATES;
    return ties.list.subarray(ties.start[row], ties.start[row + 1]);
  }

  /** Sets which log templates each span holds (see SpanLogTies). */
  tieLogTemplates(ties: SpanLogTemplates): void {
    this.logTemplates = ties;
  }

  /** One span as an object, for the few readers of whole spans (reports, tests). */
  get(row: number): Span {
    const span: Span = {
      traceId: this.traceOf(row),
      spanId: this.spanIdOf(row),
      service: this.serviceOf(row),
      operation: this.operationOf(row),
      start: this.start[row],
      duration: this.duration[row],
      error: this.error[row] === 1,
    };
    if (this.parentId[row] !== NO_PARENT) span.parent = this.texts[this.parentId[row]];
    const templates = this.logTemplatesOf(row);
    if (templates.length > 0) span.logTemplates = Array.from(templates);
    return span;
  }

  /** The spans of one trace, as objects, in the order they were read. */
  trace(traceId: string): Span[] {
    const id = this.texts.indexOf(traceId);
    const spans: Span[] = [];
    if (id < 0) return spans;
    for (let row = 0; row < this.length; row++) if (this.traceId[row] === id) spans.push(this.get(row));
    return spans;
  }

  /**
   * Renames services (a pod-guessed entity to its recorded owner). Two services renamed to one become
   * one number, so that rows compare services by number.
   */
  renameServices(to: (id: string) => string): void {
    const numbers = new Map<string, number>();
    const renamed = this.serviceIds.map((id) => {
      const target = to(id);
      let n = numbers.get(target);
      if (n === undefined) {
        n = numbers.size;
        numbers.set(target, n);
      }
      return n;
    });
    this.serviceIds = [...numbers.keys()];
    for (let row = 0; row < this.length; row++) this.service[row] = renamed[this.service[row]];
  }

  /** A table of span objects, in their order (tests, and Cases assembled by hand). */
  static of(spans: readonly Span[]): SpanTable {
    const columns = new SpanColumns();
    for (const s of spans)
      columns.add(s.traceId, s.spanId, s.parent, s.service, s.operation, s.start, s.duration, s.error);
    const table = columns.finish();
    if (spans.some((s) => s.logTemplates?.length)) {
      const start = new Int32Array(spans.length + 1);
      const list: number[] = [];
      spans.forEach((s, row) => {
        list.push(...(s.logTemplates ?? []));
        start[row + 1] = list.length;
      });
      table.tieLogTemplates({ start, list: Int32Array.from(list) });
    }
    return table;
  }
}

/** A copy of `values` with room for `size` elements. */
function grown<T extends Float64Array | Int32Array | Uint8Array>(values: T, size: number): T {
  const copy = new (values.constructor as new (n: number) => T)(size);
  copy.set(values);
  return copy;
}

/** Spans as they arrive: growing columns, made a SpanTable once all are read. */
export class SpanColumns {
  private rows = 0;
  private start = new Float64Array(INITIAL_ROWS);
  private duration = new Float64Array(INITIAL_ROWS);
  private error = new Uint8Array(INITIAL_ROWS);
  private traceId = new Int32Array(INITIAL_ROWS);
  private spanId = new Int32Array(INITIAL_ROWS);
  private parentId = new Int32Array(INITIAL_ROWS);
  private operation = new Int32Array(INITIAL_ROWS);
  private service = new Int32Array(INITIAL_ROWS);
  private readonly texts = new TextNumbers();
  private readonly services = new Map<string, number>();

  add(
    traceId: string,
    spanId: string,
    parent: string | undefined,
    service: string,
    operation: string,
    start: number,
    duration: number,
    error: boolean,
  ): void {
    if (this.rows === this.start.length) this.grow();
    const row = this.rows++;
    this.start[row] = start;
    this.duration[row] = duration;
    this.error[row] = error ? 1 : 0;
    this.traceId[row] = this.texts.numberOf(traceId);
    this.spanId[row] = this.texts.numberOf(spanId);
    this.parentId[row] = parent ? this.texts.numberOf(parent) : NO_PARENT;
    this.operation[row] = this.texts.numberOf(operation);
    let serviceNumber = this.services.get(service);
    if (serviceNumber === undefined) {
      serviceNumber = this.services.size;
      this.services.set(service, serviceNumber);
    }
    this.service[row] = serviceNumber;
  }

  private grow(): void {
    const size = this.start.length * 2;
    this.start = grown(this.start, size);
    this.duration = grown(this.duration, size);
    this.error = grown(this.error, size);
    this.traceId = grown(this.traceId, size);
    this.spanId = grown(this.spanId, size);
    this.parentId = grown(this.parentId, size);
    this.operation = grown(this.operation, size);
    this.service = grown(this.service, size);
  }

  /** The table, its columns trimmed to the rows read. */
  finish(): SpanTable {
    const n = this.rows;
    return new SpanTable(
      n,
      this.start.slice(0, n),
      this.duration.slice(0, n),
      this.error.slice(0, n),
      this.traceId.slice(0, n),
      this.spanId.slice(0, n),
      this.parentId.slice(0, n),
      this.operation.slice(0, n),
      this.texts.texts,
      this.service.slice(0, n),
      [...this.services.keys()],
    );
  }
}
