/** Evidence: what a detector found about one entity (DESIGN.md, step 3). */

export type EvidenceType = "anomaly" | "limit" | "log" | "trace" | "silence" | "change" | "lifecycle";

export interface Evidence {
  /** Unique within one analysis, e.g. `e12`. */
  id: string;
  entity: string;
  /** What moved: a metric name, a log template, `latency of A -> B`, ... */
  signal: string;
  type: EvidenceType;
  /** Unix seconds when it started. */
  start: number;
  end?: number;
  /** 0..1, comparable across detectors. */
  strength: number;
  /** One sentence for a person. */
  detail: string;
  /** A short excerpt that shows it: values against baseline, a log line with its count, a trace id. */
  excerpt: string;
  /** Which signal family moved; the reasoner maps families to fault kinds. */
  family: SignalFamily;
  /**
   * The measurement excludes what other entities contribute (a span's own processing time, the network
   * time of calls into a service), so a fault elsewhere cannot have produced it. Latency or errors
   * without it may be a callee's fault showing through.
   */
  own?: boolean;
  /** The numbers behind it, for reports and programs: the incident value (as `detail` states it). */
  value?: number;
  /** The baseline value it is compared against. */
  baseline?: number;
  /** The limit it is measured against, where one is known (max_connections, max pods, a memory limit). */
  limit?: number;
  /** Unit of value, baseline and limit: "bytes", "seconds", "ratio", "connections", "pods", "per second", ... */
  unit?: string;
  /** The series it came from, so a report can draw it against its baseline and limit. */
  series?: { metric: string; labels: Record<string, string> };
  /** The log template it came from. */
  template?: string;
  /** The catalogue check it answers (`db.connections-at-limit`), for the kinds that rest on checks. */
  check?: string;
  /** The entity whose resource it is about, when that is not `entity` (the database a client holds). */
  about?: string;
  /** Named numbers and words a catalogue sentence fills in (`used`, `limit`, `share`, `instanceType`). */
  facts?: Record<string, number | string>;
}

export type SignalFamily =
  | "cpu"
  | "memory"
  | "latency"
  /** Time a service spends in its own code per call (span self time): compute, locks, GC, its own I/O. */
  | "processing"
  | "errors"
  | "network"
  | "packet-loss"
  | "disk"
  | "throughput"
  | "log"
  /** Something new was rolled out to the entity (a ReplicaSet, an image): a fact, not a symptom. */
  | "change"
  /** A resource at or near its limit, who holds it, or an infrastructure object that failed (catalogue checks). */
  | "resource"
  | "other";

/** The analysis window: baseline before `at`, incident from `at` to `end`. Unix seconds. */
export interface Window {
  baselineStart: number;
  /**
   * Where normal ends, when the incident began before the alert (a resource filled half an hour before
   * anyone was paged): the stretch from here to `at` is neither baseline nor incident.
   */
  baselineEnd?: number;
  /**
   * The user named the baseline (`--baseline`, `--baseline-from`): [baselineStart, baselineEnd) is normal
   * wherever it lies, even after the incident, and no onset found in the data moves it.
   */
  baselineGiven?: boolean;
  at: number;
  end: number;
}
