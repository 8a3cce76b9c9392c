/**
 * Prometheus HTTP API responses: `query_range` (matrix), `query` (vector, scalar), one response object
 * or a JSON array of them. Each series becomes one addSamples call; the metric is its `__name__`.
 */
import { epochToSeconds, parseTimestamp } from "../case/time.js";
import { type DocumentVisitor, isObject, streamDocuments } from "./jsonDocument.js";
import { type JsonPath, type JsonWalk, pathText } from "./jsonStream.js";
import { readOnWorker, worthAWorker } from "./parallelDocument.js";
import { type PairColumns, parseSampleValue, SeriesBuffer } from "./samples.js";
import { type CaseSink, type Labels, ReadError, type Reader, type ReaderInput } from "./types.js";

/** `"resultType"` is this API's own field name: a head that has it is this format. */
const RESULT_CONFIDENCE = 0.95;
/** An error response has no result, but its `errorType` field is as specific. */
const ERROR_CONFIDENCE = 0.9;
/** The metric name of a series without `__name__` (a computed expression), as Prometheus' UI calls it. */
const UNNAMED_METRIC = "value";

function sniff(head: string): number {
  const start = head.trimStart()[0];
  if (start !== "{" && start !== "[") return 0;
  if (/"resultType"\s*:/.test(head) && /"result"\s*:/.test(head)) return RESULT_CONFIDENCE;
  if (/"status"\s*:\s*"error"/.test(head) && /"errorType"\s*:/.test(head)) return ERROR_CONFIDENCE;
  return 0;
}

/** One `[t, "v"]` pair as unix seconds and a value (NaN when missing); undefined when malformed. */
function samplePair(pair: unknown): [number, number] | undefined {
  if (!Array.isArray(pair) || pair.length !== 2) return undefined;
  const [time, value] = pair;
  const t =
    typeof time === "number" ? epochToSeconds(time) : typeof time === "string" ? parseTimestamp(time) : Number.NaN;
  const v = typeof value === "string" ? parseSampleValue(value) : typeof value === "number" ? value : undefined;
  if (Number.isNaN(t) || v === undefined) return undefined;
  return [t, v];
}

/** One series as it streams by: its labels, and its samples gathered batch by batch. */
class SeriesState {
  metric: unknown = {};
  /** `values` (a matrix's pairs) seen as an array, or what stood there instead. */
  values?: "array" | { other: unknown };
  /** A vector's one `value` pair. */
  value?: unknown;
  histograms = false;
  histogram = false;
  malformed = 0;
  firstMalformed = -1;

  /** `buffer` is the reader's one buffer, emptied here: the sink copies a series' samples when it is emitted. */
  constructor(readonly buffer: SeriesBuffer) {
    buffer.clear();
  }

  /** Plain pairs read straight into columns: numeric times, values that are numbers. */
  addColumns({ first: times, second: values, count }: PairColumns): void {
    for (let j = 0; j < count; j++) this.buffer.add(epochToSeconds(times[j]), values[j]);
  }

  addPairs(pairs: unknown[], first: number): void {
    for (let j = 0; j < pairs.length; j++) {
      const sample = samplePair(pairs[j]);
      if (sample) this.buffer.add(sample[0], sample[1]);
      else if (this.malformed++ === 0) this.firstMalformed = first + j;
    }
  }
}

/** One response of the document: what it said so far. */
interface ResponseState {
  /** `"[2]."` for the third response of an array, "" for a response alone. */
  prefix: string;
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  data: "absent" | "object" | "other";
  resultType?: unknown;
  /** Whether `data.result` was an array read series by series. */
  resultSeries?: boolean;
  /** `data.result` when it was not read series by series (a scalar, a string, or something wrong). */
  result?: { value: unknown };
}

/**
 * Reads responses as they stream: each series' samples go to the sink when its object closes, so
 * memory holds one series at a time, never the document.
 */
class ResponseVisitor implements DocumentVisitor {
  /** Path steps before a response's own fields: 0 for a response alone, 1 in an array of them. */
  private base = 0;
  private responses = 0;
  private response?: ResponseState;
  private series?: SeriesState;
  private readonly samples = new SeriesBuffer();

  constructor(
    private readonly file: string,
    private readonly sink: CaseSink,
  ) {}

  begin(): void {
    this.base = 0;
    this.responses = 0;
  }

  end(): void {
    if (this.base === 1 && this.responses === 0)
      throw new ReadError(this.file, "top level", "at least one Prometheus API response");
  }

  open(path: JsonPath, kind: "object" | "array"): JsonWalk {
    const depth = path.length - this.base;
    if (path.length === 0 && kind === "array") {
      this.base = 1;
      return "members";
    }
    if (depth === 0 && kind === "object") {
      this.responses++;
      this.response = { prefix: this.base === 1 ? `[${path[0]}].` : "", data: "absent" };
      return "members";
    }
    if (depth === 1 && path[this.base] === "data" && kind === "object") {
      (this.response as ResponseState).data = "object";
      return "members";
    }
    if (depth === 2 && path[this.base + 1] === "result" && kind === "array" && this.inData(path)) {
      const response = this.response as ResponseState;
      if (response.resultType === "scalar" || response.resultType === "string") return "whole";
      response.resultSeries = true;
      return "members";
    }
    if (depth === 3 && kind === "object" && this.inResult(path)) {
      this.series = new SeriesState(this.samples);
      return "members";
    }
    if (depth === 4 && path[this.base + 3] === "values" && kind === "array" && this.series) {
      this.series.values = "array";
      return "pairs";
    }
    return "whole";
  }

  batch(path: JsonPath, items: unknown[]): void {
    this.series?.addPairs(items, path[path.length - 1] as number);
  }

  pairs(_path: JsonPath, columns: PairColumns): void {
    this.series?.addColumns(columns);
  }

  value(path: JsonPath, value: unknown): void {
    const depth = path.length - this.base;
    const response = this.response;
    if (depth === 0) throw new ReadError(this.file, pathText(path) || "top level", "a Prometheus API response object");
    if (!response) return;
    const field = path[path.length - 1];
    if (depth === 1) this.responseField(response, field, value);
    else if (depth === 2 && this.inData(path)) {
      if (field === "resultType") response.resultType = value;
      else if (field === "result") response.result = { value };
    } else if (depth === 3 && this.inResult(path))
      this.sink.skip(pathText(path), "expected a series object with metric labels");
    else if (depth === 4 && this.series) this.seriesField(this.series, field, value);
  }

  close(path: JsonPath): void {
    const depth = path.length - this.base;
    if (depth === 3 && this.series && this.inResult(path)) {
      this.finishSeries(this.series, pathText(path));
      this.series = undefined;
    } else if (depth === 1 && path[this.base] === "data" && this.response) this.finishData(this.response);
    else if (depth === 0 && this.response) {
      this.finishResponse(this.response);
      this.response = undefined;
    }
  }

  private inData(path: JsonPath): boolean {
    return path[this.base] === "data" && this.response?.data === "object";
  }

  private inResult(path: JsonPath): boolean {
    return path[this.base + 1] === "result" && this.inData(path);
  }

  private responseField(response: ResponseState, field: JsonPath[number], value: unknown): void {
    if (field === "status") response.status = value;
    else if (field === "errorType") response.errorType = value;
    else if (field === "error") response.error = value;
    else if (field === "data") response.data = "other";
    // A partial answer (Thanos with a store down, a query that hit a limit) says so here; the Diagnosis must too.
    else if (field === "warnings" && Array.isArray(value)) {
      for (const warning of value)
        this.sink.skip(`${response.prefix}warnings`, `the server warned: ${String(warning)}`);
    }
  }

  private seriesField(series: SeriesState, field: JsonPath[number], value: unknown): void {
    if (field === "metric") series.metric = value;
    else if (field === "values") series.values = { other: value };
    else if (field === "value") series.value = value;
    else if (field === "histograms") series.histograms = true;
    else if (field === "histogram") series.histogram = true;
  }

  private finishResponse(response: ResponseState): void {
    const where = (field: string) => `${response.prefix}${field}`;
    if (response.status === "error") {
      const errorType = typeof response.errorType === "string" ? response.errorType : "unknown";
      throw new ReadError(
        this.file,
        where("status"),
        `a successful response; Prometheus answered errorType "${errorType}": ${String(response.error ?? "")}`,
      );
    }
    if (response.data !== "object")
      throw new ReadError(this.file, where("data"), "an object with resultType and result");
  }

  private finishData(response: ResponseState): void {
    const where = (field: string) => `${response.prefix}data.${field}`;
    switch (response.resultType) {
      case "matrix":
      case "vector":
        if (!response.resultSeries) throw new ReadError(this.file, where("result"), "an array of series");
        return;
      case "scalar":
        this.scalar(response.result?.value, where("result"));
        return;
      case "string":
        this.sink.skip(where("result"), "a string result holds no samples");
        return;
      default:
        throw new ReadError(this.file, where("resultType"), "resultType matrix, vector or scalar");
    }
  }

  private scalar(pair: unknown, path: string): void {
    const series = new SeriesState(this.samples);
    series.addPairs([pair ?? null], 0);
    this.emit(series, {}, path, false);
  }

  private finishSeries(series: SeriesState, path: string): void {
    if (!isObject(series.metric)) {
      this.sink.skip(path, "expected a series object with metric labels");
      return;
    }
    const labels: Labels = {};
    for (const [name, value] of Object.entries(series.metric)) {
      if (typeof value === "string") labels[name] = value;
    }
    // Which of matrix or vector the response said; a series alone says it by its fields.
    const type = this.response?.resultType;
    const isMatrix = type === "matrix" || (type !== "vector" && series.values !== undefined);
    const field = isMatrix ? "values" : "value";
    const histograms = isMatrix ? "histograms" : "histogram";
    const hasHistograms = isMatrix ? series.histograms : series.histogram;
    if (hasHistograms) this.sink.skip(`${path}.${histograms}`, "native histogram samples are not read");
    if (isMatrix) {
      if (series.values === undefined && hasHistograms) return;
      if (series.values !== "array") {
        this.sink.skip(`${path}.${field}`, 'expected an array of [t, "v"] pairs');
        return;
      }
    } else {
      if (series.value === undefined) {
        if (!hasHistograms) this.sink.skip(`${path}.${field}`, 'expected a [t, "v"] pair');
        return;
      }
      series.addPairs([series.value], 0);
    }
    this.emit(series, labels, `${path}.${field}`, isMatrix);
  }

  /** `indexed`: the pairs are an array at `path` (matrix), rather than the one pair at `path`. */
  private emit(series: SeriesState, labels: Labels, path: string, indexed: boolean): void {
    if (series.malformed > 0) {
      const at = indexed ? `${path}[${series.firstMalformed}]` : path;
      this.sink.skip(at, `expected [unix seconds, "value"]; ${series.malformed} malformed sample(s) left out`);
    }
    const { __name__: name, ...rest } = labels;
    const buffer = series.buffer;
    if (buffer.size > 0) this.sink.addSamples(rest, name ?? UNNAMED_METRIC, buffer.t, buffer.v);
  }
}

async function read(input: ReaderInput, sink: CaseSink): Promise<void> {
  if (worthAWorker(input)) return readOnWorker(input, sink, "prometheus-json");
  await streamDocuments(input, sink, new ResponseVisitor(input.file, sink), "a Prometheus API response (JSON)");
}

export const prometheusJsonReader: Reader = { format: "prometheus-json", sniff, read };
