/**
 * The discrete-time world: models advance one tick at a time in phase order, the timeline changes the
 * scenario's values as it goes, and every model writes its telemetry into the shared recorders.
 */
import { Rng } from "./rng.js";
import { type Json, type Scenario, setAtPath, valueAtPath } from "./scenario.js";
import { EventRecorder, LogRecorder, MetricRecorder, TraceRecorder } from "./telemetry.js";

export interface Tick {
  /** Tick number from 0. */
  i: number;
  /** Unix seconds at the start of the tick. */
  t: number;
  /** Seconds since the scenario start. */
  offset: number;
  /** Tick length, seconds. */
  dt: number;
}

/**
 * A simulated component. `step` runs in ascending phase order; `observe` runs after every model has
 * stepped, so what a model reports reflects the whole tick (a node sums the usage of its pods).
 */
export interface Model {
  readonly name: string;
  readonly phase: number;
  step?(tick: Tick): void;
  observe?(tick: Tick): void;
}

/** Phases: infrastructure first, then what serves requests (callees before callers), then observers. */
export const PHASE = {
  infrastructure: 0,
  datastore: 10,
  workload: 20,
  service: 30,
  observer: 90,
} as const;

interface ActiveChange {
  path: string;
  from: Json | undefined;
  to: Json;
  at: number;
  ramp: number;
}

export class World {
  readonly metrics = new MetricRecorder();
  readonly logs: LogRecorder;
  readonly events = new EventRecorder();
  readonly traces = new TraceRecorder();
  /**
   * What the run decided that a scenario's truth may name as `{key}`: e.g. which node an Auto Scaling
   * group terminated (node names come from the run, not from the scenario file).
   */
  readonly facts = new Map<string, string>();
  readonly rng: Rng;
  private readonly models = new Map<string, Model>();
  private readonly ramps: ActiveChange[] = [];
  private nextChange = 0;

  constructor(
    readonly scenario: Scenario,
    readonly seed: number,
  ) {
    this.rng = new Rng(seed, scenario.name);
    this.logs = new LogRecorder(this.rng.fork("logs"));
  }

  add(model: Model): void {
    this.models.set(model.name, model);
  }

  /** The model named `name`; `what` says what the caller needed it for, for the error. */
  get<T extends Model>(name: string, what: string): T {
    const model = this.models.get(name);
    if (!model) throw new Error(`${what}: no component named ${name} in scenario ${this.scenario.name}`);
    return model as T;
  }

  find<T extends Model>(name: string): T | undefined {
    return this.models.get(name) as T | undefined;
  }

  /** Applies the timeline entries due by `offset`, and moves ramps along. */
  private applyTimeline(offset: number): void {
    const { timeline, doc } = this.scenario;
    while (this.nextChange < timeline.length && timeline[this.nextChange].at <= offset) {
      const entry = timeline[this.nextChange++];
      for (const [path, to] of Object.entries(entry.set)) {
        const from = valueAtPath(doc, path);
        const numeric = typeof from === "number" && typeof to === "number";
        if (numeric && entry.ramp > 0) this.ramps.push({ path, from, to, at: entry.at, ramp: entry.ramp });
        else setAtPath(doc, path, to, `timeline at ${entry.at}s`);
      }
    }
    for (let i = this.ramps.length - 1; i >= 0; i--) {
      const r = this.ramps[i];
      const f = Math.min(1, (offset - r.at) / r.ramp);
      const value = (r.from as number) + ((r.to as number) - (r.from as number)) * f;
      setAtPath(doc, r.path, value, `timeline at ${r.at}s`);
      if (f >= 1) this.ramps.splice(i, 1);
    }
  }

  run(onTick?: (done: number, total: number) => void): void {
    const { start, duration, step } = this.scenario;
    const ordered = [...this.models.values()].sort((a, b) => a.phase - b.phase);
    const ticks = Math.floor(duration / step);
    for (let i = 0; i < ticks; i++) {
      const offset = i * step;
      const tick: Tick = { i, t: start + offset, offset, dt: step };
      this.applyTimeline(offset);
      // A scrape at the end of the tick reports what happened during it.
      this.metrics.beginTick(tick.t + tick.dt);
      for (const m of ordered) m.step?.(tick);
      for (const m of ordered) m.observe?.(tick);
      onTick?.(i + 1, ticks);
    }
  }
}
