import assert from "node:assert/strict";
import { test } from "node:test";
import { readOnWorker } from "../src/read/parallelDocument.js";
import { prometheusJsonReader } from "../src/read/prometheusJson.js";
import type { ReaderInput } from "../src/read/types.js";
import { inputFromString } from "./helpers/input.js";
import { RecordingSink } from "./helpers/recordingSink.js";

/** The document's bytes in pieces of `size`, failing after `failAfter` pieces when given. */
function chunkedInput(file: string, text: string, size: number, failAfter?: number): ReaderInput {
  return {
    ...inputFromString(file, text),
    async *bytes() {
      const bytes = Buffer.from(text);
      for (let at = 0, n = 0; at < bytes.length; at += size, n++) {
        if (n === failAfter) throw new Error("the disk went away");
        yield bytes.subarray(at, at + size);
      }
    },
  };
}

/** What a read gave the sink, and the error it ended with (undefined when it ended well). */
async function outcome(read: (sink: RecordingSink) => Promise<void>) {
  const sink = new RecordingSink();
  let error: string | undefined;
  await read(sink).catch((e: Error) => {
    error = `${e.name}: ${e.message}`;
  });
  return { samples: sink.samples, skipped: sink.skipped, error };
}

function series(count: number, samples: number): string {
  return Array.from({ length: count }, (_, s) => {
    const values = Array.from({ length: samples }, (_, i) => `[${1_700_000_000 + 15 * i},"${(s * 1000 + i) / 7}"]`);
    return `{"metric":{"__name__":"m${s % 3}","pod":"p-${s}"},"values":[${values.join(",")}]}`;
  }).join(",");
}

const MATRIX = `{"status":"success","data":{"resultType":"matrix","result":[${series(300, 50)}]},"warnings":["partial answer"]}`;

const DOCUMENTS: Record<string, string> = {
  "a matrix of many series with a warning": MATRIX,
  "malformed and missing samples": `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up"},"values":[[1,"1"],[2,"NaN"],["x","3"],[4,"+Inf"]]},{"metric":"no labels","values":[]}]}}`,
  "an array of responses: vector and scalar": `[{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1700000000,"1"]}]}},{"status":"success","data":{"resultType":"scalar","result":[1700000000,"2"]}}]`,
  "a syntax error far into the document": `${MATRIX.slice(0, 20_000)}}${MATRIX.slice(20_000)}`,
  "a document cut off": MATRIX.slice(0, 30_000),
  "an error response": `{"status":"error","errorType":"bad_data","error":"parse error"}`,
};

test("a document read on a worker gives the sink what a read on this thread gives, in order, errors included", async () => {
  for (const [name, text] of Object.entries(DOCUMENTS)) {
    const here = await outcome((sink) => prometheusJsonReader.read(inputFromString("doc.json", text), sink));
    for (const size of [7, 4096, 1 << 20]) {
      const there = await outcome((sink) =>
        readOnWorker(chunkedInput("doc.json", text, size), sink, "prometheus-json"),
      );
      assert.deepEqual(there, here, `${name}, in pieces of ${size}`);
    }
  }
  const matrix = await outcome((sink) => prometheusJsonReader.read(inputFromString("doc.json", MATRIX), sink));
  assert.equal(matrix.samples.length, 300);
  assert.equal(matrix.error, undefined);
});

test("when the input fails part way, what was read before it is kept and the input's error is the read's", async () => {
  const size = 64 * 1024;
  const failAfter = 3;
  const there = await outcome((sink) =>
    readOnWorker(chunkedInput("doc.json", MATRIX, size, failAfter), sink, "prometheus-json"),
  );
  const here = await outcome((sink) =>
    prometheusJsonReader.read(chunkedInput("doc.json", MATRIX, size, failAfter), sink),
  );
  assert.equal(there.error, "Error: the disk went away");
  assert.deepEqual(there, here);
  assert.ok(there.samples.length > 0 && there.samples.length < 300, `${there.samples.length} series kept`);
});
