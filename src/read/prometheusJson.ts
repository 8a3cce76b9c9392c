/**
 * Prometheus HTTP API responses: `query_range` (matrix), `query` (vector, scalar), one response object
 * or a JSON array of them. Each series becomes one addSamples call; the metric is its `__name__`.
 */
import { epochToSeconds, parseTimestamp } from "../case/time.js";
import { parseSampleValue, SeriesBuffer } from "./samples.js";
import { type CaseSink, type Labels, ReadError, type Reader, type ReaderInput } from "./types.js";

/** `"resultType"` is this API's own field name: a head that has it is this format. */
const RESULT_CONFIDENCE = 0.95;
/** An error response has no result, but its `errorType` field is as specific. */
const ERROR_CONFIDENCE = 0.9;
/** The metric name of a series without `__name__` (a computed expression), as Prometheus' UI calls it. */
const UNNAMED_METRIC = "value";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sniff(head: string): number {
  const start = head.trimStart()[0];
  if (start !== "{" && start !== "[") return 0;
  if (/"resultType"\s*:/.test(head) && /"result"\s*:/.test(head)) return RESULT_CONFIDENCE;
  if (/"status"\s*:\s*"error"/.test(head) && /"errorType"\s*:/.test(head)) return ERROR_CONFIDENCE;
  return 0;
}

/** The error JSON.parse reports for `text`, or undefined when it parses. */
function jsonError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** True when `message` only says the text ended early (so a longer text might still be valid). */
function endsEarly(message: string, length: number): boolean {
  const position = /at position (\d+)/.exec(message);
  return position ? Number(position[1]) >= length : /end of JSON/i.test(message);
}

/**
 * The offset of the character JSON.parse rejected. V8 states it for most faults; for an unexpected token
 * it does not, so find the shortest prefix that fails other than by ending early (a fault stays a fault
 * in every longer prefix, so a binary search finds it).
 */
function jsonErrorOffset(text: string, message: string): number {
  const position = /at position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  if (endsEarly(message, text.length)) return text.length;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    const prefixError = jsonError(text.slice(0, mid + 1));
    if (prefixError !== undefined && !endsEarly(prefixError, mid + 1)) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Where in the text JSON.parse failed: `line L, column C`, or `end of file` when the text ends early. */
function jsonErrorWhere(text: string, message: string): string {
  const offset = jsonErrorOffset(text, message);
  if (offset >= text.trimEnd().length) return "end of file";
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return `line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

function parseJson(input: ReaderInput, text: string): Json {
  if (text.trim() === "")
    throw new ReadError(input.file, "line 1", "a Prometheus API response (JSON); the file is empty");
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const where = jsonErrorWhere(text, message);
    const truncated = where === "end of file" ? "; the document ends early, is the file truncated?" : "";
    throw new ReadError(input.file, where, `valid JSON (${message})${truncated}`);
  }
}

/** One `[t, "v"]` pair as unix seconds and a value (NaN when missing); undefined when malformed. */
function samplePair(pair: Json): [number, number] | undefined {
  if (!Array.isArray(pair) || pair.length !== 2) return undefined;
  const [time, value] = pair;
  const t =
    typeof time === "number" ? epochToSeconds(time) : typeof time === "string" ? parseTimestamp(time) : Number.NaN;
  const v = typeof value === "string" ? parseSampleValue(value) : typeof value === "number" ? value : undefined;
  if (Number.isNaN(t) || v === undefined) return undefined;
  return [t, v];
}

class ResponseReader {
  constructor(
    private readonly file: string,
    private readonly sink: CaseSink,
  ) {}

  response(response: Json, path: string): void {
    const where = (field: string) => (path ? `${path}.${field}` : field);
    if (!isObject(response)) throw new ReadError(this.file, path || "top level", "a Prometheus API response object");
    if (response.status === "error") {
      const errorType = typeof response.errorType === "string" ? response.errorType : "unknown";
      throw new ReadError(
        this.file,
        where("status"),
        `a successful response; Prometheus answered errorType "${errorType}": ${String(response.error ?? "")}`,
      );
    }
    // A partial answer (Thanos with a store down, a query that hit a limit) says so here; the Diagnosis must too.
    if (Array.isArray(response.warnings)) {
      for (const warning of response.warnings)
        this.sink.skip(where("warnings"), `the server warned: ${String(warning)}`);
    }
    const data = response.data;
    if (!isObject(data)) throw new ReadError(this.file, where("data"), "an object with resultType and result");
    const result = data.result;
    switch (data.resultType) {
      case "matrix":
      case "vector":
        if (!Array.isArray(result)) throw new ReadError(this.file, where("data.result"), "an array of series");
        result.forEach((series, i) => {
          this.series(series, `${where("data.result")}[${i}]`, data.resultType === "matrix");
        });
        return;
      case "scalar":
        this.samples({}, [result ?? null], where("data.result"), false);
        return;
      case "string":
        this.sink.skip(where("data.result"), "a string result holds no samples");
        return;
      default:
        throw new ReadError(this.file, where("data.resultType"), "resultType matrix, vector or scalar");
    }
  }

  private series(series: Json, path: string, isMatrix: boolean): void {
    if (!isObject(series) || !isObject(series.metric ?? {})) {
      this.sink.skip(path, "expected a series object with metric labels");
      return;
    }
    const labels: Labels = {};
    for (const [name, value] of Object.entries(isObject(series.metric) ? series.metric : {})) {
      if (typeof value === "string") labels[name] = value;
    }
    const field = isMatrix ? "values" : "value";
    const histograms = isMatrix ? "histograms" : "histogram";
    if (series[histograms] !== undefined)
      this.sink.skip(`${path}.${histograms}`, "native histogram samples are not read");
    const samples = series[field];
    if (samples === undefined && series[histograms] !== undefined) return;
    if (isMatrix ? !Array.isArray(samples) : samples === undefined) {
      this.sink.skip(`${path}.${field}`, isMatrix ? 'expected an array of [t, "v"] pairs' : 'expected a [t, "v"] pair');
      return;
    }
    this.samples(labels, isMatrix ? (samples as Json[]) : [samples ?? null], `${path}.${field}`, isMatrix);
  }

  /** `indexed`: the pairs are an array at `path` (matrix), rather than the one pair at `path`. */
  private samples(labels: Labels, pairs: Json[], path: string, indexed: boolean): void {
    const { __name__: name, ...rest } = labels;
    const buffer = new SeriesBuffer();
    let malformed = 0;
    let firstMalformed = -1;
    pairs.forEach((pair, j) => {
      const sample = samplePair(pair);
      if (sample) buffer.add(sample[0], sample[1]);
      else if (malformed++ === 0) firstMalformed = j;
    });
    if (malformed > 0) {
      const at = indexed ? `${path}[${firstMalformed}]` : path;
      this.sink.skip(at, `expected [unix seconds, "value"]; ${malformed} malformed sample(s) left out`);
    }
    if (buffer.size > 0) this.sink.addSamples(rest, name ?? UNNAMED_METRIC, buffer.t, buffer.v);
  }
}

async function read(input: ReaderInput, sink: CaseSink): Promise<void> {
  const document = parseJson(input, await input.text());
  const responses = new ResponseReader(input.file, sink);
  if (!Array.isArray(document)) {
    responses.response(document, "");
    return;
  }
  if (document.length === 0) throw new ReadError(input.file, "top level", "at least one Prometheus API response");
  document.forEach((response, i) => {
    responses.response(response, `[${i}]`);
  });
}

export const prometheusJsonReader: Reader = { format: "prometheus-json", sniff, read };
