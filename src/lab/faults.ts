/**
 * The faults (and look-alikes) a lab scenario applies after its baseline, as data
 * (`{ kind: "surge", factor: 3 }`), and how each is applied to the running shop and servers. A new
 * fault is one entry in `FaultSpecs` and one in `APPLY`.
 */
import type { LoadGenerator } from "./load.js";
import type { Monitoring } from "./monitoring.js";
import type { ShaperSpec } from "./netns.js";
import type { PoolerCluster } from "./pooler.js";
import type { Backends } from "./servers.js";
import type { Level } from "./shop/log.js";
import type { ServiceVersion, Shop } from "./shop.js";

export interface FaultSpecs {
  /** A rolling update of one service to a new version. */
  redeploy: { service: string; version: ServiceVersion };
  /** The load generator's rate multiplied. */
  surge: { factor: number };
  /** The node under the scenario's pooler terminated without drain (PoolerCluster.vanish). */
  "node-vanish": Record<never, never>;
  /** The node under the scenario's pooler drained as planned, then terminated (PoolerCluster.drain). */
  "node-drain": Record<never, never>;
  /** A rate limit on what the node under the scenario's pooler sends (PoolerCluster.limitRate). */
  "node-rate-limit": ShaperSpec;
  /** A service's log level changed at runtime on every pod; set back to INFO after `forSeconds` when given. */
  "log-level": { service: string; level: Level; forSeconds?: number };
}

export type FaultKind = keyof FaultSpecs;
type FaultOf<K extends FaultKind> = { kind: K } & FaultSpecs[K];
export type LabFault = { [K in FaultKind]: FaultOf<K> }[FaultKind];

/** What a fault can act on: the shop, the load, the servers the scenario started. */
export interface FaultContext {
  shop: Shop;
  load: LoadGenerator;
  /** The front door's rate before the fault (requests/s). */
  rps: number;
  backends: Backends;
  /** The lab's Prometheus, whose discovered targets follow pods that move. */
  monitoring: Monitoring;
  signal: AbortSignal;
}

/** Applies the fault; returns one line saying what was done. */
type Apply<K extends FaultKind> = (fault: FaultSpecs[K], ctx: FaultContext) => Promise<string>;

const APPLY: { [K in FaultKind]: Apply<K> } = {
  async redeploy({ service, version }, { shop }) {
    const pods = await shop.deploy(service, version);
    return `redeployed ${service} as ${pods.join(", ")}`;
  },
  async surge({ factor }, { load, rps }) {
    load.setRate(rps * factor);
    return `traffic ×${factor} (${rps * factor} requests/s)`;
  },
  "node-vanish": (_fault, { backends, monitoring, signal }) => poolerOf(backends).vanish(monitoring, signal),
  "node-drain": (_fault, { backends, monitoring, signal }) => poolerOf(backends).drain(monitoring, signal),
  "node-rate-limit": (spec, { backends }) => poolerOf(backends).limitRate(spec),
  async "log-level"({ service, level, forSeconds }, { shop }) {
    await shop.setLogLevel(service, level);
    if (forSeconds === undefined) return `${service}'s log level set to ${level}`;
    // The run outlives the window; should it end first, the shop is gone and there is nothing to set back.
    setTimeout(() => void shop.setLogLevel(service, "INFO").catch(() => {}), forSeconds * 1000).unref();
    return `${service}'s log level set to ${level} for ${forSeconds}s`;
  },
};

function poolerOf(backends: Backends): PoolerCluster {
  if (!backends.pooler) throw new Error("a node fault needs a scenario that runs the pooler server");
  return backends.pooler;
}

export function applyFault<K extends FaultKind>(fault: FaultOf<K>, ctx: FaultContext): Promise<string> {
  const apply: Apply<K> = APPLY[fault.kind];
  return apply(fault, ctx);
}
