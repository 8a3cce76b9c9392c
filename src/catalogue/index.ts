/** The registry of fault kinds: adding a kind is adding one file and a line here. */
import { badDeploy } from "./badDeploy.js";
import { codeError } from "./codeError.js";
import { cpuSaturation } from "./cpuSaturation.js";
import { diskIoSaturation } from "./diskIo.js";
import { memoryLeak } from "./memoryLeak.js";
import { networkLatency } from "./networkLatency.js";
import { packetLoss } from "./packetLoss.js";
import type { FaultKind } from "./types.js";

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

export function faultKind(id: string): FaultKind | undefined {
  return CATALOGUE.find((k) => k.id === id);
}
