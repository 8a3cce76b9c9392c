import assert from "node:assert/strict";
import { test } from "node:test";
import { detectLevel, normaliseLevel } from "../src/case/logLevel.js";

test("level words near the start, in the common logger layouts", () => {
  const cases: [string, string][] = [
    [
      "16:42:22.382 INFO  t.s.TravelServiceImpl#532 TraceID: ffc8ca7e4c8f06c75142c880d5595d96 SpanID: 439bc949a9eeb0cc [getRouteByRouteId]",
      "info",
    ],
    [
      "16:42:20.781 WARN  o.s.OrderServiceImpl#68 TraceID: 6034acfa SpanID: 53471a56 [getSoldTickets][Left ticket info is empty]",
      "warn",
    ],
    ["16:42:22.418 ERROR f.s.FoodServiceImpl#302 [getAllFood][Get the Get Food Request Failed!]", "error"],
    ["2023-01-29 08:42:22.383  DEBUG 1 --- [main] o.s.b.Application : wal tick partition 17", "debug"],
    ["2023-01-29 08:42:22 TRACE entering poll loop", "trace"],
    ["2023-01-29 08:42:22,383 CRITICAL root disk full", "fatal"],
    ["2023-01-29 08:42:22.383 UTC [123] FATAL:  sorry, too many clients already", "fatal"],
    ["2023-01-29T08:42:22.383150Z 0 [Warning] [MY-010055] [Server] IP address could not be resolved", "warn"],
    ["2023-01-29 08:42:22.383 [warning] <0.254.0> memory resource limit alarm set on node rabbit@rabbitmq-0", "warn"],
    ["2023-01-29 08:42:22.383 [error] <0.311.0> closing AMQP connection (10.0.3.17:51234 -> 10.0.3.2:5672)", "error"],
    ["ERROR 1040 (HY000): Too many connections", "error"],
    ["ERROR:root:could not connect", "error"],
    ["[ERROR] plugin/errors: 2 shipping. A: read udp 10.0.0.5:40000->10.0.0.2:53: i/o timeout", "error"],
    ["Warning: disk almost full", "warn"],
    ["error: unable to load config", "error"],
    ["WARNING: unprotected private key file", "warn"],
    ["2023-01-29 08:42:22 ERR connection lost", "error"],
  ];
  for (const [line, level] of cases) assert.equal(detectLevel(line), level, line);
});

test("klog headers", () => {
  assert.equal(detectLevel("E0129 08:42:22.382123   12345 reflector.go:123] failed to list *v1.Pod"), "error");
  assert.equal(detectLevel("W0129 08:42:22.382123       1 warnings.go:70] deprecated"), "warn");
  assert.equal(detectLevel("I0129 08:42:22.382123       1 main.go:12] started"), "info");
  assert.equal(detectLevel("F0129 08:42:22.382123       1 main.go:99] cannot continue"), "fatal");
});

test("level fields in logfmt and JSON", () => {
  assert.equal(detectLevel('ts=2023-01-29T08:42:22Z level=error msg="query failed"'), "error");
  assert.equal(detectLevel('time="2023-01-29T08:42:22Z" level=warning msg="slow"'), "warn");
  assert.equal(detectLevel('{"level":"error","ts":1674981742.38,"msg":"upstream timeout"}'), "error");
  assert.equal(detectLevel('{"severity": "WARNING", "message": "retrying"}'), "warn");
  assert.equal(detectLevel('{"level":30,"time":1674981742383,"msg":"request completed"}'), "info");
  assert.equal(detectLevel('{"name":"api","hostname":"h1","pid":7,"level":50,"msg":"boom"}'), "error");
});

test("an explicit level wins over an error-sounding message", () => {
  assert.equal(detectLevel("2023-01-29 08:42:22 INFO retry after ERROR in previous attempt"), "info");
  assert.equal(detectLevel('level=info msg="java.io.IOException handled"'), "info");
  assert.equal(detectLevel("16:42:22.382 WARN  c.Foo#1 java.net.SocketTimeoutException: Read timed out"), "warn");
});

test("exceptions and stack traces are errors only when no level is given", () => {
  assert.equal(detectLevel("Traceback (most recent call last):"), "error");
  assert.equal(detectLevel('Exception in thread "main" java.lang.NullPointerException'), "error");
  assert.equal(detectLevel("java.lang.IllegalStateException: pool closed"), "error");
  assert.equal(detectLevel("\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:197)"), "error");
  assert.equal(detectLevel("Caused by: java.net.ConnectException: Connection refused"), "error");
  assert.equal(detectLevel("panic: runtime error: invalid memory address or nil pointer dereference"), "error");
  assert.equal(detectLevel("goroutine 1 [running]:"), "error");
  assert.equal(detectLevel("TypeError: Cannot read properties of undefined"), "error");
});

test("lines without a level are unknown", () => {
  assert.equal(detectLevel("dial tcp 10.0.3.17:5432: i/o timeout"), "unknown");
  assert.equal(detectLevel("Too many connections"), "unknown");
  assert.equal(detectLevel("memory resource limit alarm set on node rabbit@rabbitmq-0"), "unknown");
  assert.equal(detectLevel("2023-01-29 08:42:22 user debugged the info panel with no errors"), "unknown");
  assert.equal(detectLevel("log rotated, note taken"), "unknown");
  assert.equal(detectLevel(""), "unknown");
});

test("normaliseLevel reads names, letters and numeric scales", () => {
  assert.equal(normaliseLevel("WARNING"), "warn");
  assert.equal(normaliseLevel("Information"), "info");
  assert.equal(normaliseLevel("err"), "error");
  assert.equal(normaliseLevel("crit"), "fatal");
  assert.equal(normaliseLevel("emerg"), "fatal");
  assert.equal(normaliseLevel("notice"), "info");
  assert.equal(normaliseLevel("W"), "warn");
  assert.equal(normaliseLevel("E"), "error");
  assert.equal(normaliseLevel("I"), "info");
  assert.equal(normaliseLevel("INFO2"), "info");
  assert.equal(normaliseLevel("nonsense"), "unknown");
  assert.equal(normaliseLevel(""), "unknown");
});

test("normaliseLevel maps pino/bunyan and OpenTelemetry numbers", () => {
  const pino: [number, string][] = [
    [10, "trace"],
    [20, "debug"],
    [30, "info"],
    [40, "warn"],
    [50, "error"],
    [60, "fatal"],
  ];
  for (const [n, level] of pino) assert.equal(normaliseLevel(n), level, String(n));
  const otlp: [number, string][] = [
    [1, "trace"],
    [4, "trace"],
    [5, "debug"],
    [9, "info"],
    [12, "info"],
    [13, "warn"],
    [17, "error"],
    [21, "fatal"],
    [24, "fatal"],
  ];
  for (const [n, level] of otlp) assert.equal(normaliseLevel(n), level, String(n));
  assert.equal(normaliseLevel("50"), "error");
  assert.equal(normaliseLevel(10, "otlp"), "info");
  assert.equal(normaliseLevel(20, "otlp"), "error");
  assert.equal(normaliseLevel(3, "syslog"), "error");
  assert.equal(normaliseLevel(7, "syslog"), "debug");
  assert.equal(normaliseLevel(0), "unknown");
  assert.equal(normaliseLevel(99), "unknown");
  assert.equal(normaliseLevel(1.5), "unknown");
});
