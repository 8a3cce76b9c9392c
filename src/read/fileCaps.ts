/**
 * The caps on one file (types.ts ReadLimits) as errors naming the cap and its flag, shared by the
 * streamed read (index.ts) and the chunked read on worker threads (parallelLines.ts), so that a file
 * over a cap ends the same way whichever path reads it.
 */
import { ReadError, type ReadLimits } from "./types.js";

/** A size in the unit a person would say it: 8 GiB, 512 MiB. */
export function sizeText(bytes: number): string {
  return bytes >= 2 ** 30 ? `${+(bytes / 2 ** 30).toFixed(2)} GiB` : `${+(bytes / 2 ** 20).toFixed(2)} MiB`;
}

export function fileSizeError(file: string, limits: ReadLimits): ReadError {
  return new ReadError(
    file,
    "content",
    `at most ${sizeText(limits.maxFileBytes)} of content (--max-file-size); it holds more once un-gzipped`,
  );
}

export function fileTimeError(file: string, limits: ReadLimits, bytesRead: number): ReadError {
  return new ReadError(
    file,
    "content",
    `a file read within ${limits.maxFileSeconds} s (--max-file-time); stopped after ${sizeText(bytesRead)}`,
  );
}

/** `lineStart`: the byte offset (of the content) where the line that is too long starts. */
export function lineLengthError(file: string, limits: ReadLimits, lineStart: number): ReadError {
  return new ReadError(
    file,
    `byte ${lineStart}`,
    `lines of at most ${sizeText(limits.maxLineBytes)} (--max-line-length); the line starting here is longer`,
  );
}

/** Where the first line longer than `max` bytes starts within the bytes' [from, to), or -1. A line ends at LF or CR, as readline takes them. */
export function longLineIn(bytes: Uint8Array, from: number, to: number, max: number): number {
  let start = from;
  for (let i = from; i < to; i++) {
    if (bytes[i] !== 0x0a && bytes[i] !== 0x0d) continue;
    if (i - start > max) return start;
    start = i + 1;
  }
  return to - start > max ? start : -1;
}
