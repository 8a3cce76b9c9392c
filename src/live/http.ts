/**
 * HTTP for the live source: every call has a deadline and is retried with exponential backoff when the
 * failure may pass (network errors, timeouts, 429 and 5xx). Built on node:http(s) rather than fetch,
 * because fetch in Node 20 takes a CA file or skips verification only through undici's Agent, which
 * Node does not expose as a module; node:https takes both directly.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { LiveError } from "./errors.js";

export interface HttpOptions {
  /** Deadline for one attempt (connect, send, and the whole answer), milliseconds. */
  timeoutMs: number;
  /** Attempts after the first one, for failures that may pass. */
  retries: number;
  /** Wait before the first retry; doubled before each next one. Milliseconds. */
  backoffMs: number;
  /** Sent on every request (Authorization, tenant headers ...). */
  headers: Record<string, string>;
  /** PEM certificates to trust instead of the system's. */
  ca?: string;
  /** Accept any server certificate (a test server with a self-signed certificate). */
  insecureSkipVerify?: boolean;
}

/**
 * An answer larger than this is refused rather than held in memory (and it must stay below V8's largest
 * string, about 512 MiB); narrowing the query is the fix.
 */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
/** A server's Retry-After is honoured up to this, so a long one does not stall an incident response. */
const MAX_RETRY_AFTER_MS = 30_000;
/** Connection failures that may pass; a name that does not resolve or a refused TLS handshake will not. */
const TRANSIENT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "EHOSTUNREACH"]);

export type Method = "GET" | "POST";

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One failed attempt: why, and whether another attempt may succeed. */
class AttemptFailure extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The URL as shown in messages: credentials in it are never printed. */
export function displayUrl(url: URL): string {
  const shown = new URL(url.href);
  shown.username = "";
  shown.password = "";
  return shown.href;
}

function retryAfterMs(response: IncomingMessage): number | undefined {
  const header = response.headers["retry-after"];
  const seconds = header === undefined ? Number.NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS) : undefined;
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        response.destroy(
          new AttemptFailure(
            `the answer is larger than ${MAX_RESPONSE_BYTES >> 20} MiB; narrow it with --match`,
            false,
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    let complete = false;
    response.on("end", () => {
      complete = true;
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    response.on("error", reject);
    // A connection closed mid-answer may end the stream without an error; it is still a failed attempt.
    response.on("close", () => {
      if (!complete) reject(new AttemptFailure(CUT_OFF, true));
    });
  });
}

const CUT_OFF = "the connection closed before the answer was complete";

function describe(error: unknown): AttemptFailure {
  if (error instanceof AttemptFailure) return error;
  const { code, message } = error as NodeJS.ErrnoException;
  // Node reports an answer cut off mid-body as a bare "aborted".
  const said = message === "aborted" ? CUT_OFF : message || String(code);
  return new AttemptFailure(said, code !== undefined && TRANSIENT_CODES.has(code));
}

/**
 * GET puts the form in the query string; POST sends it as the body (no URL length limit: Prometheus takes
 * POST for queries and series, but only GET for label values). The deadline covers the whole exchange.
 */
function attempt(url: URL, form: URLSearchParams, method: Method, options: HttpOptions): Promise<HttpAnswer> {
  const body = method === "POST" ? form.toString() : "";
  const target = new URL(url.href);
  if (method === "GET") target.search = form.toString();
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  const formHeaders = method === "POST" ? { "content-type": "application/x-www-form-urlencoded" } : {};
  return new Promise((resolve, reject) => {
    const req = request(target, {
      method,
      headers: {
        ...options.headers,
        ...formHeaders,
        "content-length": Buffer.byteLength(body),
        accept: "application/json",
      },
      ca: options.ca,
      rejectUnauthorized: !options.insecureSkipVerify,
    });
    const timeout = new AttemptFailure(`no complete answer within ${options.timeoutMs / 1000} s`, true);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(timeout);
    }, options.timeoutMs);
    // Once the deadline has passed, whatever the destroyed request reports, the reason is the deadline.
    const fail = (error: unknown) => {
      clearTimeout(timer);
      reject(timedOut ? timeout : describe(error));
    };
    req.on("response", (response) => {
      readBody(response).then((text) => {
        clearTimeout(timer);
        const status = response.statusCode ?? 0;
        if (status === 429 || status >= 500) {
          const failure = new AttemptFailure(
            `HTTP ${status}: ${errorText(text)}`,
            status !== 501,
            retryAfterMs(response),
          );
          reject(failure);
        } else resolve({ status, body: text });
      }, fail);
    });
    req.on("error", fail);
    req.end(body);
  });
}

/** Longest error body quoted in a message: enough for Prometheus' error text, not a whole HTML page. */
const ERROR_TEXT_CHARS = 300;

/** The `error` field of a Prometheus error body, or the start of whatever the server sent. */
export function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === "string") return parsed.error;
  } catch {
    // Not JSON: a proxy's page or plain text, quoted as it is.
  }
  const text = body.replace(/\s+/g, " ").trim();
  return text.length > ERROR_TEXT_CHARS ? `${text.slice(0, ERROR_TEXT_CHARS)}...` : text || "(empty body)";
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `form` to `base` + `path`, retrying what may pass. Returns any answer below 500 except 429
 * (the caller reads Prometheus' own error body); throws a LiveError when every attempt failed.
 */
export async function sendForm(
  base: URL,
  path: string,
  form: URLSearchParams,
  method: Method,
  options: HttpOptions,
): Promise<HttpAnswer> {
  const url = new URL(path.replace(/^\//, ""), base.href.endsWith("/") ? base : new URL(`${base.href}/`));
  let last: AttemptFailure | undefined;
  for (let tried = 0; tried <= options.retries; tried++) {
    if (last) await sleep(last.retryAfterMs ?? options.backoffMs * 2 ** (tried - 1));
    try {
      return await attempt(url, form, method, options);
    } catch (error) {
      last = describe(error);
      if (!last.transient) break;
    }
  }
  const attempts = options.retries + 1;
  const tries = last?.transient && attempts > 1 ? ` (${attempts} attempts)` : "";
  throw new LiveError(`no answer from ${displayUrl(url)}: ${last?.message ?? "unknown failure"}${tries}`);
}
