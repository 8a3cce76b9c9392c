import assert from "node:assert/strict";
import { test } from "node:test";
import { ANOMALOUS_SPAN_S, BARO_EPSILON, BARO_REFERENCE, baroRank, quantile, robustScore } from "../bench/baro.js";
import { addMinutes, atFor, type Label } from "../bench/datasets.js";
import {
  acAtK,
  avgAt5,
  foldPodName,
  kindAccuracy,
  median,
  rankOfTruth,
  ratioText,
  scoresOf,
  serviceOf,
} from "../bench/metrics.js";
import { type CaseResult, rowsOf } from "../bench/report.js";
import type { Case, Series } from "../src/case/model.js";
import { SpanTable } from "../src/case/spanTable.js";

test("serviceOf strips the kind prefix and namespace, and folds pod names to their workload", () => {
  assert.equal(serviceOf("service:carts"), "carts");
  assert.equal(serviceOf("service:ts-contacts-service"), "ts-contacts-service");
  assert.equal(serviceOf("pod:ts-contacts-service-866bd68c97-xcqfx"), "ts-contacts-service");
  assert.equal(serviceOf("pod:robot-shop/shipping-7d9f8c6b5-x2x9q"), "shipping");
  assert.equal(serviceOf("container:carts-db"), "carts-db");
});

test("foldPodName keeps names whose last parts are words, not hashes", () => {
  assert.equal(foldPodName("ts-contacts-service"), "ts-contacts-service");
  assert.equal(foldPodName("ts-ui-dashboard-5477b965f-2chkr"), "ts-ui-dashboard");
  assert.equal(foldPodName("carts-db"), "carts-db");
});

test("rankOfTruth is the 1-based index of the first cause naming the true service", () => {
  const causes = ["service:orders", "pod:carts-5f6b7c8d9-x2x9q", "service:carts"];
  assert.equal(rankOfTruth(causes, "carts"), 2);
  assert.equal(rankOfTruth(causes, "orders"), 1);
  assert.equal(rankOfTruth(causes, "payment"), undefined);
  assert.equal(rankOfTruth([], "carts"), undefined);
});

test("AC@k and Avg@5 count a missing rank as a miss", () => {
  const ranks = [1, 2, undefined, 5];
  assert.equal(acAtK(ranks, 1), 0.25);
  assert.equal(acAtK(ranks, 3), 0.5);
  assert.equal(acAtK(ranks, 5), 0.75);
  assert.equal(avgAt5(ranks), (0.25 + 0.5 + 0.5 + 0.5 + 0.75) / 5);
  assert.equal(acAtK([], 1), 0);
});

test("kind accuracy counts the top cause's kind even when its entity is wrong", () => {
  const cases = [
    { topKind: "cpu.saturation", expectedKind: "cpu.saturation" },
    { topKind: "memory.leak", expectedKind: "cpu.saturation" },
    { topKind: undefined, expectedKind: "code.error" },
  ];
  assert.equal(kindAccuracy(cases), 1 / 3);
  const scores = scoresOf([
    { rank: 3, topKind: "cpu.saturation", expectedKind: "cpu.saturation" },
    { rank: 1, topKind: "memory.leak", expectedKind: "memory.leak" },
  ]);
  assert.deepEqual(scores, { n: 2, ac1: 0.5, ac3: 1, avg5: 0.8, kind: 1 });
});

test("median and the ours/BARO ratio are guarded", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(ratioText(0.8, 0.4), "2.00");
  assert.equal(ratioText(0.5, 0), "∞");
  assert.equal(ratioText(0, 0), "n/a");
  assert.equal(ratioText(0.5, undefined), "n/a");
});

test("quantile interpolates linearly between closest ranks", () => {
  assert.equal(quantile([1, 2, 3, 4], 0.25), 1.75);
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantile([7], 0.75), 7);
});

const AT = 1_000_000;

/** One sample per second: `before` ends just before AT, `after` starts at AT. */
function series(entity: string, metric: string, before: number[], after: number[]): Series {
  const t = [...before.map((_, i) => AT - before.length + i), ...after.map((_, i) => AT + i)];
  return { entity, metric, labels: {}, t: Float64Array.from(t), v: Float64Array.from([...before, ...after]) };
}

function caseOf(...s: Series[]): Case {
  return {
    entities: new Map(),
    relations: [],
    series: s,
    logs: { bucketSeconds: 60, templates: [] },
    spans: SpanTable.of([]),
    events: [],
    objects: [],
    sources: [],
    skipped: [],
  };
}

const noisy = [10, 11, 9, 10, 12, 8, 10, 11, 9, 10];

test("BARO ranks first the service whose metric jumps after the anomaly time, in both variants", () => {
  const c = caseOf(
    series("service:steady", "cpu", noisy, [11, 9, 10, 12]),
    series("pod:jumpy-5f6b7c8d9-x2x9q", "cpu", noisy, [10, 30, 31, 29]),
    series("service:steady", "mem", noisy, [12, 8, 10, 10]),
  );
  for (const variant of [BARO_REFERENCE, BARO_EPSILON]) {
    const ranked = baroRank(c, AT, variant);
    assert.deepEqual(
      ranked.map((r) => r.service),
      ["jumpy", "steady"],
    );
    assert.equal(ranked[0].metric, "cpu");
    // median 10, IQR 1.5 (9.25 .. 10.75): the largest deviation is 31 - 10.
    assert.equal(ranked[0].score, 21 / 1.5);
  }
});

test("BARO's weakness: with an epsilon for a zero IQR, a tiny change on a flat baseline outranks a real jump", () => {
  const flat = [5, 5, 5, 5, 5, 5, 5, 5, 5, 6];
  const c = caseOf(
    series("service:jumpy", "cpu", noisy, [10, 30, 31, 29]),
    series("service:flat", "threads", flat, [5, 5.01, 5, 5]),
  );
  const epsilon = baroRank(c, AT, BARO_EPSILON);
  assert.equal(epsilon[0].service, "flat");
  assert.ok(epsilon[0].score > 1e6, `a 0.01 move scored ${epsilon[0].score}`);
  // The authors' code scales a zero IQR by 1 in the series' unit: the 0.01 move stays small.
  assert.equal(baroRank(c, AT, BARO_REFERENCE)[0].service, "jumpy");
});

test("BARO as in the authors' code scores rises only and memory in MB", () => {
  const drop = series("service:a", "cpu", noisy, [10, 0, 10]);
  assert.equal(robustScore(drop, AT, BARO_REFERENCE), 0);
  assert.equal(robustScore(drop, AT, BARO_EPSILON), 10 / 1.5);
  // Flat memory in bytes that grows by 2 MB: 2 (MB over a unit scale), not 2e6.
  const memory = series("service:a", "mem", [4e8, 4e8, 4e8, 4e8, 4.1e8], [4e8, 4.02e8]);
  assert.equal(robustScore(memory, AT, BARO_REFERENCE), 2);
  assert.ok((robustScore(memory, AT, BARO_EPSILON) ?? 0) > 1e12);
});

test("BARO drops series constant in a period and ignores samples past its anomalous span", () => {
  assert.equal(robustScore(series("service:a", "m", [3, 3, 3, 3], [3, 9, 9]), AT), undefined);
  assert.equal(robustScore(series("service:a", "m", noisy, [7, 7, 7]), AT), undefined);
  const late: Series = {
    entity: "service:a",
    metric: "m",
    labels: {},
    t: Float64Array.from([AT - 3, AT - 2, AT - 1, AT, AT + 1, AT + ANOMALOUS_SPAN_S]),
    v: Float64Array.from([1, 2, 3, 2, 3, 1000]),
  };
  assert.equal(robustScore(late, AT), 1);
  assert.deepEqual(baroRank(caseOf(), AT), []);
});

test("protocol times: given, 60 s late, none", () => {
  const label: Label = { case: "x/1", root_cause_service: "x", fault: "cpu", inject_time: 100 };
  assert.equal(atFor("given", label), 100);
  assert.equal(atFor("late", label), 160);
  assert.equal(atFor("none", label), undefined);
});

test("addMinutes rolls over the hour and the day", () => {
  assert.equal(addMinutes("08_43", 2), "08_45");
  assert.equal(addMinutes("10_59", 2), "11_01");
  assert.equal(addMinutes("23_59", 2), "00_01");
  assert.throws(() => addMinutes("8:43", 2), /HH_MM/);
});

test("report rows: BARO is n/a unless it ran on every case of the row", () => {
  const result = (fault: string, rank: number | null, baroRank: number | null | "n/a"): CaseResult => ({
    dataset: "d",
    case: "c",
    protocol: "none",
    fault,
    expected: { service: "s", kind: "cpu.saturation" },
    at: null,
    ours: { top5: [{ entity: "service:s", kind: "cpu.saturation", confidence: 0.9 }], rank, time_ms: 5 },
    baro:
      baroRank === "n/a"
        ? null
        : { at: 0, reference: { top5: [], rank: baroRank }, epsilon: { top5: [], rank: null }, score_ms: 1 },
  });
  const rows = rowsOf("d", [result("cpu", 1, 1), result("cpu", 1, 2), result("mem", 1, "n/a")]);
  assert.deepEqual(
    rows.map((r) => [r.fault, r.ours.ac1, r.baro?.ac1 ?? "n/a", r.ac1_ratio, r.baro_epsilon?.ac1 ?? "n/a"]),
    [
      ["cpu", 1, 0.5, "2.00", 0],
      ["mem", 1, "n/a", "n/a", "n/a"],
      ["all", 1, "n/a", "n/a", "n/a"],
    ],
  );
});
