/** The registry of fault kinds: adding a kind is adding one file and a line here. */
import { badDeploy } from "./badDeploy.js";
import { brokerConnectionStorm } from "./brokerConnectionStorm.js";
import { codeError } from "./codeError.js";
import { cpuSaturation } from "./cpuSaturation.js";
import { dbConnectionHoarding } from "./dbConnectionHoarding.js";
import { diskIoSaturation } from "./diskIo.js";
import { loggingFlood } from "./loggingFlood.js";
import { memoryLeak } from "./memoryLeak.js";
import { networkLatency } from "./networkLatency.js";
import { nodeNetworkAllowance } from "./nodeNetworkAllowance.js";
import { nodePodIpExhaustion } from "./nodePodIpExhaustion.js";
import { nodeTerminatedWithoutDrain } from "./nodeTerminatedWithoutDrain.js";
import { packetLoss } from "./packetLoss.js";
import type { CheckedKind, FaultKind } from "./types.js";

/** Kinds told apart by which signal families moved on their root. */
export const CATALOGUE: readonly FaultKind[] = [
  cpuSaturation,
  memoryLeak,
  networkLatency,
  packetLoss,
  diskIoSaturation,
  codeError,
  // After code.error: with no rollout in the data the two tie, and the tie goes to code.error.
  badDeploy,
];

/** Kinds that rest on named checks: a resource at its limit and who holds it, a node that vanished. */
export const CHECKED_KINDS: readonly CheckedKind[] = [
  dbConnectionHoarding,
  brokerConnectionStorm,
  nodePodIpExhaustion,
  nodeNetworkAllowance,
  nodeTerminatedWithoutDrain,
  loggingFlood,
];

export function faultKind(id: string): FaultKind | undefined {
  return [...CATALOGUE, ...CHECKED_KINDS].find((k) => k.id === id);
}
