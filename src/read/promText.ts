/**
 * Prometheus text exposition / OpenMetrics: one scrape per file. `# HELP`, `# TYPE`, `# UNIT`, samples
 * `name{label="value",...} value [timestamp]`, `# EOF`. Histogram and summary samples (`_bucket`,
 * `_sum`, `_count`, quantiles) stay series of their own names.
 */
import { epochToSeconds, parseTimestamp } from "../case/time.js";
import { parseSampleValue } from "./samples.js";
import { type CaseSink, type Labels, ReadError, type Reader, type ReaderInput } from "./types.js";

/** Sniff confidences: metadata lines are this format's own marker; bare samples are only likely. */
const WITH_METADATA = 0.9;
const METADATA_ONLY = 0.7;
const SAMPLES_ONLY = 0.5;
/** Bare `name value` lines also look like some log lines: ask for a few before claiming the content. */
const MIN_BARE_SAMPLES = 2;
/** Lines of the head looked at when sniffing. */
const SNIFF_LINES = 50;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const METADATA = /^#\s+(HELP|TYPE|UNIT)\s+(\S+)(?:\s+(.*))?$/;
const EPOCH = /^[-+]?\d+(\.\d+)?$/;
/** A comment that states when the snapshot was taken: a time word, then an ISO time or an epoch number. */
const TIME_WORD = /\b(scraped|scrape|collected|captured|exported|snapshot|taken|timestamp|time|date|at)\b/i;
const ISO_IN_TEXT = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?/;
const EPOCH_IN_TEXT = /\b\d{9,19}(\.\d+)?\b/;
/** Sample-name suffixes that carry the family's unit (`_count` and `_bucket` are counts). */
const UNIT_SUFFIXES = ["", "_total", "_sum"];

export interface Sample {
  name: string;
  labels: Labels;
  value: number;
  /** Unix seconds, when the line has a timestamp. */
  timestamp?: number;
}

const ESCAPES: Record<string, string> = { "\\": "\\", '"': '"', n: "\n" };

/** A double-quoted string starting at `start` (the opening quote); its unescaped text and the index after it. */
function quoted(line: string, start: number): { text: string; end: number } | undefined {
  let text = "";
  for (let i = start + 1; i < line.length; i++) {
    const c = line[i];
    if (c === '"') return { text, end: i + 1 };
    if (c === "\\" && i + 1 < line.length) {
      const next = line[++i];
      text += ESCAPES[next] ?? `\\${next}`;
    } else {
      text += c;
    }
  }
  return undefined;
}

function skipSpaces(line: string, i: number): number {
  while (line[i] === " " || line[i] === "\t") i++;
  return i;
}

/** The `{...}` label set starting at `start`; a quoted name without `=` is the metric name (UTF-8 names). */
function labelSet(line: string, start: number): { labels: Labels; name?: string; end: number } | string {
  const labels: Labels = {};
  let name: string | undefined;
  let i = start + 1;
  for (;;) {
    i = skipSpaces(line, i);
    if (line[i] === "}") return { labels, name, end: i + 1 };
    let labelName: string;
    if (line[i] === '"') {
      const q = quoted(line, i);
      if (!q) return "unclosed quoted name";
      labelName = q.text;
      i = skipSpaces(line, q.end);
      if (line[i] === "," || line[i] === "}") {
        name = labelName;
        if (line[i] === ",") i++;
        continue;
      }
    } else {
      const match = LABEL_NAME.exec(line.slice(i));
      if (!match) return `expected a label name at column ${i + 1}`;
      labelName = match[0];
      i = skipSpaces(line, i + labelName.length);
    }
    if (line[i] !== "=") return `expected = after label ${labelName}`;
    i = skipSpaces(line, i + 1);
    if (line[i] !== '"') return `expected a quoted value for label ${labelName}`;
    const value = quoted(line, i);
    if (!value) return `unclosed value of label ${labelName}`;
    labels[labelName] = value.text;
    i = skipSpaces(line, value.end);
    if (line[i] === ",") i++;
    else if (line[i] !== "}") return i >= line.length ? "unclosed label set" : `expected , or } at column ${i + 1}`;
  }
}

/** One sample line, or the reason it is not one. */
export function parseSample(line: string): Sample | string {
  let name = METRIC_NAME.exec(line)?.[0] ?? "";
  let labels: Labels = {};
  let i = name.length;
  if (line[i] === "{") {
    const set = labelSet(line, i);
    if (typeof set === "string") return set;
    if (set.name !== undefined) name = set.name;
    labels = set.labels;
    i = set.end;
  }
  if (name === "") return "expected a metric name";
  // An OpenMetrics exemplar (` # {trace_id="..."} 1`) follows the sample; it is not part of it.
  const exemplar = line.indexOf(" # ", i);
  const fields = line
    .slice(i, exemplar < 0 ? undefined : exemplar)
    .trim()
    .split(/\s+/);
  if (i === name.length && !/^\s/.test(line.slice(i))) return "expected a space between the metric name and the value";
  if (fields[0] === "") return "expected a value after the metric name";
  if (fields.length > 2) return `expected "value [timestamp]" after the labels, found ${fields.length} fields`;
  const value = parseSampleValue(fields[0]);
  if (value === undefined) return `expected a numeric value, found "${fields[0]}"`;
  if (fields.length === 1) return { name, labels, value };
  if (!EPOCH.test(fields[1])) return `expected a numeric timestamp, found "${fields[1]}"`;
  return { name, labels, value, timestamp: epochToSeconds(Number(fields[1])) };
}

/** The time a comment says the snapshot was taken (`# scraped at 2024-05-01T12:00:00Z`), if it says one. */
export function commentTimestamp(comment: string): number | undefined {
  if (!TIME_WORD.test(comment)) return undefined;
  const text = ISO_IN_TEXT.exec(comment)?.[0] ?? EPOCH_IN_TEXT.exec(comment)?.[0];
  if (text === undefined) return undefined;
  const t = parseTimestamp(text);
  return Number.isNaN(t) ? undefined : t;
}

function sniff(head: string): number {
  const lines = head.split(/\r?\n/);
  // The last line of a head may be cut anywhere.
  if (lines.length > 1) lines.pop();
  let metadata = 0;
  let samples = 0;
  let other = 0;
  for (const raw of lines.slice(0, SNIFF_LINES)) {
    const line = raw.trim();
    if (line === "") continue;
    if (METADATA.test(line)) metadata++;
    else if (line.startsWith("#")) continue;
    else if (typeof parseSample(line) === "string") other++;
    else samples++;
  }
  if (metadata > 0 && samples > other) return WITH_METADATA;
  if (metadata > 0 && samples === 0 && other === 0) return METADATA_ONLY;
  if (metadata === 0 && other === 0 && samples >= MIN_BARE_SAMPLES) return SAMPLES_ONLY;
  return 0;
}

interface SeriesSamples {
  labels: Labels;
  metric: string;
  /** NaN where the line had no timestamp: the file's own time fills it at the end. */
  times: number[];
  values: number[];
}

function unitOf(name: string, units: Map<string, string>): string | undefined {
  for (const suffix of UNIT_SUFFIXES) {
    if (suffix === "" || name.endsWith(suffix)) {
      const unit = units.get(name.slice(0, name.length - suffix.length));
      if (unit) return unit;
    }
  }
  return undefined;
}

function seriesKey(name: string, labels: Labels): string {
  return JSON.stringify([name, Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

async function read(input: ReaderInput, sink: CaseSink): Promise<void> {
  const series = new Map<string, SeriesSamples>();
  const units = new Map<string, string>();
  let fileTime: number | undefined;
  let firstUntimedLine: number | undefined;
  let firstBad: { where: string; reason: string } | undefined;
  let lineNumber = 0;
  let samplesRead = 0;
  let ended = false;

  for await (const raw of input.lines()) {
    lineNumber++;
    const line = raw.trim();
    if (line === "") continue;
    if (ended) {
      sink.skip(`line ${lineNumber}`, "content after # EOF is not part of the exposition");
      break;
    }
    if (line.startsWith("#")) {
      const metadata = METADATA.exec(line);
      if (line === "# EOF") ended = true;
      else if (metadata?.[1] === "UNIT" && metadata[3]) units.set(metadata[2], metadata[3].trim());
      else if (!metadata) fileTime ??= commentTimestamp(line);
      continue;
    }
    const sample = parseSample(line);
    if (typeof sample === "string") {
      firstBad ??= { where: `line ${lineNumber}`, reason: sample };
      sink.skip(`line ${lineNumber}`, sample);
      continue;
    }
    samplesRead++;
    if (sample.timestamp === undefined) firstUntimedLine ??= lineNumber;
    const key = seriesKey(sample.name, sample.labels);
    let entry = series.get(key);
    if (!entry) {
      entry = { labels: sample.labels, metric: sample.name, times: [], values: [] };
      series.set(key, entry);
    }
    entry.times.push(sample.timestamp ?? Number.NaN);
    entry.values.push(sample.value);
  }

  if (samplesRead === 0) {
    if (firstBad) throw new ReadError(input.file, firstBad.where, firstBad.reason);
    const where = lineNumber === 0 ? "line 1" : "end of file";
    const empty = lineNumber === 0 ? "; the file is empty" : "";
    throw new ReadError(input.file, where, `at least one sample line: name{label="value"} value [timestamp]${empty}`);
  }
  if (firstUntimedLine !== undefined && fileTime === undefined) {
    throw new ReadError(
      input.file,
      `line ${firstUntimedLine}`,
      "a timestamp: this sample has none and the file states no scrape time. Add the time in milliseconds " +
        "after each value (`up 1 1714564800000`) or a comment at the top of the file (`# scraped at 2024-05-01T12:00:00Z`)",
    );
  }
  // Only reached with a file time whenever some sample lacked its own.
  const snapshotTime = fileTime ?? Number.NaN;
  for (const { labels, metric, times, values } of series.values()) {
    const t: number[] = [];
    const v: number[] = [];
    times.forEach((time, i) => {
      // NaN values are Prometheus' stale markers and missing samples: dropped, never zero.
      if (Number.isNaN(values[i])) return;
      t.push(Number.isNaN(time) ? snapshotTime : time);
      v.push(values[i]);
    });
    if (t.length > 0)
      sink.addSamples(labels, metric, Float64Array.from(t), Float64Array.from(v), unitOf(metric, units));
  }
}

export const promTextReader: Reader = { format: "prometheus-text", sniff, read };
