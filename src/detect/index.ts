/** Runs every detector over the Case and window (DESIGN.md, step 3). */
import type { Case } from "../case/model.js";
import { detectLogChanges } from "./logs.js";
import { detectSeriesAnomalies } from "./seriesAnomaly.js";
import { detectTraceChanges } from "./traces.js";
import type { Evidence, Window } from "./types.js";

export function detectEvidence(c: Case, window: Window): Evidence[] {
  let n = 0;
  const nextId = () => `e${++n}`;
  return [
    ...detectSeriesAnomalies(c, window, nextId),
    ...detectLogChanges(c, window, nextId),
    ...detectTraceChanges(c, window, nextId),
  ];
}
