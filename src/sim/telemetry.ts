/**
 * What a simulated system emits, kept in memory until the writers put it in real formats: Prometheus
 * series per scrape job, log lines per workload, Kubernetes events, and trace spans.
 */
import type { Rng } from "./rng.js";

export type Labels = Record<string, string>;

/** One Prometheus series: sampled once per tick while its target is scraped. */
export class MetricSeries {
  readonly t: number[] = [];
  readonly v: number[] = [];
  /** A counter's running total; it keeps counting while a scrape fails, as the target does. */
  private total = 0;

  constructor(
    private readonly recorder: MetricRecorder,
    readonly job: string,
    readonly metric: string,
    readonly labels: Labels,
  ) {}

  /** A gauge's value now. */
  set(value: number): void {
    if (this.recorder.isDown(this.job)) return;
    const now = this.recorder.now;
    if (this.t.length > 0 && this.t[this.t.length - 1] === now) this.v[this.v.length - 1] = value;
    else {
      this.t.push(now);
      this.v.push(value);
    }
  }

  /** A counter's increase since the last tick (recorded as the running total). */
  add(increase: number): void {
    this.total += increase;
    this.set(this.total);
  }

  /** A process restart: counters start again from zero. */
  reset(): void {
    this.total = 0;
  }
}

export class MetricRecorder {
  now = 0;
  private readonly series = new Map<string, MetricSeries>();
  private readonly downJobs = new Set<string>();

  /** Keys in the callers' label order, so a repeated lookup skips sorting (thousands of pods a tick). */
  private readonly byCallOrder = new Map<string, MetricSeries>();

  /** The series of `metric` with `labels` scraped by `job`, created on first use. */
  get(job: string, metric: string, labels: Labels = {}): MetricSeries {
    let fast = `${job}\u0000${metric}`;
    for (const name in labels) fast += `\u0000${name}=${labels[name]}`;
    const known = this.byCallOrder.get(fast);
    if (known) return known;
    let key = `${job}\u0000${metric}`;
    for (const name of Object.keys(labels).sort()) key += `\u0000${name}=${labels[name]}`;
    let s = this.series.get(key);
    if (!s) {
      s = new MetricSeries(this, job, metric, labels);
      this.series.set(key, s);
    }
    this.byCallOrder.set(fast, s);
    return s;
  }

  /**
   * A restarted process: the counters it exports (the series of `job` labelled with its pod) start
   * again from zero, as `rate()` must handle.
   */
  restartTarget(job: string, pod: string): void {
    for (const s of this.series.values()) if (s.job === job && s.labels.pod === pod) s.reset();
  }

  /** The scrape of `job` fails this tick: none of its series get a sample. */
  down(job: string): void {
    this.downJobs.add(job);
  }

  isDown(job: string): boolean {
    return this.downJobs.has(job);
  }

  beginTick(t: number): void {
    this.now = t;
    this.downJobs.clear();
  }

  all(): MetricSeries[] {
    return [...this.series.values()].filter((s) => s.t.length > 0);
  }
}

export type Level = "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL";

/** Who wrote a log line: the Kubernetes metadata a log shipper attaches. */
export interface LogSource {
  workload: string;
  namespace: string;
  pod: string;
  container: string;
  node?: string;
}

export interface LogLine {
  t: number;
  level: Level;
  message: string;
  source: LogSource;
  traceId?: string;
  spanId?: string;
}

/** A message, or a function of the randomness that writes one (ids, durations, counts vary per line). */
export type MessageText = string | ((rng: Rng) => string);

export class LogRecorder {
  readonly lines: LogLine[] = [];
  /** Lines a log shipper would have dropped for being over its rate budget, per workload. */
  readonly dropped = new Map<string, number>();

  constructor(private readonly rng: Rng) {}

  line(line: LogLine): void {
    this.lines.push(line);
  }

  /**
   * About `rate × dt` lines (Poisson) of `text` from `source`, spread over the tick `[t, t + dt)`.
   * Returns the number written.
   */
  emit(source: LogSource, level: Level, text: MessageText, rate: number, t: number, dt: number): number {
    const n = this.rng.poisson(rate * dt);
    for (let i = 0; i < n; i++) {
      const message = typeof text === "string" ? text : text(this.rng);
      this.lines.push({ t: t + this.rng.next() * dt, level, message, source });
    }
    return n;
  }
}

export type EventType = "Normal" | "Warning";

export interface InvolvedObject {
  kind: string;
  name: string;
  namespace?: string;
}

export interface KubeEvent {
  involved: InvolvedObject;
  reason: string;
  message: string;
  type: EventType;
  component: string;
  first: number;
  last: number;
  count: number;
}

/** Kubernetes events, aggregated as the API server does: a repeat raises `count` and `lastTimestamp`. */
export class EventRecorder {
  private readonly events = new Map<string, KubeEvent>();

  private muted = false;

  /** Stops recording until the returned function is called: for what happened before the recording. */
  mute(): () => void {
    this.muted = true;
    return () => {
      this.muted = false;
    };
  }

  emit(t: number, involved: InvolvedObject, type: EventType, reason: string, message: string, component: string): void {
    if (this.muted) return;
    const key = `${involved.kind}/${involved.namespace ?? ""}/${involved.name}/${reason}/${message}`;
    const prior = this.events.get(key);
    if (prior) {
      prior.count++;
      prior.last = t;
      return;
    }
    this.events.set(key, { involved, reason, message, type, component, first: t, last: t, count: 1 });
  }

  all(): KubeEvent[] {
    return [...this.events.values()].sort((a, b) => a.first - b.first);
  }
}

export interface SimSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  service: string;
  pod: string;
  namespace: string;
  name: string;
  kind: "SERVER" | "CLIENT" | "PRODUCER" | "CONSUMER" | "INTERNAL";
  start: number;
  end: number;
  error: boolean;
  attributes: Record<string, string | number>;
}

export class TraceRecorder {
  readonly spans: SimSpan[] = [];

  span(span: SimSpan): void {
    this.spans.push(span);
  }
}
