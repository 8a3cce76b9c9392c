/** An earlier fault inside the baseline is left out of the entity's normal, and the Diagnosis says so. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { analyze } from "../src/analyze.js";
import { baselineEpisodes } from "../src/detect/episodes.js";
import { makeWindow } from "../src/detect/window.js";
import { readCase } from "../src/read/index.js";
import { writeCheckoutLogs } from "./helpers/checkoutLogs.js";

const T0 = 1_767_225_600;
const dir = mkdtempSync(join(tmpdir(), "beneath-episodes-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * An hour and a half of checkout's logs: a steady INFO line each second; the same ERROR a second for three
 * minutes half an hour in (an earlier fault that came and went), and again from the alert on.
 */
const logs = writeCheckoutLogs(
  dir,
  "checkout.jsonl",
  T0,
  T0 + 5700,
  (t) => (t >= T0 + 1800 && t < T0 + 1980) || t >= T0 + 5400,
);
const at = T0 + 5400;

test("the minutes of an earlier fault are found as the entity's episode, and nothing else is", async () => {
  const c = await readCase([logs]);
  const episodes = baselineEpisodes(c, makeWindow(at, 300, T0 + 5700));
  assert.deepEqual([...(episodes.get("service:checkout") ?? [])].sort(), [T0 + 1800, T0 + 1860, T0 + 1920]);
  assert.equal(episodes.size, 1);
});

test("errors that an earlier fault wrote are not expected of the entity's normal, and the Diagnosis lists what it left out", async () => {
  const d = await analyze([logs], { at });
  const errors = d.causes.flatMap((c) => c.evidence).find((e) => e.signal.includes("payment refused"));
  assert.equal(errors?.baseline, 0, "the earlier fault's errors are not part of checkout's normal");
  assert.equal(d.causes[0]?.entity, "service:checkout");
  assert.deepEqual(d.baseline?.left_out, [
    {
      entity: "service:checkout",
      start: new Date((T0 + 1800) * 1000).toISOString(),
      end: new Date((T0 + 1980) * 1000).toISOString(),
    },
  ]);
});
