/** How telling a changed log line is, by its level: one table for every detector that weighs log lines. */
import type { LogLevel } from "../case/model.js";

/**
 * Errors and warnings are the clearest sign of a code path gone wrong; a changed INFO or DEBUG line is
 * still a changed path (and a flood of them costs I/O), but a different request payload can explain it.
 */
export const LEVEL_WEIGHT: Record<LogLevel, number> = {
  fatal: 1,
  error: 1,
  warn: 0.9,
  info: 0.7,
  debug: 0.7,
  trace: 0.7,
  unknown: 0.7,
};
