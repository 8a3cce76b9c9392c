/** Lines parsed on worker threads, chunk by chunk, give what one thread gives: the same lines, numbers, records and Case. */
import assert from "node:assert/strict";
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { CaseBuilder } from "../src/case/builder.js";
import { prepareLine } from "../src/case/templateMiner.js";
import { parseLogLine } from "../src/read/jsonLines.js";
import { forEachParsedLine, type ParsedLine } from "../src/read/parallelLines.js";
import { DEFAULT_READ_LIMITS, type ReaderInput } from "../src/read/types.js";

const dir = mkdtempSync(join(tmpdir(), "beneath-parallel-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Lines of every kind a chunk edge could cut badly: CRLF and lone CR breaks, blank, malformed, multi-byte, traced, odd. */
function awkwardLog(lines: number): string {
  const services = ["cart", "payment", "shipping-7d9f8c6b5-x2x9q"];
  const parts = ["\ufeff"];
  for (let i = 0; i < lines; i++) {
    const t = 1_700_000_000 + i * 0.37;
    const message = ["paid order", "réessai pour 订单", "emoji 🚀 in", "timeout calling"][i % 4];
    const record: Record<string, unknown> = { ts: t, level: ["info", "warn", "error"][i % 3], msg: `${message} ${i}` };
    record[i % 5 === 0 ? "pod" : "service"] = services[i % 3];
    if (i % 4 === 1) Object.assign(record, { trace_id: `t${i % 17}`, span_id: `s${i % 29}` });
    // A control character that joins tokens in transit, and a message longer than the miner reads.
    if (i % 101 === 7) record.msg = `odd \u0001 char ${i}`;
    if (i % 103 === 5) record.msg = `long ${"payload 12 ".repeat(300)}`;
    const line = i % 97 === 13 ? `{"ts": ${t}, "msg": "cut off` : JSON.stringify(record);
    const end = i % 11 === 0 ? "\r\n" : i % 13 === 0 ? "\r" : "\n";
    parts.push(line, end);
    if (i % 23 === 0) parts.push("\n", "   \n");
  }
  parts.push(JSON.stringify({ ts: 1_700_001_000, msg: "last line, no line break" }));
  return parts.join("");
}

/** The input layer's sequential view of a plain file: Node's readline, byte-order mark dropped. */
function inputOf(path: string): ReaderInput {
  return {
    file: path,
    head: "",
    async *lines() {
      let first = true;
      for await (const line of createInterface({
        input: createReadStream(path),
        crlfDelay: Number.POSITIVE_INFINITY,
      })) {
        yield first && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
        first = false;
      }
    },
    async *bytes() {},
    plainFile: { path, size: statSync(path).size, limits: DEFAULT_READ_LIMITS },
  };
}

async function parsed(path: string, workers: number, chunkBytes: number, keepPrepared = false) {
  const seen: [number, ParsedLine][] = [];
  const spec = { parser: "json-lines" as const, fallbackLabels: { service: "fallback" } };
  const take = (result: ParsedLine, lineNumber: number) => {
    // Lines from a worker come masked and tokenised as the miner would do it; the rest is compared as it is.
    if (typeof result !== "string" && result.prepared && !keepPrepared) {
      const { prepared, ...record } = result;
      assert.deepEqual(prepared, prepareLine(record.message));
      seen.push([lineNumber, record]);
    } else seen.push([lineNumber, result]);
  };
  await forEachParsedLine(inputOf(path), spec, parseLogLine, take, {
    workers,
    chunkBytes,
    minBytes: 0,
  });
  return seen;
}

function caseOf(results: [number, ParsedLine][]) {
  const builder = new CaseBuilder();
  const sink = builder.sinkFor("app.log");
  for (const [, result] of results) if (typeof result !== "string") sink.addLog(result);
  const { logs } = builder.build();
  return logs.templates.map((t) => ({ ...t, counts: [...t.counts], traced: [...t.traced] }));
}

test("worker threads reading chunks give the lines, line numbers and records of one thread, in order", async () => {
  const path = join(dir, "awkward.jsonl");
  writeFileSync(path, awkwardLog(3000));
  const one = await parsed(path, 1, 4096);
  assert.ok(one.length > 3000, "every line was read");
  assert.ok(
    one.some(([, r]) => typeof r === "string"),
    "malformed lines are reported",
  );
  // Chunk sizes that cut inside multi-byte characters and between CR and LF, and more chunks than workers.
  for (const chunkBytes of [997, 4096, 65_536]) {
    const many = await parsed(path, 3, chunkBytes);
    assert.deepEqual(many, one, `chunks of ${chunkBytes} bytes`);
  }
  assert.deepEqual(caseOf(await parsed(path, 2, 1500, true)), caseOf(one), "the Case's log templates are the same");
});

test("a file smaller than a chunk, and an empty one, read the same in parallel", async () => {
  const small = join(dir, "small.jsonl");
  writeFileSync(small, '{"ts":1700000000,"msg":"one"}\n{"ts":1700000001,"msg":"two"}');
  assert.deepEqual(await parsed(small, 2, 1 << 20), await parsed(small, 1, 1 << 20));
  const empty = join(dir, "empty.jsonl");
  writeFileSync(empty, "");
  assert.deepEqual(await parsed(empty, 2, 1 << 20), []);
});
