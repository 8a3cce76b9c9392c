/**
 * Log texts as real runtimes write them, per language: routine request lines and the lines a failure
 * of each cause produces. Texts are data: a scenario picks a language per service.
 */
import type { Rng } from "../rng.js";
import { ScenarioError } from "../scenario.js";
import type { Spec } from "../spec.js";
import type { MessageText } from "../telemetry.js";
import type { AmqpFailure } from "./amqp.js";
import { amqpFailureText, isAmqpFailure } from "./amqpTexts.js";

export type Language = "java" | "nodejs" | "python" | "go" | "php" | "dotnet";
export const LANGUAGES: Language[] = ["java", "nodejs", "python", "go", "php", "dotnet"];

/** A component's `language`, checked against the ones whose texts exist. */
export function languageOf(spec: Spec, fallback: Language): Language {
  const language = spec.str("language", fallback) as Language;
  if (!LANGUAGES.includes(language)) {
    throw new ScenarioError(`${spec.path}.language: expected one of ${LANGUAGES.join(", ")}`);
  }
  return language;
}

/** Why a request failed; each cause logs its own text. */
export type FailureCause = "code" | "dependency" | "timeout" | "pool-timeout" | "refused" | "unavailable" | AmqpFailure;

/** Causes whose failed requests wait out a timeout rather than fail at once. */
export function isTimeout(cause: FailureCause): boolean {
  return ["timeout", "pool-timeout", "amqp-handshake-timeout", "amqp-blocked-timeout"].includes(cause);
}

const ms = (rng: Rng, low: number, high: number) => Math.round(rng.uniform(low, high));
const id = (rng: Rng) => Math.floor(rng.uniform(1, 99999));

/** A routine line per handled request, sampled. */
export function routineText(language: Language, route: string): MessageText {
  const [method, path] = route.includes(" ") ? route.split(" ", 2) : ["GET", route];
  switch (language) {
    case "java":
      return (rng) =>
        `Completed ${method} ${path.replace("{id}", String(id(rng)))} with status 200 in ${ms(rng, 3, 40)} ms`;
    case "nodejs":
      return (rng) => `request completed ${method} ${path.replace("{id}", String(id(rng)))} 200 ${ms(rng, 2, 30)}ms`;
    case "python":
      return (rng) => `"${method} ${path.replace("{id}", String(id(rng)))} HTTP/1.1" 200 ${ms(rng, 80, 4000)}`;
    case "go":
      return (rng) =>
        `handled request method=${method} path=${path.replace("{id}", String(id(rng)))} status=200 duration=${ms(rng, 1, 20)}ms`;
    case "php":
      return (rng) => `${method} ${path.replace("{id}", String(id(rng)))} 200 ${ms(rng, 5, 60)}ms`;
    case "dotnet":
      return (rng) =>
        `Request finished HTTP/2 POST ${path.replace("{id}", String(id(rng)))} - 200 - application/grpc ${rng.uniform(0.5, 9).toFixed(4)}ms`;
  }
}

/** The line a failed request logs, by language and cause; `target` names the dependency or pool. */
export function failureText(language: Language, cause: FailureCause, target: string): MessageText {
  if (isAmqpFailure(cause)) return amqpFailureText(language, cause, target);
  if (cause === "pool-timeout") {
    return (rng) =>
      `HikariPool-1 - Connection is not available, request timed out after ${30000 + ms(rng, 0, 5)}ms. (SQLTransientConnectionException)`;
  }
  if (cause === "refused") {
    return `Data source rejected establishment of connection,  message from server: "Too many connections"`;
  }
  switch (language) {
    case "java":
      return {
        code: `java.lang.NullPointerException: Cannot invoke "String.length()" because "value" is null`,
        dependency: (rng: Rng) =>
          `Request to http://${target}:8080/ failed: 500 Internal Server Error (request ${id(rng)})`,
        timeout: `java.net.SocketTimeoutException: Read timed out calling http://${target}:8080/`,
        unavailable: `java.net.ConnectException: Connection refused (Connection refused) calling http://${target}:8080/`,
      }[cause];
    case "nodejs":
      return {
        code: `TypeError: Cannot read properties of undefined (reading 'id')`,
        dependency: `Error: Request failed with status code 500 from http://${target}:8080`,
        timeout: `Error: timeout of 30000ms exceeded calling http://${target}:8080`,
        unavailable: `Error: connect ECONNREFUSED ${target}:8080`,
      }[cause];
    case "python":
      return {
        code: `Traceback (most recent call last): KeyError: 'sku'`,
        dependency: `requests.exceptions.HTTPError: 500 Server Error: Internal Server Error for url: http://${target}:8080/`,
        timeout: `requests.exceptions.ReadTimeout: HTTPConnectionPool(host='${target}', port=8080): Read timed out.`,
        unavailable: `requests.exceptions.ConnectionError: HTTPConnectionPool(host='${target}', port=8080): Max retries exceeded`,
      }[cause];
    case "go":
      return {
        code: "panic: runtime error: invalid memory address or nil pointer dereference",
        dependency: `rpc error: code = Internal desc = ${target} returned an error`,
        timeout: `rpc error: code = DeadlineExceeded desc = context deadline exceeded (${target})`,
        unavailable: `rpc error: code = Unavailable desc = connection error: dial tcp ${target}:8080: connect: connection refused`,
      }[cause];
    case "php":
      return {
        code: "PHP Fatal error:  Uncaught TypeError: Argument 1 passed to Cart::add() must be of the type array, null given",
        dependency: `cURL error: HTTP 500 from http://${target}:8080/`,
        timeout: `cURL error 28: Operation timed out after 30000 milliseconds (http://${target}:8080/)`,
        unavailable: `cURL error 7: Failed to connect to ${target} port 8080: Connection refused`,
      }[cause];
    case "dotnet":
      return {
        code: "System.NullReferenceException: Object reference not set to an instance of an object.",
        dependency: `Grpc.Core.RpcException: Status(StatusCode="Internal", Detail="${target} returned an error")`,
        timeout: `Grpc.Core.RpcException: Status(StatusCode="DeadlineExceeded", Detail="Deadline Exceeded") calling ${target}`,
        unavailable: `StackExchange.Redis.RedisConnectionException: No connection is available to service this operation (${target})`,
      }[cause];
  }
}
