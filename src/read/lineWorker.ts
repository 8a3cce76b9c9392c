/**
 * A worker thread of parallelLines: reads the lines that start within a byte range of a file, parses
 * them with the named parser, and answers with the results in order.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { longLineIn } from "./fileCaps.js";
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

/**
 * The first offset at or after `offset` where a line starts (chunk edges fall just after a line
 * break), or -1 when none is within `maxLineBytes`: the line there is longer than the cap, and looking
 * further would read without end through a file of one endless line.
 */
function lineStart(fd: number, offset: number, maxLineBytes: number): number {
  if (offset <= 0) return 0;
  const buffer = Buffer.allocUnsafe(SCAN_BYTES);
  for (let at = offset - 1; at <= offset + maxLineBytes; at += SCAN_BYTES) {
    const read = readSync(fd, buffer, 0, SCAN_BYTES, at);
    if (read === 0) return at;
    const newline = buffer.subarray(0, read).indexOf(NEWLINE);
    if (newline >= 0) return at + newline + 1;
  }
  return -1;
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

function parseChunk({ path, start, end, maxLineBytes, spec }: ChunkRequest): ChunkReply {
  const fd = openSync(path, "r");
  let bytes: Buffer;
  let from: number;
  try {
    from = lineStart(fd, start, maxLineBytes);
    // A line over the cap began in an earlier chunk, which reports where it starts.
    if (from < 0) return { longLineAt: start };
    const to = lineStart(fd, end, maxLineBytes);
    if (to < 0) {
      // The last line that starts in this chunk runs on beyond the cap.
      const own = readRange(fd, from, Math.max(from, end));
      return { longLineAt: from + own.lastIndexOf(NEWLINE) + 1 };
    }
    bytes = readRange(fd, from, Math.max(from, to));
  } finally {
    closeSync(fd);
  }
  // Lines within the chunk are no longer than it: looked at only when it exceeds the cap.
  const long = bytes.length > maxLineBytes ? longLineIn(bytes, 0, bytes.length, maxLineBytes) : -1;
  if (long >= 0) return { longLineAt: from + long };
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
