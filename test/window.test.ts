import assert from "node:assert/strict";
import { test } from "node:test";
import type { Series } from "../src/case/model.js";
import { baselineRange, inBaseline, makeWindow } from "../src/detect/window.js";

function series(times: number[]): Series {
  return {
    entity: "service:x",
    metric: "m",
    labels: {},
    t: Float64Array.from(times),
    v: new Float64Array(times.length),
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

test("the baseline is the observed time before the alert, skipping a gap to a separate reference recording", () => {
  // A reference recorded a day earlier (100 samples), then the incident from t = 100000.
  const s = series([...range(0, 100), ...range(100000, 100300)]);
  const [from, to] = baselineRange(s, makeWindow(100060, 300, 100299));
  assert.equal(to, 160);
  assert.equal(from, 0, "all 60 incident-side samples and the whole day-old reference are within one observed hour");
});

test("when the recording starts at the alert, the hour after the incident window is the baseline", () => {
  const s = series(range(0, 1000));
  const [from, to] = baselineRange(s, makeWindow(0, 300, 999));
  assert.equal(from, 301);
  assert.ok(to > from + 600);
});

test("a named baseline is the stretch given, even one recorded after the incident", () => {
  const s = series(range(0, 1000));
  const window = { ...makeWindow(100, 60, 999), baselineStart: 500, baselineEnd: 600, baselineGiven: true };
  assert.deepEqual(baselineRange(s, window), [500, 600]);
  assert.ok(inBaseline(550, window) && !inBaseline(450, window) && !inBaseline(600, window));
});

test("a named baseline too short for a series' resolution gives way to the hour before the alert", () => {
  const s = series(range(0, 1000));
  const window = { ...makeWindow(900, 60, 999), baselineStart: 500, baselineEnd: 503, baselineGiven: true };
  assert.deepEqual(baselineRange(s, window), [0, 900]);
});
