/** A node gone as Prometheus saw it: every target scraped on it stops answering together and for good. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { scrapeExits } from "../src/detect/nodeScrapes.js";
import { resourceSpan } from "../src/detect/resourceSeries.js";
import { buildCase, minute, type SeriesSpec } from "./helpers/caseBuilder.js";

const NODE = "lab-node-1";
/** The pooler pod's exporter on the node. */
const pooler = (at: (m: number) => number): SeriesSpec => ({
  metric: "up",
  labels: { job: "pgbouncer", namespace: "shop", pod: "pgbouncer-6d9f8c6b5k-x2x9q", node: NODE },
  at,
});
/** The node's own exporter. */
const nodeExporter = (at: (m: number) => number): SeriesSpec => ({
  metric: "up",
  labels: { job: "node-exporter", node: NODE, instance: "10.213.0.2:9100" },
  at,
});
const downFrom = (m0: number) => (m: number) => (m < m0 ? 1 : 0);
const goneFrom = (m0: number) => (m: number) => (m < m0 ? 1 : Number.NaN);

function exits(series: SeriesSpec[]) {
  const c = buildCase({ minutes: 40, series });
  return scrapeExits(c, resourceSpan(c, { baselineStart: minute(0), at: minute(32), end: minute(40) }));
}

describe("scrapeExits", () => {
  test("every target on a node failing at once and for good is the node gone without drain, under what it ran", () => {
    const [exit, ...rest] = exits([pooler(downFrom(30)), nodeExporter(downFrom(30))]);
    assert.equal(rest.length, 0);
    assert.equal(exit.node, `node:${NODE}`);
    assert.equal(exit.planned, false);
    assert.equal(exit.t, minute(30));
    assert.deepEqual(exit.workloads, ["service:pgbouncer"]);
    assert.equal(exit.targetsDown, 2);
  });

  test("a node whose workloads left discovery before its exporter failed was drained: planned", () => {
    const [exit] = exits([pooler(goneFrom(28)), nodeExporter(downFrom(30))]);
    assert.equal(exit.planned, true);
    assert.deepEqual(exit.workloads, []);
  });

  test("one exporter failing while another target on the node keeps answering is not the node", () => {
    assert.deepEqual(exits([pooler(downFrom(30)), nodeExporter(() => 1)]), []);
  });

  test("targets failing minutes apart did not go together", () => {
    assert.deepEqual(exits([pooler(downFrom(25)), nodeExporter(downFrom(30))]), []);
  });

  test("a scrape or two that failed before the target answered again is not a node gone", () => {
    const blip = (m: number) => (m >= 30 && m < 30.5 ? 0 : 1);
    assert.deepEqual(exits([pooler(blip), nodeExporter(blip)]), []);
  });

  test("targets with no node label are not grouped into a node", () => {
    const noNode: SeriesSpec = {
      metric: "up",
      labels: { job: "worker", pod: "worker-6d9f8c6b5k-abcde" },
      at: downFrom(30),
    };
    assert.deepEqual(exits([noNode]), []);
  });
});
