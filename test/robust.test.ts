import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { fitBaseline, median, quantileOf, selectWithin } from "../src/detect/robust.js";
import { levelShift } from "../src/detect/surprise.js";

/** The quantile as a sort gives it: the definition the selection must reproduce exactly. */
function sortedQuantile(values: number[], q: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.ceil(position);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
}

/** Equal as numbers: NaN equals NaN, and 0 equals -0 (which of the two a tie yields is no result). */
function assertSame(actual: number | undefined, expected: number, what: string): void {
  assert.ok(
    actual === expected || (Number.isNaN(actual) && Number.isNaN(expected)),
    `${what}: ${actual} vs ${expected}`,
  );
}

/** Values as series hold them: mostly distinct, often repeated (a gauge at rest), sometimes missing or infinite. */
const sample = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 3, arbitrary: fc.integer({ min: -3, max: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY) },
);

test("selection: the k-th smallest and the interpolated quantiles equal what sorting gives, whatever the order or ties", () => {
  fc.assert(
    fc.property(
      fc.array(sample, { minLength: 1, maxLength: 400 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (values, q) => {
        const finite = values.filter(Number.isFinite);
        const sorted = [...finite].sort((a, b) => a - b);
        if (sorted.length > 0) {
          const k = Math.floor(q * (sorted.length - 1));
          assertSame(selectWithin(Float64Array.from(finite), 0, finite.length - 1, k), sorted[k], "k-th");
        }
        assertSame(quantileOf(Float64Array.from(finite), finite.length, q), sortedQuantile(values, q), "quantile");
        assertSame(median(values), sortedQuantile(values, 0.5), "median");
      },
    ),
    { seed: 15, numRuns: 500 },
  );
});

test("selection: input that defeats the pivot (sorted, reversed, organ-pipe) is still exact", () => {
  const n = 5000;
  const shapes = [
    Array.from({ length: n }, (_, i) => i),
    Array.from({ length: n }, (_, i) => n - i),
    Array.from({ length: n }, (_, i) => Math.min(i, n - i)),
    Array.from({ length: n }, (_, i) => (i % 2 ? i : -i)),
  ];
  for (const shape of shapes) {
    for (const q of [0, 0.25, 0.5, 0.75, 1])
      assertSame(quantileOf(Float64Array.from(shape), shape.length, q), sortedQuantile(shape, q), `q ${q}`);
  }
});

test("baseline fit: median, MAD and IQR as sorting computes them, and a level shift judged the same", () => {
  const MAD_TO_SIGMA = 1.4826;
  const IQR_TO_SIGMA = 1 / 1.349;
  fc.assert(
    fc.property(
      fc.array(sample, { minLength: 1, maxLength: 300 }),
      fc.array(sample, { minLength: 1, maxLength: 40 }),
      (baseline, incident) => {
        const magnitude = Math.max(0, ...[...baseline, ...incident].filter(Number.isFinite).map(Math.abs));
        const fit = fitBaseline(baseline, magnitude);
        const med = sortedQuantile(baseline, 0.5);
        const mad =
          sortedQuantile(
            baseline.filter(Number.isFinite).map((v) => Math.abs(v - med)),
            0.5,
          ) * MAD_TO_SIGMA;
        const iqr = (sortedQuantile(baseline, 0.75) - sortedQuantile(baseline, 0.25)) * IQR_TO_SIGMA;
        const floor = 0.01 * Math.max(Math.abs(med), 0.1 * magnitude);
        assertSame(fit.median, med, "median");
        assertSame(fit.scale, Math.max(mad, iqr, floor), "scale");
        assert.equal(fit.count, baseline.filter(Number.isFinite).length);

        const shift = levelShift(baseline, incident, "up", 3);
        if (!(fit.scale > 0)) return assert.equal(shift, undefined);
        const z = incident.map((v) => (v - fit.median) / fit.scale);
        const finiteZ = z.filter(Number.isFinite);
        if (finiteZ.length === 0) return assert.equal(shift, undefined);
        assertSame(shift?.surprise, sortedQuantile(z, 0.75), "surprise");
        assertSame(shift?.incidentLevel, sortedQuantile(incident, 0.75), "incident level");
        assert.equal(
          shift?.firstBeyond,
          z.findIndex((d) => d >= 3),
        );
      },
    ),
    { seed: 15, numRuns: 400 },
  );
});
