/** The level of a log line: from an explicit level field, or detected in the line's text. */

import type { LogLevel } from "./model.js";

/**
 * Level names as real loggers write them: log4j/logback, Python, Go (zap, logrus, klog), syslog,
 * java.util.logging, .NET, OpenTelemetry severity text, MySQL, PostgreSQL and RabbitMQ.
 */
const LEVEL_NAMES: Record<string, LogLevel> = {
  trace: "trace",
  verbose: "trace",
  finest: "trace",
  finer: "trace",
  debug: "debug",
  dbg: "debug",
  fine: "debug",
  info: "info",
  inf: "info",
  information: "info",
  informational: "info",
  notice: "info",
  note: "info",
  log: "info",
  warn: "warn",
  warning: "warn",
  wrn: "warn",
  error: "error",
  err: "error",
  eror: "error",
  severe: "error",
  dpanic: "error",
  fatal: "fatal",
  ftl: "fatal",
  critical: "fatal",
  crit: "fatal",
  panic: "fatal",
  alert: "fatal",
  emerg: "fatal",
  emergency: "fatal",
};

/** Single-letter levels (klog/glog prefixes, Android, compact formats). */
const LETTER_LEVELS: Record<string, LogLevel> = {
  v: "trace",
  t: "trace",
  d: "debug",
  i: "info",
  w: "warn",
  e: "error",
  f: "fatal",
};

/** Numeric level scales: pino/bunyan (10..60), OpenTelemetry severityNumber (1..24), syslog severity (0..7). */
export type LevelScale = "pino" | "otlp" | "syslog";

/** pino/bunyan: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal (custom levels fall to the step below). */
function pinoLevel(value: number): LogLevel {
  if (value < 10) return "unknown";
  if (value < 20) return "trace";
  if (value < 30) return "debug";
  if (value < 40) return "info";
  if (value < 50) return "warn";
  if (value < 60) return "error";
  return "fatal";
}

/** OpenTelemetry severityNumber: 1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error, 21-24 fatal. */
function otlpLevel(value: number): LogLevel {
  if (value < 1 || value > 24) return "unknown";
  const levels: LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal"];
  return levels[Math.floor((value - 1) / 4)];
}

/** syslog severity (RFC 5424): 0 emerg, 1 alert, 2 crit, 3 err, 4 warning, 5 notice, 6 info, 7 debug. */
function syslogLevel(value: number): LogLevel {
  const levels: LogLevel[] = ["fatal", "fatal", "fatal", "error", "warn", "info", "info", "debug"];
  return levels[value] ?? "unknown";
}

/** pino's six levels are exact multiples of ten; OpenTelemetry's base levels (1, 5, 9, ...) never are. */
function isPinoValue(value: number): boolean {
  return value % 10 === 0 && value >= 10 && value <= 60;
}

function numericLevel(value: number, scale: LevelScale | undefined): LogLevel {
  if (!Number.isInteger(value)) return "unknown";
  if (scale === "pino") return pinoLevel(value);
  if (scale === "otlp") return otlpLevel(value);
  if (scale === "syslog") return syslogLevel(value);
  if (isPinoValue(value)) return pinoLevel(value);
  return otlpLevel(value);
}

/**
 * An explicit level field's value as a LogLevel: names in any case (`WARNING`, `err`, `Information`,
 * OpenTelemetry `INFO2`), single letters (`W`, `E`, `I`), or numbers. Without a `scale`, a number that
 * is a multiple of ten from 10 to 60 is read as pino/bunyan and any other 1..24 as OpenTelemetry.
 */
export function normaliseLevel(raw: string | number, scale?: LevelScale): LogLevel {
  if (typeof raw === "number") return numericLevel(raw, scale);
  const text = raw.trim().toLowerCase();
  if (text === "") return "unknown";
  if (/^\d+$/.test(text)) return numericLevel(Number(text), scale);
  const named = LEVEL_NAMES[text] ?? (text.length === 1 ? LETTER_LEVELS[text] : undefined);
  if (named) return named;
  const otlpText = /^([a-z]+)[1-4]$/.exec(text);
  return (otlpText && LEVEL_NAMES[otlpText[1]]) || "unknown";
}

/** Characters searched for a level: past a timestamp, host, pid, thread and logger, short of most message text. */
const HEAD_CHARS = 300;

/** Whitespace-separated tokens searched for a bare level word: room for date, time, zone, host, pid and thread. */
const LEVEL_TOKENS = 8;

/** klog/glog header: `E0129 08:42:22.382123 ...` (level letter, month and day, time). */
const KLOG = /^\s*([IWEF])\d{4} \d{2}:\d{2}:\d{2}/;

/** A level field in logfmt or JSON: `level=error`, `"level":"error"`, `"severity": "ERROR"`, `"level":50`. */
const LEVEL_FIELD =
  /(?:^|[\s{,;])"?(?:level|lvl|severity|loglevel|log_level|log\.level|levelname|severity_?text)"?\s*[=:]\s*"?([A-Za-z]+[1-4]?|\d+)/i;

/** A level word with its decoration: `[warning]`, `<error>`, `ERROR:`, `INFO|`, or bare `INFO`. */
const LEVEL_WORD = /^([[(<{|"']*)([A-Za-z]+)([\])>}|:,"']*)/;

/** Opening or closing characters that mark a word as a level field rather than prose. */
const DECORATION = /[[(<{|:\])>}]/;

/** Words that open a sentence as often as they name a level; they count only when decorated. */
const AMBIGUOUS_WORDS = new Set(["log", "note", "alert", "fine", "finer", "finest", "verbose", "crit", "inf"]);

/** Level names only trusted in a level field: in text, `panic:` starts a Go panic trace, an error like any other. */
const FIELD_ONLY_WORDS = new Set(["panic", "dpanic"]);

/** Exceptions and stack traces that mark a line as an error when no level says otherwise. */
const STACK_TRACE_START =
  /^\s*(?:Traceback \(most recent call last\)|Exception in thread |Caused by: |at [\w$.<>]+ ?\(|File ".*", line \d+|panic: |goroutine \d+ \[|[\w$.]*(?:Exception|Error)(?::|$))/;
const EXCEPTION_NAME = /\b[A-Z][\w$]*Exception\b/;

function levelWord(token: string, first: boolean): LogLevel | undefined {
  const match = LEVEL_WORD.exec(token);
  if (!match) return undefined;
  const [, open, word, close] = match;
  if (close === "" && word.length !== token.length - open.length) return undefined;
  const lower = word.toLowerCase();
  const level = LEVEL_NAMES[lower];
  if (!level || FIELD_ONLY_WORDS.has(lower)) return undefined;
  const decorated = DECORATION.test(open) || DECORATION.test(close);
  if (decorated) return level;
  if (AMBIGUOUS_WORDS.has(lower)) return undefined;
  return word === word.toUpperCase() || first ? level : undefined;
}

/**
 * The level of a line from its text: a klog header, a level field (`level=error`, `"level":"error"`),
 * or a level word near the start (upper case, decorated as in `[warn]` or `error:`, or opening the
 * line). Failing those, an exception or stack-trace line is an `error`; otherwise `unknown`.
 */
export function detectLevel(message: string): LogLevel {
  const head = message.length > HEAD_CHARS ? message.slice(0, HEAD_CHARS) : message;

  const klog = KLOG.exec(head);
  if (klog) return LETTER_LEVELS[klog[1].toLowerCase()];

  const field = LEVEL_FIELD.exec(head);
  if (field) {
    const level = normaliseLevel(field[1]);
    if (level !== "unknown") return level;
  }

  const tokens = head.match(/\S+/g) ?? [];
  const count = Math.min(tokens.length, LEVEL_TOKENS);
  for (let i = 0; i < count; i++) {
    const level = levelWord(tokens[i], i === 0);
    if (level) return level;
  }

  if (STACK_TRACE_START.test(head) || EXCEPTION_NAME.test(head)) return "error";
  return "unknown";
}
