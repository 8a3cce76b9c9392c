/** Runs every detector over the Case and window (DESIGN.md, step 3). */
import type { Case } from "../case/model.js";
import { detectChanges } from "./changes.js";
import { dependencyEvidence } from "./dependencyLogs.js";
import { detectLogChanges } from "./logs.js";
import { detectSeriesAnomalies } from "./seriesAnomaly.js";
import { detectTraceChanges } from "./traces.js";
import type { Evidence, Window } from "./types.js";

/**
 * How long before the alert the fault may have begun. Alert rules fire after a condition has held for a
 * while (Prometheus `for: 1m` or `2m` are common), so the onset often precedes the alert time by a minute
 * or two; data from that stretch would otherwise sit in the baseline and hide the change.
 */
export const ALERT_LAGS_SECONDS = [0, 60, 120];

function detectAt(c: Case, window: Window, nextId: () => string): Evidence[] {
  const logs = detectLogChanges(c, window, nextId);
  return [
    ...detectSeriesAnomalies(c, window, nextId),
    ...logs,
    ...dependencyEvidence(c, logs, nextId),
    ...detectChanges(c, window, nextId),
    ...detectTraceChanges(c, window, nextId),
  ];
}

/**
 * Evidence for the window, trying each plausible onset before its alert time: every signal is judged from
 * the onset at which it shows most strongly, so one that began before the alert is not lost in the baseline.
 */
export function detectEvidence(c: Case, window: Window): Evidence[] {
  const strongest = new Map<string, Evidence>();
  const scratchId = () => "";
  for (const lag of ALERT_LAGS_SECONDS) {
    for (const e of detectAt(c, { ...window, at: window.at - lag }, scratchId)) {
      const key = `${e.entity}\u0000${e.type}\u0000${e.signal}`;
      const seen = strongest.get(key);
      if (!seen || e.strength > seen.strength) strongest.set(key, e);
    }
  }
  let n = 0;
  return [...strongest.values()].map((e) => ({ ...e, id: `e${++n}` }));
}
