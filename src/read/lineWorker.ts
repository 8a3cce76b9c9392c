/**
 * A worker thread of parallelLines: reads the lines that start within a byte range of a file, parses
 * them with the named parser, and answers with the results in order.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { parseLogLine } from "./jsonLines.js";
import { packLines } from "./logBatch.js";
import type { ChunkReply, ChunkRequest, LineParserName, LineResult } from "./parallelLines.js";

const PARSERS: Record<LineParserName, (line: string, fallbackLabels: Record<string, string>) => LineResult> = {
  "json-lines": parseLogLine,
};

/** Line breaks as Node's readline knows them, so that lines and their numbers match a sequential read. */
const LINE_BREAK = /\r?\n|\r(?!\n)/;
const NEWLINE = 0x0a;
/** Bytes read at a time while looking for the end of a line. */
const SCAN_BYTES = 64 * 1024;

/** The first offset at or after `offset` where a line starts: chunk edges fall just after a newline. */
function lineStart(fd: number, offset: number): number {
  if (offset <= 0) return 0;
  const buffer = Buffer.allocUnsafe(SCAN_BYTES);
  for (let at = offset - 1; ; at += SCAN_BYTES) {
    const read = readSync(fd, buffer, 0, SCAN_BYTES, at);
    if (read === 0) return at;
    const newline = buffer.subarray(0, read).indexOf(NEWLINE);
    if (newline >= 0) return at + newline + 1;
  }
}

function readRange(fd: number, start: number, end: number): Buffer {
  const buffer = Buffer.allocUnsafe(end - start);
  let done = 0;
  while (done < buffer.length) {
    const read = readSync(fd, buffer, done, buffer.length - done, start + done);
    if (read === 0) break;
    done += read;
  }
  return buffer.subarray(0, done);
}

function parseChunk({ path, start, end, spec }: ChunkRequest): ChunkReply {
  const fd = openSync(path, "r");
  let bytes: Buffer;
  try {
    const from = lineStart(fd, start);
    bytes = readRange(fd, from, Math.max(from, lineStart(fd, end)));
  } finally {
    closeSync(fd);
  }
  let text = bytes.toString("utf8");
  // The byte-order mark some Windows tools write is no part of the first line.
  if (start === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(LINE_BREAK);
  // The text ends with a line break (or is empty): the piece after it is no line.
  if (lines[lines.length - 1] === "") lines.pop();
  const parse = PARSERS[spec.parser];
  return { batch: packLines(lines.map((line) => parse(line, spec.fallbackLabels))), bytes: end - start };
}

parentPort?.on("message", (request: ChunkRequest) => {
  let reply: ChunkReply;
  try {
    reply = parseChunk(request);
  } catch (error) {
    reply = { error: (error as Error).message };
  }
  parentPort?.postMessage(reply);
});
