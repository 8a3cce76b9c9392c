import assert from "node:assert/strict";
import { test } from "node:test";
import type { Span } from "../src/case/model.js";
import { SpanTable } from "../src/case/spanTable.js";
import { childrenOf, NO_ROW, spanTree } from "../src/case/spanTree.js";
import { TextNumbers } from "../src/case/strings.js";
import { parseTimestamp } from "../src/case/time.js";
import { spanDuration } from "../src/read/spanCsv.js";

function span(traceId: string, spanId: string, parent: string | undefined, service: string, start: number): Span {
  const s: Span = { traceId, spanId, service, operation: `op-${spanId}`, start, duration: 0.5, error: spanId === "b" };
  if (parent !== undefined) s.parent = parent;
  return s;
}

test("a span table gives back the spans it was made of, log templates included", () => {
  const spans = [span("t1", "a", undefined, "service:front", 1), span("t1", "b", "a", "service:back", 2)];
  spans[1].logTemplates = [3, 1, 3];
  const table = SpanTable.of(spans);
  assert.equal(table.length, 2);
  assert.deepEqual([table.get(0), table.get(1)], spans);
  assert.deepEqual(Array.from(table.logTemplatesOf(0)), []);
  assert.deepEqual(table.trace("t1"), spans);
  assert.deepEqual(table.trace("t2"), []);
});

test("parents are found within their own trace; a repeated id points to the last span read with it", () => {
  const table = SpanTable.of([
    span("t1", "root", undefined, "service:front", 0),
    span("t2", "root", undefined, "service:front", 0),
    span("t2", "kid", "root", "service:back", 1),
    span("t1", "kid", "root", "service:back", 1),
    span("t1", "lost", "nowhere", "service:back", 1),
    span("t1", "root", undefined, "service:front", 2),
    span("t1", "late", "root", "service:back", 3),
  ]);
  const tree = spanTree(table);
  assert.deepEqual(Array.from(tree.parent), [NO_ROW, NO_ROW, 1, 5, NO_ROW, NO_ROW, 5]);
  assert.deepEqual(Array.from(childrenOf(tree, 5)), [3, 6]);
  assert.deepEqual(Array.from(childrenOf(tree, 0)), []);
  assert.equal(spanTree(table), tree, "built once per table");
});

test("services renamed to one become one number", () => {
  const table = SpanTable.of([
    span("t", "a", undefined, "service:web-7d9f", 0),
    span("t", "b", "a", "service:web", 1),
    span("t", "c", "b", "service:db", 2),
  ]);
  table.renameServices((id) => (id === "service:web-7d9f" ? "service:web" : id));
  assert.deepEqual(table.services, ["service:web", "service:db"]);
  assert.equal(table.service[0], table.service[1]);
  assert.equal(table.serviceOf(0), "service:web");
  assert.equal(table.serviceOf(2), "service:db");
});

test("text numbers stay one per distinct text as the table grows", () => {
  const numbers = new TextNumbers();
  const texts = Array.from({ length: 20000 }, (_, i) => `trace-${(i * 7919) % 20000}`);
  const first = texts.map((t) => numbers.numberOf(t));
  assert.equal(new Set(first).size, 20000);
  assert.deepEqual(
    texts.map((t) => numbers.numberOf(`${t}`)),
    first,
  );
  assert.deepEqual(
    first.map((n) => numbers.texts[n]),
    texts,
  );
});

test("long epoch durations are exact: the same as subtracting them as BigInts", () => {
  const pairs: [string, string][] = [
    ["1768531500123456789", "1768531503987654321"],
    ["1768531503987654321", "1768531500123456789"],
    ["1768531500123456", "1768531500123999"],
    ["1768531500000000000", "1778531500000000001"],
    ["1000000000000000000", "9999999999999999999"],
    ["17685315001234567890123", "17685315001234567890124"],
    ["176853150012345678901234567", "176853150012345678901234568"],
  ];
  for (const [start, end] of pairs) {
    const secondsPerUnit = parseTimestamp(start) / Number(start);
    assert.equal(spanDuration(start, end), Number(BigInt(end) - BigInt(start)) * secondsPerUnit, `${start} → ${end}`);
  }
});
