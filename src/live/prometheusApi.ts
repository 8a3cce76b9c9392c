/**
 * The few Prometheus HTTP API calls the live source makes (also served by Thanos, Mimir and
 * VictoriaMetrics): label values, series, instant and range queries. Every answer is checked against
 * the API's envelope; a refusal becomes one LiveError quoting the server's own error text.
 */
import { LiveError } from "./errors.js";
import { displayUrl, errorText, type HttpOptions, type Method, sendForm } from "./http.js";

export type Labels = Record<string, string>;

/** A series of a matrix answer: labels and `[unix seconds, "value"]` pairs. */
export interface MatrixSeries {
  metric: Labels;
  values?: [number, string][];
}

/** A range query's answer: its exact text (kept for export and the reader) and its series, parsed. */
export interface RangeAnswer {
  text: string;
  series: MatrixSeries[];
}

interface Envelope {
  status?: string;
  data?: unknown;
  errorType?: string;
  error?: string;
}

export class PrometheusApi {
  constructor(
    readonly base: URL,
    private readonly http: HttpOptions,
  ) {}

  private where(path: string): string {
    return `${displayUrl(this.base).replace(/\/$/, "")}${path}`;
  }

  /** The answer's text and parsed `data`, or a LiveError naming the call and the server's reason. */
  private async call(
    path: string,
    form: URLSearchParams,
    method: Method = "POST",
  ): Promise<{ text: string; data: unknown }> {
    const { status, body } = await sendForm(this.base, path, form, method, this.http);
    let envelope: Envelope;
    try {
      envelope = JSON.parse(body) as Envelope;
    } catch {
      throw new LiveError(`${this.where(path)}: HTTP ${status}, not a Prometheus API answer: ${errorText(body)}`);
    }
    if (status >= 400 || envelope.status !== "success") {
      const type = envelope.errorType ? ` (${envelope.errorType})` : "";
      throw new LiveError(`${this.where(path)} refused the request, HTTP ${status}${type}: ${errorText(body)}`);
    }
    return { text: body, data: envelope.data };
  }

  /** Values of one label over [start, end], optionally only on series matching `match`. */
  async labelValues(label: string, start: number, end: number, match: string[] = []): Promise<string[]> {
    const form = timeForm(start, end);
    for (const m of match) form.append("match[]", m);
    const { data } = await this.call(`/api/v1/label/${encodeURIComponent(label)}/values`, form, "GET");
    return Array.isArray(data) ? data.filter((v): v is string => typeof v === "string") : [];
  }

  /** Label sets of the series matching any of `match` over [start, end]. */
  async series(match: string[], start: number, end: number): Promise<Labels[]> {
    const form = timeForm(start, end);
    for (const m of match) form.append("match[]", m);
    const { data } = await this.call("/api/v1/series", form);
    return Array.isArray(data) ? (data as Labels[]) : [];
  }

  /** An instant query whose answer is a matrix (a range selector): raw samples as stored. */
  async rawSamples(query: string, time: number): Promise<MatrixSeries[]> {
    const form = new URLSearchParams({ query, time: String(time) });
    const { data } = await this.call("/api/v1/query", form);
    return matrixOf(data, "/api/v1/query");
  }

  async queryRange(query: string, start: number, end: number, step: number): Promise<RangeAnswer> {
    const form = new URLSearchParams({ query, start: String(start), end: String(end), step: String(step) });
    const { text, data } = await this.call("/api/v1/query_range", form);
    return { text, series: matrixOf(data, "/api/v1/query_range") };
  }
}

function timeForm(start: number, end: number): URLSearchParams {
  return new URLSearchParams({ start: String(start), end: String(end) });
}

function matrixOf(data: unknown, path: string): MatrixSeries[] {
  const { resultType, result } = (data ?? {}) as { resultType?: unknown; result?: unknown };
  if (resultType !== "matrix" || !Array.isArray(result)) {
    throw new LiveError(`${path}: expected a matrix result, the server answered resultType ${String(resultType)}`);
  }
  return result as MatrixSeries[];
}

/** A PromQL string literal (Go-style double quotes; JSON's escapes are a subset PromQL accepts). */
export function promqlString(value: string): string {
  return JSON.stringify(value);
}
