/**
 * The options of the live Prometheus source, shared by `analyze --prometheus` and `export`: which
 * series, how much, and how to reach the server (timeouts, retries, auth, headers, TLS). Secrets may
 * come from the environment instead of the command line, where other users could see them.
 */
import { readFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import type { AnalyzedCase } from "../analyze.js";
import { DEFAULT_INCIDENT_SECONDS } from "../detect/window.js";
import { DEFAULT_MAX_SERIES } from "../live/defaults.js";
import type { HttpOptions } from "../live/http.js";
import type { LiveAnalyzeOptions, LiveSourceOptions, Pull } from "../live/index.js";
import { UsageError } from "./exitCodes.js";
import { parseTop, parseWindow } from "./options.js";

/** Long enough for a loaded server's range query over an hour, short enough to fail within an incident. */
const DEFAULT_TIMEOUT_SECONDS = 30;
/** Two retries ride out a restart or a brief overload without hiding a server that is down. */
const DEFAULT_RETRIES = 2;
/** First retry after half a second, then one second: a transient failure has passed by then. */
const BACKOFF_MS = 500;

export const LIVE_ENV = {
  token: "BENEATH_PROMETHEUS_TOKEN",
  tokenFile: "BENEATH_PROMETHEUS_TOKEN_FILE",
  user: "BENEATH_PROMETHEUS_USER",
  password: "BENEATH_PROMETHEUS_PASSWORD",
  headers: "BENEATH_PROMETHEUS_HEADERS",
  caFile: "BENEATH_PROMETHEUS_CA_FILE",
  insecure: "BENEATH_PROMETHEUS_INSECURE_SKIP_VERIFY",
} as const;

export interface LiveFlags {
  prometheus?: string;
  match?: string[];
  maxSeries?: number;
  step?: number;
  histogramQuantiles?: boolean;
  timeout?: number;
  retries?: number;
  bearerToken?: string;
  bearerTokenFile?: string;
  basicAuth?: string;
  header?: string[];
  caFile?: string;
  insecureSkipVerify?: boolean;
}

/** A repeatable option's values, in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--retries`: a whole number, zero allowed. */
function parseRetries(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError("Expected a whole number (0 for no retries).");
  return Number(value);
}

export function addLiveOptions(command: Command): Command {
  return command
    .option(
      "--prometheus <url>",
      "read from this Prometheus-compatible server (Prometheus, Thanos, Mimir, VictoriaMetrics)",
    )
    .option(
      "--match <selector>",
      "only series matching this selector, e.g. '{namespace=\"shop\"}' (repeatable)",
      collect,
    )
    .option("--max-series <N>", `pull at most N series (default ${DEFAULT_MAX_SERIES})`, parseTop)
    .option("--step <dur>", "resolution to pull at (default: the stored scrape interval)", parseWindow)
    .option("--histogram-quantiles", "pull classic histograms as their p50 and p99, not their buckets")
    .option("--timeout <dur>", `deadline per HTTP request (default ${DEFAULT_TIMEOUT_SECONDS}s)`, parseWindow)
    .option("--retries <N>", `retries after a failed request, with backoff (default ${DEFAULT_RETRIES})`, parseRetries)
    .option("--bearer-token <token>", `bearer token (or ${LIVE_ENV.token})`)
    .option("--bearer-token-file <file>", `file holding the bearer token (or ${LIVE_ENV.tokenFile})`)
    .option("--basic-auth <user:password>", `basic auth (or ${LIVE_ENV.user} and ${LIVE_ENV.password})`)
    .option("--header <name: value>", `extra HTTP header, repeatable (or ${LIVE_ENV.headers}, one per line)`, collect)
    .option("--ca-file <file>", `PEM certificates to trust for https (or ${LIVE_ENV.caFile})`)
    .option("--insecure-skip-verify", `accept any server certificate (or ${LIVE_ENV.insecure}=1)`);
}

function readSecretFile(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--prometheus ${text}: expected an http:// or https:// URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--prometheus ${text}: expected an http:// or https:// URL`);
  }
  return url;
}

function headerPair(text: string, from: string): [string, string] {
  const colon = text.indexOf(":");
  if (colon <= 0) throw new UsageError(`${from} "${text}": expected "Name: value"`);
  return [text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim()];
}

/** The Authorization header from the flags, else the environment; at most one kind of credential. */
function authorization(flags: LiveFlags, env: NodeJS.ProcessEnv): string | undefined {
  const tokenFile = flags.bearerTokenFile ?? env[LIVE_ENV.tokenFile];
  const token = flags.bearerToken ?? (tokenFile ? readSecretFile(tokenFile, "bearer token file") : env[LIVE_ENV.token]);
  const basic =
    flags.basicAuth ??
    (env[LIVE_ENV.user] !== undefined ? `${env[LIVE_ENV.user]}:${env[LIVE_ENV.password] ?? ""}` : undefined);
  if (token !== undefined && basic !== undefined) {
    throw new UsageError("give either a bearer token or basic auth, not both");
  }
  if (token !== undefined) return `Bearer ${token.trim()}`;
  if (basic === undefined) return undefined;
  if (!basic.includes(":")) throw new UsageError('--basic-auth: expected "user:password"');
  return `Basic ${Buffer.from(basic).toString("base64")}`;
}

function httpOptions(flags: LiveFlags, env: NodeJS.ProcessEnv): HttpOptions {
  const headers: Record<string, string> = {};
  const envHeaders = (env[LIVE_ENV.headers] ?? "").split("\n").filter((line) => line.trim() !== "");
  for (const line of envHeaders) {
    const [name, value] = headerPair(line, LIVE_ENV.headers);
    headers[name] = value;
  }
  for (const line of flags.header ?? []) {
    const [name, value] = headerPair(line, "--header");
    headers[name] = value;
  }
  const auth = authorization(flags, env);
  if (auth !== undefined) headers.authorization = auth;
  const caFile = flags.caFile ?? env[LIVE_ENV.caFile];
  const insecure = flags.insecureSkipVerify === true || /^(1|true|yes)$/i.test(env[LIVE_ENV.insecure] ?? "");
  return {
    timeoutMs: (flags.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
    retries: flags.retries ?? DEFAULT_RETRIES,
    backoffMs: BACKOFF_MS,
    headers,
    ca: caFile ? readSecretFile(caFile, "CA file") : undefined,
    insecureSkipVerify: insecure,
  };
}

/** The live source as the flags (and environment) describe it; `url` must be given. */
export function liveSourceOptions(
  url: string,
  flags: LiveFlags,
  range: { at?: number; window: number },
  env: NodeJS.ProcessEnv = process.env,
): LiveSourceOptions {
  return {
    url: parseUrl(url),
    http: httpOptions(flags, env),
    at: range.at,
    window: range.window,
    match: flags.match ?? [],
    maxSeries: flags.maxSeries ?? DEFAULT_MAX_SERIES,
    step: flags.step,
    histogramQuantiles: flags.histogramQuantiles === true,
  };
}

export interface AddedFileFlags {
  logs?: string[];
  kube?: string[];
}

/** `--logs` and `--kube`: files analysed beside the server's answers. */
export function addFileOptions(command: Command): Command {
  return command
    .option("--logs <path>", "with --prometheus: log files or folders to add (repeatable)", collect)
    .option("--kube <path>", "with --prometheus: kubectl -o json files or folders to add (repeatable)", collect);
}

/** Live flags mean nothing without a server; saying so beats ignoring them. */
export function assertNoLiveFlags(flags: LiveFlags): void {
  const given = [
    flags.match !== undefined && "--match",
    flags.header !== undefined && "--header",
    flags.maxSeries !== undefined && "--max-series",
    flags.step !== undefined && "--step",
    flags.histogramQuantiles === true && "--histogram-quantiles",
    flags.timeout !== undefined && "--timeout",
    flags.retries !== undefined && "--retries",
    flags.bearerToken !== undefined && "--bearer-token",
    flags.bearerTokenFile !== undefined && "--bearer-token-file",
    flags.basicAuth !== undefined && "--basic-auth",
    flags.caFile !== undefined && "--ca-file",
    flags.insecureSkipVerify === true && "--insecure-skip-verify",
  ].filter((flag): flag is string => typeof flag === "string");
  if (given.length > 0) throw new UsageError(`${given.join(", ")} only apply with --prometheus <url>`);
}

/** What the pull left out, on stderr when a person is watching (the Diagnosis lists it in any case). */
export function warnSkipped(pull: Pull, stderr: NodeJS.WriteStream = process.stderr): void {
  if (!stderr.isTTY) return;
  for (const note of pull.skipped) stderr.write(`beneath: warning: ${note.where}: ${note.reason}\n`);
}

/** `analyze --prometheus <url> [path...]`: pull, add the files, diagnose. */
export async function runLiveAnalysis(
  url: string,
  paths: string[],
  flags: LiveFlags & { at?: number; window?: number } & LiveAnalyzeOptions,
): Promise<AnalyzedCase> {
  const source = liveSourceOptions(url, flags, { at: flags.at, window: flags.window ?? DEFAULT_INCIDENT_SECONDS });
  const { analyzeLive } = await import("../live/index.js");
  const { pull, ...analyzed } = await analyzeLive(source, paths, {
    top: flags.top,
    listInputs: flags.listInputs,
    baseline: flags.baseline,
    maxEntities: flags.maxEntities,
  });
  warnSkipped(pull);
  return analyzed;
}
