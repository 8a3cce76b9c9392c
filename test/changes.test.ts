import assert from "node:assert/strict";
import { test } from "node:test";
import { CaseBuilder } from "../src/case/builder.js";
import { detectChanges } from "../src/detect/changes.js";
import { bestKind, rankHypotheses } from "../src/reason/rank.js";

const WINDOW = { baselineStart: 0, at: 3600, end: 3900 };

function scaled(sink: ReturnType<CaseBuilder["sinkFor"]>, t: number, deployment: string, message: string): void {
  sink.addEvent({
    t,
    labels: { deployment, namespace: "shop" },
    type: "Normal",
    reason: "ScalingReplicaSet",
    message,
    count: 1,
  });
}

test("a rolling update (one ReplicaSet up, another down) is a change; an autoscaler's scale-up is not", () => {
  const builder = new CaseBuilder();
  const sink = builder.sinkFor("events.json");
  scaled(sink, 3500, "ratings", "Scaled up replica set ratings-7f9c5d8b6 to 1 from 0");
  scaled(sink, 3530, "ratings", "Scaled down replica set ratings-5d4b9c7f8 to 1 from 2");
  scaled(sink, 3510, "payment", "Scaled up replica set payment-6c8d7f5b9 to 5 from 3");
  let n = 0;
  const found = detectChanges(builder.build(), WINDOW, () => `c${++n}`);
  assert.deepEqual(
    found.map((e) => [e.entity, e.family, e.start]),
    [["service:ratings", "change", 3500]],
  );
  assert.match(found[0].detail, /ratings-7f9c5d8b6 scaled up while ratings-5d4b9c7f8 scaled down/);
});

test("an image first seen after the baseline began is a change; the only image a workload ever ran is not", () => {
  const builder = new CaseBuilder();
  const sink = builder.sinkFor("ksm.json");
  const info = (pod: string, image: string, t: number[]) =>
    sink.addSamples(
      { pod, namespace: "shop", container: "frontend", image },
      "kube_pod_container_info",
      t,
      t.map(() => 1),
    );
  info("frontend-6d5f8c7b9-bcdfg", "frontend:v1", [1000, 2000, 3000]);
  info("frontend-7c9d6f8b5-hjklm", "frontend:v2", [3300, 3600]);
  info("cart-5b7c9d6f8-npqrs", "cart:v1", [1000, 3600]);
  const found = detectChanges(builder.build(), WINDOW, () => "c");
  assert.deepEqual(
    found.map((e) => e.entity),
    ["service:frontend"],
  );
});

test("errors that follow a rollout make a bad deploy; the same errors without one a code error; a rollout alone is no confident cause", () => {
  assert.equal(bestKind({ errors: 1, log: 0.8, change: 0.45 }).id, "deploy.bad-change");
  assert.equal(bestKind({ errors: 1, log: 0.8 }).id, "code.error");
  const builder = new CaseBuilder();
  scaled(builder.sinkFor("events.json"), 3500, "ratings", "Scaled up replica set ratings-7f9c5d8b6 to 1 from 0");
  const c = builder.build();
  const evidence = [
    {
      id: "e1",
      entity: "service:ratings",
      signal: "rollout",
      type: "change" as const,
      family: "change" as const,
      start: 3500,
      strength: 0.9,
      detail: "",
      excerpt: "",
    },
  ];
  const { ranked } = rankHypotheses(c, evidence, { baselineStart: Number.NEGATIVE_INFINITY, at: 3500, end: 3800 });
  assert.ok(ranked[0].score < 0.5, `a routine rollout scores ${ranked[0].score}`);
});
