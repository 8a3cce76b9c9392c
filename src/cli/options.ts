/** Parsers for option values shared by commands; each rejects bad input with what was expected. */
import { InvalidArgumentError } from "commander";
import { parseDuration, parseTimestamp } from "../case/time.js";

export const FORMATS = ["text", "md", "json", "html"] as const;
export type Format = (typeof FORMATS)[number];

/** `--at`: ISO 8601 or unix seconds, to unix seconds. */
export function parseAt(value: string): number {
  const seconds = parseTimestamp(value);
  if (!Number.isFinite(seconds)) {
    throw new InvalidArgumentError("Expected an ISO 8601 time (2025-11-19T00:57:00Z) or unix seconds.");
  }
  return seconds;
}

/** A number alone: seconds to one person, minutes to another, so a duration must say its unit. */
const BARE_NUMBER = /^\s*\d+(\.\d+)?\s*$/;

/** `--window`: a positive duration with its unit, such as 90s, 15m or 1h, to seconds. */
export function parseWindow(value: string): number {
  if (BARE_NUMBER.test(value))
    throw new InvalidArgumentError(
      `Expected a unit: ${value.trim()}s, ${value.trim()}m or ${value.trim()}h (ms, s, m, h, d).`,
    );
  const seconds = parseDuration(value);
  if (!(seconds > 0)) throw new InvalidArgumentError("Expected a positive duration such as 90s, 15m or 1h.");
  return seconds;
}

/** `--baseline <start>/<end>`: a known-good stretch, two times as `--at` takes them, the start first. */
export function parseBaseline(value: string): { start: number; end: number } {
  const parts = value.split("/");
  if (parts.length !== 2)
    throw new InvalidArgumentError("Expected <start>/<end>: two times (ISO 8601 or unix seconds) joined by a slash.");
  const [start, end] = parts.map((part) => parseTimestamp(part.trim()));
  if (!Number.isFinite(start) || !Number.isFinite(end))
    throw new InvalidArgumentError(
      "Expected <start>/<end>, each an ISO 8601 time (2025-11-19T00:57:00Z) or unix seconds.",
    );
  if (!(end > start)) throw new InvalidArgumentError("Expected the baseline's end after its start.");
  return { start, end };
}

/** `--top`: how many causes to report, a positive integer. */
export function parseTop(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError("Expected a positive whole number.");
  }
  return n;
}

/** Binary multiples by their letter: `K`, `M`, `G`, `T` (with an optional `i` and `B`: 512MiB, 8GB). */
const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i;
const SIZE_POWERS: Record<string, number> = { "": 0, k: 1, m: 2, g: 3, t: 4 };

/** `--max-file-size`: a positive size such as 512M or 8G (powers of 1024), to bytes. */
export function parseSize(value: string): number {
  const match = SIZE.exec(value);
  const bytes = match ? Number(match[1]) * 1024 ** SIZE_POWERS[match[2].toLowerCase()] : Number.NaN;
  if (!(bytes >= 1)) throw new InvalidArgumentError("Expected a size such as 512M, 8G or 1T (powers of 1024).");
  return Math.floor(bytes);
}
