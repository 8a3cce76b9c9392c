/**
 * Property-based fuzzing of the read layer: truncated, corrupted and hostile variants of a sample of
 * every format, plain and gzipped, go through the same path a user's files take (sniffing, the
 * reader, the guarded sink, the Case) and then through the analysis. Whatever the input, the outcome
 * is a sane Case and a valid Diagnosis, or one of beneath's clear input errors; never another
 * exception, never a hang.
 *
 * The seed is fixed so CI is repeatable; BENEATH_FUZZ_SEED and BENEATH_FUZZ_RUNS explore further, and
 * BENEATH_FUZZ_TRACE=1 prints each variant before it runs (to find the one that hangs).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { analyze } from "../src/analyze.js";
import type { Case } from "../src/case/model.js";
import { isRepresentableTime } from "../src/case/time.js";
import { validateDiagnosis } from "../src/diagnosis/validate.js";
import { LISTED_SKIPS_PER_FILE } from "../src/read/guardedSink.js";
import { readCaseWithFormats } from "../src/read/index.js";
import { NoDataError, ReadError } from "../src/read/types.js";

/** One sample per format (and per shape of a format), as a real exporter writes it. */
const SEEDS = [
  "metrics/query_range.json.txt",
  "metrics/query_array.json.txt",
  "metrics/exposition.prom",
  "metrics/wide.csv",
  "metrics/long.csv",
  "metrics/callgraph.csv",
  "traces/spans.csv",
  "traces/otlp-traces.json",
  "traces/jaeger.json",
  "logs/otlp-logs.json",
  "logs/checkout.jsonl",
  "logs/kafka-server.2023-01-29.log",
  "logs/travel.csv",
  "kube/pods.json",
  "kube/events.json",
].map((path) => ({
  path,
  text: readFileSync(fileURLToPath(new URL(`../../test/fixtures/${path}`, import.meta.url)), "utf8"),
}));

const RUNS_PER_FORMAT = Number(process.env.BENEATH_FUZZ_RUNS ?? 40);
const SEED = Number(process.env.BENEATH_FUZZ_SEED ?? 20260116);
/** One variant taking longer than this is a hang (the fixtures are a few KB; a read takes milliseconds). */
const VARIANT_TIMEOUT_MS = 10_000;

/** Text that breaks parsers and terminals: escapes, numbers beyond any date, deep nesting, bad UTF-16, separators. */
const HOSTILE = fc.constantFrom(
  "\u001b]0;owned\u0007\u001b[2J",
  "1e300",
  "-1e300",
  "1e400",
  "NaN",
  "-Infinity",
  "0",
  "-1",
  "253402300800000",
  "null",
  "[]",
  "{}",
  '"',
  "\\",
  "\u0000",
  "\ufeff",
  "\ud800",
  "9".repeat(400),
  "[".repeat(20_000),
  '{"a":'.repeat(5_000),
  ",,,,,,,,",
  "\r",
  "\n\n\n",
  "\t",
  "x".repeat(70_000),
);

/** Numbers no time or value can be: beyond any date, not finite, negative, absurdly long. */
const HOSTILE_NUMBER = fc.constantFrom(
  "1e300",
  "-1e300",
  "1e400",
  "NaN",
  "-1",
  "0",
  "253402300800000",
  "9".repeat(400),
);

type Mutation =
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; text: string }
  | { kind: "delete"; at: number; length: number }
  | { kind: "duplicateLine"; at: number }
  | { kind: "dropLine"; at: number }
  | { kind: "replaceNumbers"; every: number; from: number; text: string; bareOnly: boolean };

/** A place in the text as a share of its length (fc.double would favour the extremes, 5e-324 and 1). */
const position = fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000);
const MUTATION: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("truncate" as const), at: position }),
  fc.record({ kind: fc.constant("insert" as const), at: position, text: fc.oneof(HOSTILE, fc.string()) }),
  fc.record({ kind: fc.constant("delete" as const), at: position, length: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant("duplicateLine" as const), at: position }),
  fc.record({ kind: fc.constant("dropLine" as const), at: position }),
  // Timestamps, values and durations are where parsers trust the input most: the likeliest mutation.
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("replaceNumbers" as const),
      every: fc.integer({ min: 1, max: 8 }),
      from: fc.nat(7),
      text: HOSTILE_NUMBER,
      bareOnly: fc.boolean(),
    }),
  },
);

const NUMBERS = /-?\d+(\.\d+)?([eE][-+]?\d+)?/g;
/** Numbers standing alone, not inside an id or a quoted string: values and times rather than names. */
const BARE_NUMBERS = /(?<![\w."-])-?\d+(\.\d+)?([eE][-+]?\d+)?(?![\w."])/g;

function mutate(text: string, m: Mutation): string {
  if (m.kind === "replaceNumbers") {
    let k = 0;
    return text.replace(m.bareOnly ? BARE_NUMBERS : NUMBERS, (n) => (k++ % m.every === m.from % m.every ? m.text : n));
  }
  const i = Math.floor(m.at * text.length);
  const lines = text.split("\n");
  const line = Math.floor(m.at * lines.length);
  switch (m.kind) {
    case "truncate":
      return text.slice(0, i);
    case "insert":
      return text.slice(0, i) + m.text + text.slice(i);
    case "delete":
      return text.slice(0, i) + text.slice(i + m.length);
    case "duplicateLine":
      return [...lines.slice(0, line + 1), ...lines.slice(line)].join("\n");
    case "dropLine":
      return [...lines.slice(0, line), ...lines.slice(line + 1)].join("\n");
  }
}

/** How the variant is stored: as text, gzipped, or gzipped and cut off (a failed copy). */
const PACKING = fc.oneof(
  fc.constant({ gzip: false, keep: 1 }),
  fc.constant({ gzip: true, keep: 1 }),
  fc.record({ gzip: fc.constant(true), keep: position.map((p) => p * 0.99) }),
);

function isAscending(t: ArrayLike<number>): boolean {
  for (let i = 1; i < t.length; i++) if (!(t[i] >= t[i - 1])) return false;
  return true;
}

/** What every later step may rely on, whatever the input was. */
function assertSaneCase(c: Case, file: string): void {
  for (const s of c.series) {
    assert.equal(s.t.length, s.v.length, `${file}: ${s.metric} times and values pair up`);
    assert.ok(isAscending(s.t), `${file}: ${s.metric} is in time order`);
    for (const t of s.t) assert.ok(isRepresentableTime(t), `${file}: ${s.metric} time ${t}`);
  }
  for (let row = 0; row < c.spans.length; row++) {
    assert.ok(isRepresentableTime(c.spans.start[row]), `${file}: span start ${c.spans.start[row]}`);
    assert.ok(Number.isFinite(c.spans.duration[row]), `${file}: span duration ${c.spans.duration[row]}`);
  }
  for (const template of c.logs.templates)
    for (const [bucket, n] of template.counts) assert.ok(isRepresentableTime(bucket) && n > 0, `${file}: log bucket`);
  for (const event of c.events) assert.ok(isRepresentableTime(event.t), `${file}: event time ${event.t}`);
  assert.ok(c.skipped.length <= LISTED_SKIPS_PER_FILE + 2, `${file}: skipped list is capped`);
}

/** Runs one variant: a sane Case and a valid Diagnosis, or a clear input error. */
async function readAndAnalyze(file: string): Promise<void> {
  let c: Case;
  try {
    c = (await readCaseWithFormats([file])).case;
  } catch (error) {
    if (error instanceof ReadError || error instanceof NoDataError) {
      assert.ok(error.message.length > 0 && !error.message.includes("undefined"), error.message);
      return;
    }
    throw error;
  }
  assertSaneCase(c, file);
  try {
    const diagnosis = await analyze(c);
    assert.deepEqual(validateDiagnosis(diagnosis), [], file);
  } catch (error) {
    if (!(error instanceof NoDataError)) throw error;
  }
}

async function withinTime<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${VARIANT_TIMEOUT_MS} ms`)), VARIANT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

test("fuzzed variants of every format end in a sane Case or a clear input error", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "beneath-fuzz-"));
  try {
    for (const seed of SEEDS) {
      const name = seed.path.replace(/\//g, "-");
      await fc.assert(
        fc.asyncProperty(fc.array(MUTATION, { minLength: 1, maxLength: 4 }), PACKING, async (mutations, packing) => {
          const text = mutations.reduce(mutate, seed.text);
          if (process.env.BENEATH_FUZZ_TRACE)
            console.error(seed.path, JSON.stringify(mutations).slice(0, 300), JSON.stringify(packing));
          const bytes = packing.gzip ? gzipSync(text) : Buffer.from(text);
          const file = join(dir, packing.gzip ? `${name}.gz` : name);
          writeFileSync(file, bytes.subarray(0, Math.max(1, Math.floor(bytes.length * packing.keep))));
          await withinTime(readAndAnalyze(file), seed.path);
        }),
        { numRuns: RUNS_PER_FORMAT, seed: SEED },
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
