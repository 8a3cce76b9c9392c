/**
 * One lab run: start the real servers and the shop, drive a healthy baseline, apply the fault, wait
 * for the alert, record everything Prometheus scraped plus the pods' logs, and stop every process it
 * started (also on error and on abort) before deleting its scratch directory.
 */
import { DEFAULT_TIMINGS, type LabTimings } from "./timings.js";

export { DEFAULT_TIMINGS, type LabTimings };

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderJson } from "../diagnosis/renderJson.js";
import type { Diagnosis } from "../diagnosis/types.js";
import { analyzeLive } from "../live/index.js";
import type { ExportIndex } from "../read/exportIndex.js";
import { applyFault } from "./faults.js";
import { LoadGenerator } from "./load.js";
import { startPrometheus } from "./monitoring.js";
import { ProcessGroup } from "./processes.js";
import { labSource, recordRun } from "./record.js";
import { BINARIES, type Binary, requireBinaries } from "./requirements.js";
import type { LabScenario } from "./scenarios.js";
import { type Backends, describeServer, serverBinaries, startServers } from "./servers.js";
import { Shop } from "./shop.js";

/** Scratch directories are made under the system's temp dir with this prefix (tests look for leftovers by it). */
export const SCRATCH_PREFIX = "beneath-lab-scratch-";
/** Beside truth.json: the live diagnosis as `analyze --format json` writes it, to compare with the exported files' one. */
export const LIVE_DIAGNOSIS_FILE = "live-diagnosis.json";
/** The front door's error alert: 5xx share over the last ALERT_WINDOW_S seconds, with enough answers to mean it. */
const ALERT_ERROR_SHARE = 0.05;
const ALERT_WINDOW_S = 10;
const ALERT_MIN_ANSWERS = 20;

export interface LabTruthFile {
  scenario: string;
  root_cause: { entity: string; kind: string } | null;
  fault_start: string;
  alert_time: string;
  notes: string;
}

export interface LabRunResult {
  caseDir: string;
  truth: LabTruthFile;
  alertTime: number;
  /** The export's index (what was pulled). */
  recording: ExportIndex;
  /** The diagnosis made through the live source (the lab's Prometheus and the pods' log files) before anything stopped. */
  liveDiagnosis: Diagnosis;
  /** PIDs the run started; all stopped when it returns. */
  startedPids: number[];
  scratch: string;
}

/** A lab run that could not reproduce its incident (no alert in time): not a diagnosis to judge. */
export class LabRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabRunError";
  }
}

/** What a scenario runs: its servers' binaries and the Prometheus that scrapes them. */
export function binariesFor(scenario: LabScenario): Binary[] {
  return [...scenario.servers.flatMap(serverBinaries), BINARIES.prometheus];
}

function abortableSleep(seconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, seconds * 1000);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

const now = () => Date.now() / 1000;
const iso = (t: number) => new Date(t * 1000).toISOString();

export interface LabRunOptions {
  out: string;
  timings: LabTimings;
  signal: AbortSignal;
  /** Progress lines (stderr). */
  say: (line: string) => void;
  /** Where the scratch directory is made (default: the system's temp dir). */
  scratchRoot?: string;
  /** The group its processes are started in (tests pass their own to check every PID is gone). */
  group?: ProcessGroup;
}

export async function runLab(scenario: LabScenario, options: LabRunOptions): Promise<LabRunResult> {
  const { timings, signal, say } = options;
  requireBinaries(binariesFor(scenario));
  const scratch = await mkdtemp(join(options.scratchRoot ?? tmpdir(), SCRATCH_PREFIX));
  const group = options.group ?? new ProcessGroup();
  let shop: Shop | undefined;
  let load: LoadGenerator | undefined;
  const backends: Backends = {};
  const cleanups: (() => Promise<void>)[] = [];
  try {
    say(`scratch ${scratch}; starting ${scenario.servers.map(describeServer).join(", ")}`);
    const serverJobs = await startServers(scenario.servers, {
      group,
      scratch,
      services: scenario.services,
      versions: scenario.versions,
      backends,
      cleanups,
    });
    const monitoring = await startPrometheus(
      group,
      scratch,
      [...serverJobs, ...scenario.services.map((s) => ({ job: s.name }))],
      timings.scrapeSeconds,
    );
    shop = new Shop(group, scratch, monitoring, backends, scenario.namespace, scenario.services);
    await shop.start(scenario.versions);
    const totalSeconds = timings.baselineSeconds + timings.maxFaultSeconds + timings.afterAlertSeconds;
    load = new LoadGenerator(shop.entryUrl(), scenario.rps);
    load.start(totalSeconds);
    say(`baseline: ${scenario.rps} requests/s for ${timings.baselineSeconds}s`);
    await abortableSleep(timings.baselineSeconds, signal);

    const faultStart = now();
    say(`fault: ${await applyFault(scenario.fault, { shop, load, rps: scenario.rps, backends, monitoring, signal })}`);
    const alertTime = await waitForAlert(scenario, load, monitoring.prometheusUrl, faultStart, timings, signal);
    say(
      `alert at ${iso(alertTime)} (${Math.round(alertTime - faultStart)}s after the fault); running ${timings.afterAlertSeconds}s more`,
    );
    await abortableSleep(timings.afterAlertSeconds, signal);
    const end = Math.ceil(now());
    await load.drain();
    // Two more scrapes, so the last seconds of the run are in Prometheus before it is read.
    await abortableSleep(2 * timings.scrapeSeconds, signal);

    const caseDir = join(options.out, "case");
    await rm(options.out, { recursive: true, force: true });
    await shop.close();
    const pulled = { prometheusUrl: monitoring.prometheusUrl, alertTime, end, stepSeconds: timings.scrapeSeconds };
    const recording = await recordRun({ ...pulled, logDir: shop.logDir, scratch, caseDir });
    // As `beneath analyze --prometheus <url> --at <alert> --logs <dir>` would, while Prometheus still runs.
    const { diagnosis: liveDiagnosis } = await analyzeLive(labSource(pulled), [shop.logDir]);
    const truth: LabTruthFile = {
      scenario: scenario.name,
      root_cause: scenario.truth.root_cause,
      fault_start: iso(faultStart),
      alert_time: iso(alertTime),
      notes: scenario.truth.notes,
    };
    await writeFile(join(options.out, "truth.json"), `${JSON.stringify(truth, null, 2)}\n`);
    await writeFile(join(options.out, LIVE_DIAGNOSIS_FILE), renderJson(liveDiagnosis));
    say(`recorded ${recording.metrics.length} metrics (${recording.series_pulled} series) and the logs to ${caseDir}`);
    return { caseDir, truth, alertTime, recording, liveDiagnosis, startedPids: group.startedPids(), scratch };
  } finally {
    load?.close();
    await shop?.close().catch(() => {});
    await group.stopAll();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await rm(scratch, { recursive: true, force: true });
  }
}

async function waitForAlert(
  scenario: LabScenario,
  load: LoadGenerator,
  prometheusUrl: string,
  faultStart: number,
  timings: LabTimings,
  signal: AbortSignal,
): Promise<number> {
  const { alert } = scenario;
  if ("afterSeconds" in alert) {
    await abortableSleep(alert.afterSeconds, signal);
    return Math.floor(now());
  }
  const deadline = faultStart + timings.maxFaultSeconds;
  let holdsSince: number | undefined;
  while (now() < deadline) {
    await abortableSleep(1, signal);
    if ("rule" in alert) {
      // Pending until it has held `forSeconds`, as a Prometheus rule's `for:` keeps it.
      holdsSince = (await ruleHolds(prometheusUrl, alert.rule)) ? (holdsSince ?? now()) : undefined;
      if (holdsSince !== undefined && now() - holdsSince >= (alert.forSeconds ?? 0)) return Math.floor(now());
      continue;
    }
    const { share, answers } = load.failureShare(now(), ALERT_WINDOW_S);
    if (answers >= ALERT_MIN_ANSWERS && share >= ALERT_ERROR_SHARE) return Math.floor(now());
  }
  const what =
    "rule" in alert
      ? `the alert rule ${alert.rule} never fired`
      : `5xx share over ${ALERT_WINDOW_S}s never reached ${ALERT_ERROR_SHARE * 100}%`;
  throw new LabRunError(`${scenario.name}: no alert within ${timings.maxFaultSeconds}s of the fault (${what})`);
}

/** Whether a PromQL alert expression returns anything now on the lab's Prometheus (as its rule evaluation would). */
async function ruleHolds(prometheusUrl: string, rule: string): Promise<boolean> {
  const url = `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(rule)}`;
  const answer = (await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).json()) as {
    data?: { result?: unknown[] };
  };
  return (answer.data?.result?.length ?? 0) > 0;
}
