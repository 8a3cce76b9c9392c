import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { readPairArray, readPairs } from "../src/read/jsonPairs.js";
import { type JsonPath, JsonStream, JsonSyntaxError, type JsonVisitor, type JsonWalk } from "../src/read/jsonStream.js";
import { PairColumns } from "../src/read/samples.js";

/** Rebuilds the document from the stream's events, walking each container as `choose` says. */
class Rebuilder implements JsonVisitor {
  readonly documents: unknown[] = [];
  private readonly stack: unknown[] = [];

  constructor(private readonly choose: (path: JsonPath, kind: "object" | "array") => JsonWalk) {}

  open(path: JsonPath, kind: "object" | "array"): JsonWalk {
    const chosen = this.choose(path, kind);
    const walk = chosen === "batches" && kind === "object" ? "whole" : chosen;
    if (walk !== "whole") this.stack.push(kind === "object" ? {} : []);
    return walk;
  }

  value(path: JsonPath, value: unknown): void {
    this.put(path, value);
  }

  /** What a bad line left half built is dropped. */
  document(): void {
    this.stack.length = 0;
  }

  batch(path: JsonPath, items: unknown[]): void {
    const array = this.stack[this.stack.length - 1] as unknown[];
    assert.equal(path[path.length - 1], array.length, "a batch's path names the index of its first item");
    array.push(...items);
  }

  close(path: JsonPath): void {
    this.put(path, this.stack.pop());
  }

  private put(path: JsonPath, value: unknown): void {
    if (this.stack.length === 0) {
      this.documents.push(value);
      return;
    }
    // Defined, not assigned: a "__proto__" key is a member like any other.
    Object.defineProperty(this.stack[this.stack.length - 1], path[path.length - 1], {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
}

function feed(text: string, visitor: JsonVisitor, cuts: number[] = [], stream = new JsonStream(visitor)): void {
  const bytes = Buffer.from(text);
  let from = 0;
  for (const cut of [...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
    stream.write(bytes.subarray(from, Math.max(from, cut)));
    from = Math.max(from, cut);
  }
  stream.end();
}

function syntaxError(text: string, choose: JsonWalk = "members"): JsonSyntaxError {
  try {
    feed(text, new Rebuilder(() => choose));
  } catch (error) {
    assert.ok(error instanceof JsonSyntaxError, String(error));
    return error;
  }
  assert.fail(`no error for ${text}`);
}

const WALKS: JsonWalk[] = ["members", "batches", "whole"];

test("json stream: any document, cut into chunks anywhere, walked or read whole at any depth, gives what JSON.parse gives", () => {
  fc.assert(
    fc.property(
      fc.jsonValue(),
      fc.array(fc.nat(), { maxLength: 6 }),
      fc.array(fc.constantFrom(...WALKS), { minLength: 1, maxLength: 8 }),
      fc.boolean(),
      (value, cuts, walks, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        const rebuilder = new Rebuilder((path) => walks[path.length % walks.length]);
        feed(text, rebuilder, cuts);
        assert.deepEqual(rebuilder.documents, [JSON.parse(text)]);
      },
    ),
    { seed: 15, numRuns: 400 },
  );
});

test("json stream: a batched array of a few MiB comes in several batches, in order", () => {
  const samples = Array.from({ length: 200_000 }, (_, i) => [1_700_000_000 + i, String(i / 7)]);
  const text = JSON.stringify({ values: samples });
  const batches: number[] = [];
  const rebuilder = new Rebuilder((path) => (path.length === 1 ? "batches" : "members"));
  const counting: JsonVisitor = {
    open: (path, kind) => rebuilder.open(path, kind),
    value: (path, value) => rebuilder.value(path, value),
    close: (path) => rebuilder.close(path),
    batch(path, items) {
      batches.push(items.length);
      rebuilder.batch(path, items);
    },
  };
  feed(text, counting, [65_536, 131_072, 3_000_000]);
  assert.ok(batches.length > 2, `${batches.length} batches`);
  assert.deepEqual(rebuilder.documents, [{ values: samples }]);
});

test("json stream: syntax errors name the line and column, in walked and whole values alike", () => {
  for (const walk of WALKS) {
    const error = syntaxError('{\n  "status": "success",\n  "data" {}\n}', walk);
    assert.equal(error.where, "line 3, column 10", walk);
  }
  assert.equal(syntaxError('{"data": [,]}').where, "line 1, column 11");
  assert.equal(syntaxError('{"data": [1, 2}').where, "line 1, column 15");
  assert.equal(syntaxError('{"a": {"b": [1, 2}}', "whole").where, "line 1, column 18");
  assert.equal(syntaxError('{"a": [\n  {"b": tru }]}').where, "line 2, column 9");
  assert.match(syntaxError('{"a": "x\ny"}').message, /line break/);
  assert.match(syntaxError("{} {}").message, /end of the document/);
  const cut = syntaxError('{"a": [1, 2');
  assert.ok(cut.atEnd);
});

test("json stream: one document per line skips a bad line and resumes on the next; a pretty document is not read as lines", () => {
  const line = JSON.stringify({ a: [1, { b: "c" }] });
  const bad: number[] = [];
  const rebuilder = new Rebuilder(() => "members");
  const stream = new JsonStream(rebuilder, { documents: { badLine: (n) => bad.push(n) } });
  feed(`${line}\n${line.slice(0, 12)}\n${line}\n{"a": tru}\n${line}\n${line.slice(0, 5)}`, rebuilder, [20, 50], stream);
  assert.deepEqual(bad, [2, 4, 6]);
  assert.equal(rebuilder.documents.length, 3);

  const pretty = JSON.stringify({ a: 1 }, null, 2);
  const prettyStream = new JsonStream(new Rebuilder(() => "members"), { documents: { badLine: () => assert.fail() } });
  assert.throws(() => feed(`${pretty}\n{"a": }`, new Rebuilder(() => "members"), [], prettyStream), JsonSyntaxError);
});

test("json stream: a value read whole may not exceed the cap; spaces between tokens cost nothing", () => {
  const stream = new JsonStream(new Rebuilder(() => "members"));
  stream.write(Buffer.from('{"resourceSpans": '));
  const spaces = Buffer.alloc(1024 * 1024, 0x20);
  for (let i = 0; i < 200; i++) stream.write(spaces);
  assert.throws(() => stream.end(), /ends early/);

  const whole = new JsonStream(new Rebuilder(() => "whole"));
  whole.write(Buffer.from("["));
  assert.throws(() => {
    for (let i = 0; i < 200; i++) whole.write(spaces);
  }, /a value over 128 MiB at top level/);
});

test('json pairs: plain [number, "number"] pairs read from bytes equal JSON.parse and Number; anything else is left to JSON.parse', () => {
  const decimal = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(d)),
    fc.stringMatching(/^-?(0|[1-9]\d{0,20})(\.\d{1,20})?([eE][-+]?\d{1,3})?$/),
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), decimal, fc.boolean()), { maxLength: 20 }),
      (pairs) => {
        const text = pairs.map(([t, v, quoted]) => `[${t}, ${quoted ? `"${v}"` : v}]`).join(",");
        const columns = new PairColumns();
        assert.ok(readPairs(Buffer.from(text), 0, Buffer.byteLength(text), columns), text);
        const parsed = JSON.parse(`[${text}]`) as [number, number | string][];
        assert.deepEqual(
          Array.from(columns.first.subarray(0, columns.count)),
          parsed.map(([t]) => t),
        );
        assert.deepEqual(
          Array.from(columns.second.subarray(0, columns.count)),
          parsed.map(([, v]) => Number(v)),
        );
      },
    ),
    { seed: 15, numRuns: 300 },
  );
  for (const other of [
    '[1, "NaN"]',
    '[1, "+Inf"]',
    '["1", "2"]',
    "[1, 2, 3]",
    '[1, " 2"]',
    "[01, 2]",
    "[1, 2],",
    "[1 2]",
  ]) {
    assert.equal(readPairs(Buffer.from(other), 0, other.length, new PairColumns()), false, other);
  }
});

test("json stream: pair arrays read in one pass or scanned, cut anywhere, give every pair in order; other items go to batch", () => {
  const pair = fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.double({ noNaN: true, noDefaultInfinity: true }).map(String)),
    fc.constant([1, "NaN"] as [number, string]),
  );
  fc.assert(
    fc.property(
      fc.array(fc.array(pair, { maxLength: 30 }), { maxLength: 5 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (series, cuts) => {
        const text = JSON.stringify({ result: series.map((values) => ({ values })) });
        const read: unknown[][] = [];
        const visitor: JsonVisitor = {
          open: (path, kind) => {
            if (kind === "array" && path[path.length - 1] === "values") {
              read.push([]);
              return "pairs";
            }
            return "members";
          },
          value: () => assert.fail("no value is read whole"),
          pairs(path, columns) {
            assert.equal(path[path.length - 1], read[read.length - 1].length, "the path names the first pair's index");
            for (let i = 0; i < columns.count; i++) read[read.length - 1].push([columns.first[i], columns.second[i]]);
          },
          // A batch holds the items as JSON.parse gives them: values still as text.
          batch: (_path, items) =>
            read[read.length - 1].push(
              ...(items as [number, string][]).map(([t, v]) => [t, v === "NaN" ? v : Number(v)]),
            ),
        };
        feed(text, visitor, cuts);
        const expected = series.map((values) => values.map(([t, v]) => (v === "NaN" ? [t, v] : [t, Number(v)])));
        assert.deepEqual(read, expected);
      },
    ),
    { seed: 15, numRuns: 300 },
  );
});

test("json pairs: a whole array is read up to its bracket, or not at all when it is cut off or holds anything else", () => {
  const columns = new PairColumns();
  const text = '[1, "2.5"], [3,"4"] ] tail';
  assert.equal(readPairArray(Buffer.from(text), 0, columns), text.indexOf("] tail"));
  assert.deepEqual([...columns.first.subarray(0, columns.count)], [1, 3]);
  assert.deepEqual([...columns.second.subarray(0, columns.count)], [2.5, 4]);
  assert.equal(readPairArray(Buffer.from(" ]"), 0, columns), 1);
  assert.equal(columns.count, 0);
  for (const other of [
    '[1, "2"], [3, "45',
    '[1, "2"], [3, "4"]',
    '[1, "2"], [3, 4',
    '[1, "NaN"]]',
    '[1, "2"] [3, "4"]]',
  ])
    assert.equal(readPairArray(Buffer.from(other), 0, columns), -1, other);
});
