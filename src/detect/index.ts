/** Runs every detector over the Case and window (DESIGN.md, step 3). */
import type { Case } from "../case/model.js";
import { buildTopology } from "../case/topology.js";
import { detectBrokerStorm } from "./brokerStorm.js";
import { detectChanges } from "./changes.js";
import { detectDbConnections } from "./dbConnections.js";
import { dependencyEvidence } from "./dependencyLogs.js";
import { baselineEpisodes } from "./episodes.js";
import { detectLogFloods } from "./logFlood.js";
import { detectLogChanges } from "./logs.js";
import { detectMemoryLimits } from "./memoryLimit.js";
import { detectNetworkAllowance } from "./networkAllowance.js";
import { detectNewWorkloads } from "./newWorkloads.js";
import { detectNodeCapacity } from "./nodeCapacity.js";
import { detectNodeLifecycle } from "./nodeLifecycle.js";
import { resourceSpan } from "./resourceSeries.js";
import { detectSeriesAnomalies } from "./seriesAnomaly.js";
import { detectSilence } from "./silence.js";
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

/** What the detectors found, and the window they judged it by (its normal's end and left-out episodes). */
export interface Detected {
  evidence: Evidence[];
  judged: Window;
}

/**
 * Evidence for the window, trying each plausible onset before its alert time: every signal is judged from
 * the onset at which it shows most strongly, so one that began before the alert is not lost in the baseline.
 */
export function detectEvidence(c: Case, window: Window): Detected {
  let n = 0;
  const nextId = () => `e${++n}`;
  const resources = detectResources(c, window, nextId);
  const judged = judgedWindow(c, window, resources);
  const strongest = new Map<string, Evidence>();
  const scratchId = () => "";
  for (const lag of ALERT_LAGS_SECONDS) {
    for (const e of detectAt(c, { ...judged, at: window.at - lag }, scratchId)) {
      const key = `${e.entity}\u0000${e.type}\u0000${e.signal}`;
      const seen = strongest.get(key);
      if (!seen || e.strength > seen.strength) strongest.set(key, e);
    }
  }
  return { evidence: [...resources, ...[...strongest.values()].map((e) => ({ ...e, id: nextId() }))], judged };
}

/**
 * The window the statistical detectors judge by: normal ends at the incident's onset (unless the user
 * named the baseline), and each entity's earlier episodes inside it are left out of its normal.
 */
function judgedWindow(c: Case, window: Window, resources: Evidence[]): Window {
  const ended = window.baselineGiven ? window : { ...window, baselineEnd: incidentOnset(resources, window) };
  return { ...ended, episodes: baselineEpisodes(c, ended) };
}

/**
 * A resource check that held this strongly marks where the incident began; the statistical detectors'
 * normal then ends there, so saturation already present when the alert fired is not taken for normal.
 */
const ONSET_STRENGTH = 0.9;

/** The incident's onset when a strong resource finding began before the alert (and its lags); else none. */
export function incidentOnset(resources: Evidence[], window: Window): number | undefined {
  const earliest = Math.min(
    ...resources
      .filter((e) => e.check !== undefined && e.strength >= ONSET_STRENGTH && e.type !== "change")
      .map((e) => e.start),
  );
  const latestLag = Math.max(...ALERT_LAGS_SECONDS);
  return earliest < window.at - latestLag ? earliest : undefined;
}

/**
 * The catalogue's checks on resources, limits, lifecycle and new workloads. They carry their own
 * lookback (a limit is often reached well before the alert), so they run once, not per alert lag.
 */
export function detectResources(c: Case, window: Window, nextId: () => string): Evidence[] {
  const topology = buildTopology(c);
  const span = resourceSpan(c, window);
  return [
    ...detectDbConnections(c, topology, span, nextId),
    ...detectBrokerStorm(c, topology, span, nextId),
    ...detectNewWorkloads(topology, span, nextId),
    ...detectNodeCapacity(c, topology, span, nextId),
    ...detectNetworkAllowance(c, topology, span, nextId),
    ...detectNodeLifecycle(c, topology, span, nextId),
    ...detectSilence(c, span, nextId),
    ...detectLogFloods(c, span, nextId),
    ...detectMemoryLimits(c, span, nextId),
  ];
}
