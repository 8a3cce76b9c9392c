/**
 * The faults (and look-alikes) a lab scenario applies after its baseline, as data
 * (`{ kind: "surge", factor: 3 }`), and how each is applied to the running shop and servers. A new
 * fault is one entry in `FaultSpecs` and one in `APPLY`.
 */
import type { LoadGenerator } from "./load.js";
import type { Backends } from "./servers.js";
import type { ServiceVersion, Shop } from "./shop.js";

export interface FaultSpecs {
  /** A rolling update of one service to a new version. */
  redeploy: { service: string; version: ServiceVersion };
  /** The load generator's rate multiplied. */
  surge: { factor: number };
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
};

export function applyFault<K extends FaultKind>(fault: FaultOf<K>, ctx: FaultContext): Promise<string> {
  const apply: Apply<K> = APPLY[fault.kind];
  return apply(fault, ctx);
}
