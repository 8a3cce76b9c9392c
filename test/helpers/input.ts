/** ReaderInputs built from strings or files, standing in for the real un-gzipping input layer in reader tests. */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import type { ReaderInput } from "../../src/read/types.js";

/** The size of the sniffing head, as the contract states it. */
const HEAD_BYTES = 64 * 1024;

/** A ReaderInput over `content`, named `file` in messages. */
export function inputFromString(file: string, content: string): ReaderInput {
  return {
    file,
    head: Buffer.from(content).subarray(0, HEAD_BYTES).toString("utf8"),
    async *lines() {
      if (content === "") return;
      const lines = content.split(/\r?\n/);
      // A final line break ends the last line; it does not start an empty one.
      if (lines[lines.length - 1] === "") lines.pop();
      yield* lines;
    },
    async *bytes() {
      yield Buffer.from(content);
    },
  };
}

/** A ReaderInput over a file on disk; `.gz` files are un-gzipped as the real input layer does. */
export function inputFromFile(path: string): ReaderInput {
  const bytes = readFileSync(path);
  const content = (path.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8");
  return inputFromString(path, content);
}
