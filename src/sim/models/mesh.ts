/**
 * The request mesh: outside traffic enters at the services that declare it and flows down the call
 * graph (callers first), and a head-sampled share of requests is recorded as traces, span by span,
 * from what each service experienced this tick.
 */
import type { Rng } from "../rng.js";
import type { SimSpan } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import { isTimeout } from "./logTexts.js";
import type { PodOutcome, Service } from "./service.js";

/** OpenTelemetry head sampling: the share of requests traced unless a scenario says otherwise. */
const DEFAULT_SAMPLE_RATE = 0.002;
/** Spread of a span's duration around the pod's median (log-normal sigma). */
const DURATION_SIGMA = 0.35;

export class Mesh implements Model {
  readonly name = "mesh";
  readonly phase = PHASE.workload;
  private readonly rng: Rng;

  constructor(
    private readonly world: World,
    private readonly services: Service[],
  ) {
    this.rng = world.rng.fork("mesh");
  }

  step(_tick: Tick): void {
    const callersFirst = [...this.services].sort((a, b) => b.phase - a.phase);
    for (const s of callersFirst)
      s.inbound = s.spec.has("traffic.rps") ? this.rng.jitter(s.spec.num("traffic.rps"), 0.03) : 0;
    for (const s of callersFirst) {
      for (const callee of s.spec.keys("calls")) {
        const target = this.services.find((x) => x.name === callee);
        if (target) target.inbound += s.inbound * s.spec.num(`calls.${callee}`);
      }
    }
  }

  observe(tick: Tick): void {
    const rate = this.world.scenario.doc.tracing === undefined ? DEFAULT_SAMPLE_RATE : this.sampleRate();
    for (const s of this.services) {
      if (!s.spec.has("traffic.rps")) continue;
      const n = this.rng.poisson(s.inbound * rate * tick.dt);
      for (let i = 0; i < n; i++) {
        this.trace(s, this.rng.hex(16), undefined, tick.t + this.rng.next() * tick.dt);
      }
    }
  }

  private sampleRate(): number {
    const tracing = this.world.scenario.doc.tracing as { sampleRate?: number } | null;
    return typeof tracing?.sampleRate === "number" ? tracing.sampleRate : DEFAULT_SAMPLE_RATE;
  }

  private duration(median: number): number {
    return median * Math.exp(DURATION_SIGMA * this.rng.normal());
  }

  /** Records the server span of `service` and its calls below; returns [end time, failed]. */
  private trace(service: Service, traceId: string, parent: string | undefined, start: number): [number, boolean] {
    const pods = service.outcome.pods;
    if (pods.length === 0) return [start + 0.001, true];
    const o: PodOutcome = this.rng.pick(pods);
    const spanId = this.rng.hex(8);
    const failure = o.failures.find((f) => this.rng.next() < f.share);
    let t = start + this.duration(o.own) / 2;
    let failed = failure?.cause === "code";
    const timedOut = failure && isTimeout(failure.cause);
    for (const calleeName of service.spec.keys("calls")) {
      const calls = service.spec.num(`calls.${calleeName}`);
      const count = Math.floor(calls) + (this.rng.next() < calls % 1 ? 1 : 0);
      const callee = this.services.find((s) => s.name === calleeName);
      if (!callee) continue;
      for (let k = 0; k < count && !failed; k++) {
        const clientId = this.rng.hex(8);
        const network = callee.networkPenalty();
        const [end, childFailed] = this.trace(callee, traceId, clientId, t + network / 2);
        const clientEnd = end + network / 2;
        this.span(service, o, {
          traceId,
          spanId: clientId,
          parentSpanId: spanId,
          name: callee.route(),
          kind: "CLIENT",
          start: t,
          end: clientEnd,
          error: childFailed,
        });
        t = clientEnd;
        if (childFailed) failed = true;
      }
    }
    if (o.dbWait > 0 || service.spec.has("db.target")) t += o.dbWait;
    if (timedOut) t = Math.max(t, start + o.failedLatency);
    t += this.duration(o.own) / 2;
    if (failure && !timedOut) failed = true;
    if (timedOut) failed = true;
    this.span(service, o, {
      traceId,
      spanId,
      parentSpanId: parent,
      name: service.route(),
      kind: "SERVER",
      start,
      end: t,
      error: failed,
    });
    return [t, failed];
  }

  private span(
    service: Service,
    o: PodOutcome,
    s: Pick<SimSpan, "traceId" | "spanId" | "parentSpanId" | "name" | "kind" | "start" | "end" | "error">,
  ): void {
    this.world.traces.span({
      ...s,
      service: service.name,
      pod: o.pod.name,
      namespace: o.pod.namespace,
      attributes: { "http.status_code": s.error ? 500 : 200 },
    });
  }
}
