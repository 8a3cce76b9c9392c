/**
 * `npm run bench:accuracy`: the real-data accuracy benchmark. Runs our engine and the BARO reference
 * on every labelled case of ../shared/datasets (or $BENEATH_DATASETS) under each protocol, one case
 * after another, prints a table per dataset, the published figures and the timing, and writes every
 * figure and per-case detail to bench/results/accuracy.json for later comparison.
 *
 * Flags: --dataset <name>, --protocol <name> (given, late, none for sock-shop; per-case, reference,
 * hour-before for train-ticket), --case <prefix> (to run a subset).
 * Exit codes: 0 whatever the accuracy, 2 bad usage, 1 internal failure.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { analyze, baselineFrom } from "../src/analyze.js";
import type { Case } from "../src/case/model.js";
import type { Cause, Diagnosis } from "../src/diagnosis/types.js";
import { readCase } from "../src/read/index.js";
import { BARO_EPSILON, BARO_REFERENCE, type BaroVariant, baroRank } from "./baro.js";
import { reliabilityBlock } from "./calibration.js";
import { MINUTE_FILE_KINDS, type PreFaultLikeness, preFaultLikeness } from "./ceiling.js";
import { type CliOverhead, cliOverheadBlock, measureCliOverhead } from "./cliOverhead.js";
import {
  ADAPTERS,
  type Adapter,
  type CaseMinutes,
  datasetNames,
  datasetsRoot,
  FAULT_KINDS,
  type Label,
  type Plan,
  PROTOCOLS,
  type Protocol,
  readLabels,
} from "./datasets.js";
import { K_MAX, rankOfTruth } from "./metrics.js";
import { PUBLISHED } from "./published.js";
import {
  type BaroAnswer,
  type CaseResult,
  ceilingBlock,
  datasetBlock,
  failuresBlock,
  LEGEND,
  publishedBlock,
  type Row,
  rowsOf,
  timingBlock,
  timingOf,
} from "./report.js";

/** Causes asked of the engine: more than K_MAX so a near miss still shows its rank in the details. */
const CAUSES_ASKED = 10;

const RESULTS_FILE = fileURLToPath(new URL("../../bench/results/accuracy.json", import.meta.url));

class UsageError extends Error {}

interface Selection {
  datasets: string[];
  protocols: readonly Protocol[];
  casePrefix?: string;
}

function parseSelection(root: string): Selection {
  const { values } = parseArgs({
    options: { dataset: { type: "string" }, protocol: { type: "string" }, case: { type: "string" } },
  });
  const known = datasetNames(root);
  if (values.dataset !== undefined && !known.includes(values.dataset)) {
    throw new UsageError(`--dataset must be one of ${known.join(", ")} (datasets in ${root})`);
  }
  if (values.protocol !== undefined && !PROTOCOLS.includes(values.protocol as Protocol)) {
    throw new UsageError(`--protocol must be one of ${PROTOCOLS.join(", ")}`);
  }
  const adapter = values.dataset === undefined ? undefined : ADAPTERS[values.dataset];
  if (adapter && values.protocol !== undefined && !adapter.protocols.includes(values.protocol as Protocol)) {
    throw new UsageError(
      `--protocol ${values.protocol} does not apply to ${values.dataset} (its protocols: ${adapter.protocols.join(", ")})`,
    );
  }
  return {
    datasets: values.dataset !== undefined ? [values.dataset] : known,
    protocols: values.protocol !== undefined ? [values.protocol as Protocol] : PROTOCOLS,
    casePrefix: values.case,
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
}

/** Our engine on one case under one protocol; a throw is recorded as a miss with its message. */
async function runOurs(
  plan: Plan | Error,
  label: Label,
): Promise<{ result: CaseResult["ours"]; diagnosis?: Diagnosis }> {
  const miss = (error: string) => ({ result: { top5: [], rank: null, time_ms: null, error } });
  if (plan instanceof Error) return miss(plan.message);
  try {
    // As `beneath analyze <files> --baseline-from <known-good>` does it: the known-good files' span is
    // the baseline, and they are read with the rest; reading them for their span counts in the time.
    const namedStart = performance.now();
    const baseline = plan.baselineFrom === undefined ? undefined : await baselineFrom(plan.baselineFrom);
    const namingMs = performance.now() - namedStart;
    const diagnosis: Diagnosis = await analyze([...plan.files, ...(plan.baselineFrom ?? [])], {
      top: CAUSES_ASKED,
      ...(plan.at === undefined ? {} : { at: plan.at }),
      ...(baseline === undefined ? {} : { baseline }),
    });
    const causes: Cause[] = diagnosis.causes;
    const rank = rankOfTruth(
      causes.map((c) => c.entity),
      label.root_cause_service,
    );
    const result = {
      top5: causes
        .slice(0, K_MAX)
        .map((c) => ({ entity: c.entity, kind: c.kind, confidence: c.confidence, calibration: c.calibration })),
      rank: rank ?? null,
      time_ms: diagnosis.timing.read_ms + diagnosis.timing.analyze_ms + (baseline === undefined ? 0 : namingMs),
      alert_time: diagnosis.input.alert_time,
    };
    return { result, diagnosis };
  } catch (error) {
    return miss(message(error));
  }
}

/** BARO (both variants) on the case read once through readCase; null when it has no time to work from. */
function runBaro(read: Case | Error, label: Label, at: number | undefined): CaseResult["baro"] {
  if (at === undefined || Number.isNaN(at)) return null;
  const none: BaroAnswer = { top5: [], rank: null };
  if (read instanceof Error) return { at, reference: none, epsilon: none, score_ms: 0, error: read.message };
  const start = performance.now();
  const answer = (variant: BaroVariant): BaroAnswer => {
    const ranked = baroRank(read, at, variant);
    const index = ranked.findIndex((s) => s.service === label.root_cause_service);
    return { top5: ranked.slice(0, K_MAX), rank: index < 0 ? null : index + 1 };
  };
  const reference = answer(BARO_REFERENCE);
  const epsilon = answer(BARO_EPSILON);
  return { at, reference, epsilon, score_ms: performance.now() - start };
}

/** The dataset's labelled cases that --case selects (all without it). */
function selectedLabels(dir: string, selection: Selection): Label[] {
  return readLabels(dir).filter((l) => selection.casePrefix === undefined || l.case.startsWith(selection.casePrefix));
}

interface DatasetRun {
  results: CaseResult[];
  baroReadMs: number[];
  cases: number;
}

async function runDataset(
  root: string,
  dataset: string,
  adapter: Adapter,
  selection: Selection,
  counter: { done: number },
): Promise<DatasetRun> {
  const dir = join(root, dataset);
  const labels = selectedLabels(dir, selection);
  const protocols = adapter.protocols.filter((p) => selection.protocols.includes(p));
  const results: CaseResult[] = [];
  const baroReadMs: number[] = [];
  if (protocols.length === 0) return { results, baroReadMs, cases: 0 };
  const normals = new Map<string, Promise<Case | Error>>();
  for (const label of labels) {
    counter.done++;
    progress(`[${counter.done}] ${dataset} ${label.case}`);
    const expected = { service: label.root_cause_service, kind: FAULT_KINDS[label.fault] ?? `unmapped:${label.fault}` };
    const plans = protocols.map((protocol) => planOf(adapter, dir, label, protocol));
    const read = await readForBaro(plans, baroReadMs);
    for (const [i, protocol] of protocols.entries()) {
      const plan = plans[i];
      const ours = await runOurs(plan, label);
      const at = plan instanceof Error ? undefined : plan.at;
      const baroAt = at ?? alertTimeOf(ours.diagnosis);
      const preFault =
        protocol === "per-case" && MINUTE_FILE_KINDS.has(expected.kind)
          ? await measurePreFault(adapter, dir, label, normals)
          : undefined;
      results.push({
        dataset,
        case: label.case,
        protocol,
        fault: label.fault,
        expected,
        at: at ?? null,
        ...(plan instanceof Error || plan.baselineFrom === undefined ? {} : { baseline_from: plan.baselineFrom }),
        ...(preFault === undefined ? {} : { pre_fault: preFault }),
        ours: ours.result,
        baro: runBaro(read, label, baroAt),
      });
    }
  }
  return { results, baroReadMs, cases: labels.length };
}

function planOf(adapter: Adapter, dir: string, label: Label, protocol: Protocol): Plan | Error {
  try {
    return adapter.plan(dir, label, protocol);
  } catch (error) {
    return new Error(message(error));
  }
}

/**
 * BARO reads a case once: every file any of its protocols gives the engine (not the baselines: BARO
 * takes its normal from before the time). It scores metric series only, and every protocol of a
 * dataset gives the same metrics, so one read serves them all.
 */
async function readForBaro(plans: (Plan | Error)[], readMs: number[]): Promise<Case | Error> {
  const failed = plans.find((p) => p instanceof Error);
  if (failed) return failed;
  const files = [...new Set(plans.flatMap((p) => (p instanceof Error ? [] : p.files)))];
  const start = performance.now();
  const read = await readOrError(files);
  readMs.push(performance.now() - start);
  return read;
}

async function readOrError(files: string[]): Promise<Case | Error> {
  try {
    return await readCase(files);
  } catch (error) {
    return new Error(message(error));
  }
}

/**
 * How far the labelled service's pre-fault minute already looked like the fault (the per-case
 * ceiling). The date's reference minute is read once per run (`normals`, by its files).
 */
async function measurePreFault(
  adapter: Adapter,
  dir: string,
  label: Label,
  normals: Map<string, Promise<Case | Error>>,
): Promise<PreFaultLikeness | undefined> {
  let minutes: CaseMinutes | undefined;
  try {
    minutes = adapter.minutes?.(dir, label);
  } catch {
    return undefined;
  }
  if (minutes === undefined) return undefined;
  const key = minutes.normal.join("\n");
  if (!normals.has(key)) normals.set(key, readOrError(minutes.normal));
  const [normal, pre, fault] = await Promise.all([
    normals.get(key),
    readOrError(minutes.pre),
    readOrError(minutes.fault),
  ]);
  if (normal === undefined || normal instanceof Error || pre instanceof Error || fault instanceof Error)
    return undefined;
  return preFaultLikeness(normal, pre, fault, label.root_cause_service);
}

/** Under "no time", BARO gets the incident time our engine detected, when it reports one. */
function alertTimeOf(diagnosis: Diagnosis | undefined): number | undefined {
  const text = diagnosis?.input.alert_time;
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/**
 * The command line's own cost, on the first selected dataset's cases under its first selected
 * protocol (one with no known-good recording to name, so the command is just files and a time).
 */
async function cliOverheadOf(root: string, selection: Selection): Promise<CliOverhead | undefined> {
  for (const dataset of selection.datasets) {
    const adapter = ADAPTERS[dataset];
    const protocol = adapter?.protocols.find((p) => selection.protocols.includes(p));
    if (!adapter || protocol === undefined) continue;
    const dir = join(root, dataset);
    const plans = selectedLabels(dir, selection)
      .map((label) => planOf(adapter, dir, label, protocol))
      .filter((p): p is Plan => !(p instanceof Error) && p.baselineFrom === undefined);
    if (plans.length === 0) continue;
    progress(`CLI overhead: ${dataset}`);
    return measureCliOverhead(dataset, plans);
  }
  return undefined;
}

async function main(): Promise<void> {
  const wallStart = performance.now();
  const root = datasetsRoot();
  const selection = parseSelection(root);
  const counter = { done: 0 };
  const allResults: CaseResult[] = [];
  const allRows: Row[] = [];
  const baroReadMs: number[] = [];
  const blocks: string[] = [];
  const notes: Record<string, string[]> = {};
  for (const dataset of selection.datasets) {
    const adapter = ADAPTERS[dataset];
    if (!adapter) {
      blocks.push(`== ${dataset}: no adapter in bench/datasets.ts, skipped`);
      continue;
    }
    const run = await runDataset(root, dataset, adapter, selection, counter);
    const rows = rowsOf(dataset, run.results);
    notes[dataset] = adapter.notes;
    allResults.push(...run.results);
    allRows.push(...rows);
    baroReadMs.push(...run.baroReadMs);
    const ceiling = ceilingBlock(run.results);
    blocks.push(
      rows.length > 0
        ? [datasetBlock(dataset, run.cases, rows, adapter.notes), ...(ceiling ? [ceiling] : [])].join("\n")
        : [`== ${dataset}: no case run for this selection`, ...adapter.notes.map((n) => `note: ${n}`)].join("\n"),
    );
  }
  const cli = await cliOverheadOf(root, selection);
  progress("");
  const timing = timingOf(allResults, baroReadMs, performance.now() - wallStart);
  const failures = failuresBlock(allResults);
  const report = [
    LEGEND,
    ...blocks,
    ...(failures ? [failures] : []),
    publishedBlock(PUBLISHED, selection.datasets),
    reliabilityBlock(
      "every case's top cause under every protocol (right = the true service)",
      allResults
        .filter((r) => r.ours.top5.length > 0)
        .map((r) => ({ confidence: r.ours.top5[0].confidence, right: r.ours.rank === 1 })),
    ).trimEnd(),
    timingBlock(timing),
    ...(cli ? [cliOverheadBlock(cli)] : []),
  ];
  process.stdout.write(`${report.join("\n\n")}\n`);

  mkdirSync(join(RESULTS_FILE, ".."), { recursive: true });
  const published = Object.fromEntries(selection.datasets.filter((d) => PUBLISHED[d]).map((d) => [d, PUBLISHED[d]]));
  const document = {
    generated_at: new Date().toISOString(),
    datasets_root: root,
    selection: {
      datasets: selection.datasets,
      protocols: selection.protocols,
      case_prefix: selection.casePrefix ?? null,
    },
    rows: allRows,
    notes,
    published,
    timing,
    cli_overhead: cli ?? null,
    cases: allResults,
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(document, null, 2)}\n`);
  process.stdout.write(`\nwrote ${RESULTS_FILE}\n`);
}

main().catch((error: unknown) => {
  progress("");
  if (error instanceof UsageError) {
    process.stderr.write(`bench:accuracy: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(
    `bench:accuracy: internal failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
