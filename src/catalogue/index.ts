/** The registry of fault kinds: adding a kind is adding one file and a line here. */
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
];

export function faultKind(id: string): FaultKind | undefined {
  return CATALOGUE.find((k) => k.id === id);
}
