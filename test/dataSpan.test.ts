import assert from "node:assert/strict";
import { test } from "node:test";
import { isolatedTrim } from "../src/detect/dataSpan.js";

/** `n` times one second apart from `start`. */
function run(start: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => start + i);
}

test("isolated stray times at either end are trimmed, even both at once", () => {
  const times = [0, ...run(1_700_000_000, 1000), 253_402_300_000];
  assert.deepEqual(isolatedTrim(times), [1, 1001]);
});

test("a cluster of a few strays is trimmed as one", () => {
  const times = [0, 1, 2, ...run(1_700_000_000, 1000)];
  assert.deepEqual(isolatedTrim(times), [3, 1003]);
});

test("a separate baseline recording holding half the data is kept", () => {
  const times = [...run(1_700_000_000, 500), ...run(1_700_086_400, 500)];
  assert.deepEqual(isolatedTrim(times), [0, 1000]);
});

test("a far time carrying much weight is kept; the same time carrying little is not", () => {
  const times = [0, 1_700_000_000, 1_700_000_001];
  assert.deepEqual(isolatedTrim(times, [50, 500, 500]), [0, 3]);
  assert.deepEqual(isolatedTrim(times, [1, 500, 500]), [1, 3]);
});

test("evenly spread times lose nothing", () => {
  assert.deepEqual(isolatedTrim(run(0, 100)), [0, 100]);
  assert.deepEqual(isolatedTrim([5]), [0, 1]);
});
