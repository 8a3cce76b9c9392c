import assert from "node:assert/strict";
import { test } from "node:test";
import { csvRecords } from "../src/read/csvRecords.js";
import { ReadError } from "../src/read/types.js";
import { inputFromString } from "./helpers/input.js";

async function records(text: string, onBad?: (where: string, reason: string) => void) {
  const out: { line: number; fields: string[] }[] = [];
  for await (const r of csvRecords(inputFromString("t.csv", text), onBad)) out.push(r);
  return out;
}

test("fields are split, trimmed, unquoted; doubled quotes and line breaks inside quotes survive", async () => {
  const rows = await records('\uFEFFa, b ,c\n1,"x ""y"", z",3\n\n2,"two\nlines",4\n5,q"uote,6\n');
  assert.deepEqual(rows, [
    { line: 1, fields: ["a", "b", "c"] },
    { line: 2, fields: ["1", 'x "y", z', "3"] },
    { line: 5, fields: ["2", "two\nlines", "4"] },
    { line: 6, fields: ["5", 'q"uote', "6"] },
  ]);
});

test("empty trailing fields are kept, so row widths stay true", async () => {
  assert.deepEqual((await records("a,b,c\n1,,\n"))[1].fields, ["1", "", ""]);
});

test("text after a closing quote is an error naming the line, or a skipped record when the reader allows it", async () => {
  const text = 'a,b\n1,2\n"x"y,3\n4,5\n';
  await assert.rejects(
    records(text),
    (e: unknown) => e instanceof ReadError && /t\.csv: line 3: well-formed CSV/.test(e.message),
  );
  const skipped: string[] = [];
  const rows = await records(text, (where) => skipped.push(where));
  assert.deepEqual(skipped, ["line 3"]);
  assert.deepEqual(
    rows.map((r) => r.fields[0]),
    ["a", "1", "4"],
  );
});

test("a quote never closed is an error at the end of the input", async () => {
  await assert.rejects(
    records('a,b\n1,"open\n2,3\n'),
    (e: unknown) => e instanceof ReadError && /never closed/.test(e.message),
  );
});
