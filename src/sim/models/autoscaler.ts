/**
 * Horizontal Pod Autoscalers (autoscaling/v2): an `hpa` on the CPU utilisation of its target's pods,
 * or a KEDA `scaledobject`, which creates an HPA named `keda-hpa-<name>` on an external metric — a
 * Prometheus query KEDA evaluates against what was scraped. Either writes its target's `replicas`
 * as an HPA writes the Deployment's spec.replicas: scale-ups as fast as the behavior policy allows,
 * scale-downs only to the highest recommendation of the stabilization window. Reports the
 * kube-state-metrics HPA series and the controller's SuccessfulRescale events.
 */
import { ScenarioError, setAtPath, valueAtPath } from "../scenario.js";
import type { Spec } from "../spec.js";
import type { MetricRecorder, MetricSeries } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import { KSM, type Workload } from "./cluster.js";

/** The HPA controller ignores changes within 10% of the target (--horizontal-pod-autoscaler-tolerance). */
const TOLERANCE = 0.1;
/** autoscaling/v2 defaults: scale up by 100% or 4 pods per 15 s, whichever is more; scale down after 300 s. */
const DEFAULT_SCALE_UP_PODS = 4;
const DEFAULT_SCALE_UP_PERIOD = 15;
const DEFAULT_SCALE_DOWN_WINDOW = 300;
/** The one PromQL form this model evaluates: a sum of per-second rates of a counter. */
const SUM_OF_RATES = /^\s*sum\s*\(\s*rate\s*\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\[\s*(\d+)([smh])\s*\]\s*\)\s*\)\s*$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** A model an autoscaler can scale: it runs its pods as a workload. */
interface Scalable extends Model {
  workload: Workload;
}

/** The per-second rate of a counter over `window` seconds up to `now`, counter resets included. */
export function counterRate(series: MetricSeries, now: number, window: number): number {
  let first = -1;
  for (let i = 0; i < series.t.length; i++) {
    if (series.t[i] > now - window && series.t[i] <= now) {
      first = i;
      break;
    }
  }
  if (first < 0) return 0;
  let last = first;
  let increase = 0;
  for (let i = first + 1; i < series.t.length && series.t[i] <= now; i++) {
    const delta = series.v[i] - series.v[i - 1];
    increase += delta >= 0 ? delta : series.v[i];
    last = i;
  }
  const span = series.t[last] - series.t[first];
  return span > 0 ? increase / span : 0;
}

/** `sum(rate(<counter>[<window>]))` over the series scraped so far. */
export function sumOfRates(metrics: MetricRecorder, query: string, now: number, where: string): number {
  const match = SUM_OF_RATES.exec(query);
  if (!match) throw new ScenarioError(`${where}: only sum(rate(<counter>[<window>])) queries are supported`);
  const window = Number(match[2]) * UNIT_SECONDS[match[3]];
  let sum = 0;
  for (const s of metrics.all()) if (s.metric === match[1]) sum += counterRate(s, now, window);
  return sum;
}

export class Autoscaler implements Model {
  /** Before the workloads it scales, which read their replicas when they step. */
  readonly phase = PHASE.workload - 1;
  readonly hpaName: string;
  private readonly keda: boolean;
  private recommendations: { t: number; replicas: number }[] = [];
  private desired = 0;
  private exists = false;

  constructor(
    readonly name: string,
    private readonly spec: Spec,
    private readonly world: World,
  ) {
    this.keda = spec.str("type") === "scaledobject";
    this.hpaName = this.keda ? `keda-hpa-${name}` : spec.str("name", name);
    // Fail on a bad trigger or target utilisation now, not an hour into the run.
    if (this.keda) sumOfRates(world.metrics, spec.str("trigger.query"), 0, `${spec.path}.trigger.query`);
    else spec.num("targetCPUUtilization");
  }

  private target(): Scalable {
    const target = this.world.get<Scalable>(this.spec.str("target"), `${this.spec.path}.target`);
    if (!target.workload) throw new ScenarioError(`${this.spec.path}.target: ${target.name} runs no pods to scale`);
    return target;
  }

  private min(): number {
    return this.spec.num(this.keda ? "minReplicaCount" : "minReplicas", 1);
  }

  private max(): number {
    return this.spec.num(this.keda ? "maxReplicaCount" : "maxReplicas");
  }

  private replicasPath(target: Scalable): string {
    return `components.${target.name}.replicas`;
  }

  /** What the metric asks for: ceil(value / threshold) for KEDA's AverageValue, else by CPU utilisation. */
  private recommend(target: Scalable, current: number, t: number): number {
    if (this.keda) {
      const value = sumOfRates(
        this.world.metrics,
        this.spec.str("trigger.query"),
        t,
        `${this.spec.path}.trigger.query`,
      );
      return Math.ceil(value / this.spec.num("trigger.threshold"));
    }
    const pods = target.workload.pods.filter((p) => p.ready);
    if (pods.length === 0) return current;
    const utilisation = pods.reduce((s, p) => s + p.usage.cpu / target.workload.cpuRequest, 0) / pods.length;
    const ratio = utilisation / this.spec.num("targetCPUUtilization");
    if (Math.abs(ratio - 1) <= TOLERANCE) return current;
    return Math.ceil(pods.length * ratio);
  }

  step(tick: Tick): void {
    if (!this.spec.bool("enabled", true)) return;
    const target = this.target();
    const doc = this.world.scenario.doc;
    const current = Number(valueAtPath(doc, this.replicasPath(target)) ?? target.workload.pods.length);
    if (!this.exists) {
      this.exists = true;
      this.desired = current;
    }
    const recommended = Math.min(this.max(), Math.max(this.min(), this.recommend(target, current, tick.t)));
    const window = this.spec.seconds("scaleDown.stabilizationWindow", DEFAULT_SCALE_DOWN_WINDOW);
    this.recommendations.push({ t: tick.t, replicas: recommended });
    this.recommendations = this.recommendations.filter((r) => r.t > tick.t - window);
    let desired = recommended;
    if (recommended < current) desired = Math.max(...this.recommendations.map((r) => r.replicas));
    desired = Math.min(desired, current + this.scaleUpAllowance(current, tick.dt));
    this.desired = desired;
    if (desired === current) return;
    setAtPath(doc, this.replicasPath(target), desired, this.spec.path);
    this.world.events.emit(
      tick.t,
      { kind: "HorizontalPodAutoscaler", name: this.hpaName, namespace: target.workload.namespace },
      "Normal",
      "SuccessfulRescale",
      `New size: ${desired}; reason: ${desired > current ? `${this.metricName()} above target` : "All metrics below target"}`,
      "horizontal-pod-autoscaler",
    );
  }

  /**
   * Pods a scale-up may add in one tick: the scenario's policy (`scaleUp.pods` per `scaleUp.period`,
   * and `scaleUp.percent` when given), else the autoscaling/v2 default of 4 pods or 100% per 15 s.
   */
  private scaleUpAllowance(current: number, dt: number): number {
    const custom = this.spec.has("scaleUp");
    const pods = this.spec.num("scaleUp.pods", custom ? 0 : DEFAULT_SCALE_UP_PODS);
    const percent = this.spec.num("scaleUp.percent", custom ? 0 : 100);
    const period = this.spec.seconds("scaleUp.period", DEFAULT_SCALE_UP_PERIOD);
    return Math.ceil((Math.max(pods, (current * percent) / 100) * dt) / period);
  }

  /** The metric as the HPA controller names it in its events. */
  private metricName(): string {
    if (!this.keda) return "cpu resource utilization (percentage of request)";
    return `external metric s0-prometheus(&LabelSelector{MatchLabels:map[string]string{scaledobject.keda.sh/name: ${this.name},},MatchExpressions:[]LabelSelectorRequirement{},})`;
  }

  observe(_tick: Tick): void {
    if (!this.exists || !this.spec.bool("enabled", true)) return;
    const target = this.target();
    const m = this.world.metrics;
    const labels = { namespace: target.workload.namespace, horizontalpodautoscaler: this.hpaName };
    m.get(KSM, "kube_horizontalpodautoscaler_info", {
      ...labels,
      scaletargetref_api_version: "apps/v1",
      scaletargetref_kind: "Deployment",
      scaletargetref_name: target.workload.name,
    }).set(1);
    m.get(KSM, "kube_horizontalpodautoscaler_spec_min_replicas", labels).set(this.min());
    m.get(KSM, "kube_horizontalpodautoscaler_spec_max_replicas", labels).set(this.max());
    m.get(KSM, "kube_horizontalpodautoscaler_spec_target_metric", {
      ...labels,
      metric_name: this.keda ? "s0-prometheus" : "cpu",
      metric_target_type: this.keda ? "average" : "utilization",
    }).set(this.keda ? this.spec.num("trigger.threshold") : this.spec.num("targetCPUUtilization") * 100);
    m.get(KSM, "kube_horizontalpodautoscaler_status_current_replicas", labels).set(target.workload.pods.length);
    m.get(KSM, "kube_horizontalpodautoscaler_status_desired_replicas", labels).set(this.desired);
  }
}

export function createAutoscaler(name: string, spec: Spec, world: World): Autoscaler {
  return new Autoscaler(name, spec, world);
}
