import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { preFaultLikeness, templateMix, totalVariation } from "../bench/ceiling.js";
import { ADAPTERS, type Label } from "../bench/datasets.js";
import { type CaseResult, ceilingBlock, rowsOf } from "../bench/report.js";
import type { Case, LogTemplate } from "../src/case/model.js";
import { SpanTable } from "../src/case/spanTable.js";

const trainTicket = ADAPTERS["train-ticket"];

/** A train-ticket-shaped folder: date `d` with five recorded minutes, one normal minute, two metric files. */
function trainTicketTree(): string {
  const dir = mkdtempSync(join(tmpdir(), "bench-tt-"));
  const minute = (folder: string, hhmm: string) =>
    ["log", "trace", "traceid"].map((m) => `${folder}/${m}/${hhmm}_${m}.csv.gz`);
  const files = [
    // 69 and 60 minutes before the 10_59 injection: outside the hour.
    ...minute("d", "09_50"),
    ...minute("d", "09_59"),
    // An earlier case's pre-fault and fault minutes, inside the hour.
    ...minute("d", "10_00"),
    ...minute("d", "10_02"),
    ...minute("d", "10_59"),
    ...minute("d", "11_01"),
    ...minute("normal/d", "10_30"),
    "d/metric/a-service-5f6b7c8d9-x2x9q_metric.csv.gz",
    "d/metric/front_service.csv.gz",
  ];
  for (const f of files) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    writeFileSync(join(dir, f), "");
  }
  return dir;
}

const tree = trainTicketTree();
after(() => rmSync(tree, { recursive: true, force: true }));

const label: Label = { case: "d/10_59", root_cause_service: "a-service", fault: "return", inject_time: 1234 };
const names = (paths: string[] | undefined) => (paths ?? []).map((p) => relative(tree, p));
/** The log and trace files of one minute, as the adapter names them (the traceid lists are not read). */
const read = (folder: string, hhmm: string) => [
  `${folder}/log/${hhmm}_log.csv.gz`,
  `${folder}/trace/${hhmm}_trace.csv.gz`,
];
const METRICS = ["d/metric/a-service-5f6b7c8d9-x2x9q_metric.csv.gz", "d/metric/front_service.csv.gz"];

test("per-case: the case's pre-fault and fault minutes' logs and traces and every metric file, time given", () => {
  const plan = trainTicket.plan(tree, label, "per-case");
  assert.deepEqual(names(plan.files), [...read("d", "10_59"), ...read("d", "11_01"), ...METRICS]);
  assert.equal(plan.at, 1234);
  assert.equal(plan.baselineFrom, undefined);
});

test("reference: the fault minute as the incident, the date's normal minute as --baseline-from", () => {
  const plan = trainTicket.plan(tree, label, "reference");
  assert.deepEqual(names(plan.files), [...read("d", "11_01"), ...METRICS]);
  assert.deepEqual(names(plan.baselineFrom), read("normal/d", "10_30"));
  assert.equal(plan.at, 1234);
});

test("hour-before: every recorded minute of the hour up to the injection, the normal one included, then the fault minute", () => {
  const plan = trainTicket.plan(tree, label, "hour-before");
  assert.deepEqual(names(plan.files), [
    ...read("d", "10_00"),
    ...read("d", "10_02"),
    ...read("normal/d", "10_30"),
    ...read("d", "10_59"),
    ...read("d", "11_01"),
    ...METRICS,
  ]);
  assert.equal(plan.baselineFrom, undefined);
});

test("a missing minute file or a protocol the dataset does not run is a clear error", () => {
  assert.throws(() => trainTicket.plan(tree, { ...label, case: "d/11_30" }, "per-case"), /missing case file/);
  assert.throws(() => trainTicket.plan(tree, label, "late"), /does not apply to train-ticket/);
  assert.deepEqual(trainTicket.protocols, ["per-case", "reference", "hour-before"]);
});

test("sock-shop protocols differ only in the time", () => {
  const dir = mkdtempSync(join(tmpdir(), "bench-ss-"));
  try {
    for (const f of ["normal.csv.gz", "anomalous.csv.gz"]) {
      mkdirSync(join(dir, "carts-cpu/1"), { recursive: true });
      writeFileSync(join(dir, "carts-cpu/1", f), "");
    }
    const ss: Label = { case: "carts-cpu/1", root_cause_service: "carts", fault: "cpu", inject_time: 100 };
    const plans = ADAPTERS["sock-shop"].protocols.map((p) => ADAPTERS["sock-shop"].plan(dir, ss, p));
    assert.deepEqual(
      plans.map((p) => p.at),
      [100, 160, undefined],
    );
    for (const p of plans) assert.equal(p.files.length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function template(entity: string, text: string, total: number): LogTemplate {
  return { entity, template: text, level: "info", counts: new Map(), traced: new Map(), samples: [], total };
}

function logCase(...templates: LogTemplate[]): Case {
  return {
    entities: new Map(),
    relations: [],
    series: [],
    logs: { bucketSeconds: 60, templates },
    spans: SpanTable.of([]),
    events: [],
    objects: [],
    sources: [],
    skipped: [],
  };
}

test("templateMix is each template's share of one service's lines, its pods folded in", () => {
  const c = logCase(
    template("pod:a-service-5f6b7c8d9-x2x9q", "ok", 30),
    template("service:a-service", "fail", 10),
    template("service:b-service", "ok", 99),
  );
  assert.deepEqual(
    templateMix(c, "a-service"),
    new Map([
      ["ok", 0.75],
      ["fail", 0.25],
    ]),
  );
  assert.deepEqual(templateMix(c, "c-service"), new Map());
});

test("totalVariation: 0 for the same mix, 1 for disjoint ones", () => {
  const a = new Map([
    ["x", 0.5],
    ["y", 0.5],
  ]);
  assert.equal(totalVariation(a, a), 0);
  assert.equal(totalVariation(a, new Map([["z", 1]])), 1);
  assert.equal(totalVariation(a, new Map([["x", 1]])), 0.5);
});

test("preFaultLikeness: a pre-fault minute that already wrote the fault's lines is 'already', a normal one is not", () => {
  const normal = logCase(template("service:s", "ok", 100));
  const fault = logCase(template("service:s", "ok", 50), template("service:s", "error", 50));
  const alreadyFaulty = logCase(template("service:s", "ok", 55), template("service:s", "error", 45));
  const still = preFaultLikeness(normal, normal, fault, "s");
  assert.equal(still.already, false);
  assert.equal(still.normal_to_fault, 0.5);
  const already = preFaultLikeness(normal, alreadyFaulty, fault, "s");
  assert.equal(already.already, true);
  assert.ok(Math.abs(already.pre_to_fault - 0.05) < 1e-9);
});

function result(
  caseName: string,
  protocol: CaseResult["protocol"],
  rank: number | null,
  already?: boolean,
): CaseResult {
  return {
    dataset: "train-ticket",
    case: caseName,
    protocol,
    fault: "return",
    expected: { service: "s", kind: "code.error" },
    at: 0,
    ...(already === undefined
      ? {}
      : { pre_fault: { normal_to_fault: 0.5, pre_to_fault: already ? 0.1 : 0.5, already } }),
    ours: { top5: [], rank, time_ms: rank === null ? null : 100 * rank },
    baro: null,
  };
}

test("ceilingBlock counts the per-case cases already faulty before the injection and names them", () => {
  const results = [
    result("d/1", "per-case", 1, true),
    result("d/2", "per-case", 2, false),
    result("d/3", "per-case", 1),
    result("d/4", "per-case", null, true),
    result("d/1", "reference", 1),
  ];
  const text = ceilingBlock(results);
  assert.match(text, /^per-case ceiling: 0\.50 \(2 of 4 cases/);
  assert.match(text, /d\/1 s \(return\).*found at rank 1/);
  assert.match(text, /d\/4 s \(return\).*ours rank -/);
  assert.doesNotMatch(text, /d\/2/);
  assert.equal(ceilingBlock([result("d/1", "reference", 1)]), "");
});

test("report rows carry each protocol's median time", () => {
  const rows = rowsOf("train-ticket", [
    result("d/1", "per-case", 1),
    result("d/2", "per-case", 3),
    result("d/3", "per-case", 2),
    result("d/1", "hour-before", null),
  ]);
  const all = (protocol: string) => rows.find((r) => r.fault === "all" && r.protocol === protocol);
  assert.equal(all("per-case")?.median_ms, 200);
  assert.ok(Number.isNaN(all("hour-before")?.median_ms));
});
