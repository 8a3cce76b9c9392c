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
