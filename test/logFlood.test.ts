/**
 * A logging flood counted by the application's own logging library (Micrometer's
 * `logback_events_total{level}`, as a Spring Boot service exports it) is found, and its cost decides
 * whether it is a cause: requests that take twice as long are, lines the service writes without
 * slowing down are not.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../src/analyze.js";
import { buildCase, constant, counter, minute, type SeriesSpec } from "./helpers/caseBuilder.js";

const RATINGS = { service: "ratings", namespace: "shop" };
const FLOOD_FROM = 20;

/** Ratings at 10 requests/s: INFO lines throughout, DEBUG from minute 20, its mean request time `seconds(m)`. */
function floodCase(seconds: (m: number) => number) {
  const requests = constant(10);
  const series: SeriesSpec[] = [
    { metric: "logback_events_total", labels: { ...RATINGS, level: "info" }, at: counter(requests) },
    {
      metric: "logback_events_total",
      labels: { ...RATINGS, level: "debug" },
      at: counter((m) => (m >= FLOOD_FROM ? 30_000 : 0)),
    },
    { metric: "http_server_requests_seconds_count", labels: { ...RATINGS, uri: "/rate" }, at: counter(requests) },
    {
      metric: "http_server_requests_seconds_sum",
      labels: { ...RATINGS, uri: "/rate" },
      at: counter((m) => requests() * seconds(m)),
    },
  ];
  return buildCase({ minutes: 30, series });
}

test("a DEBUG flood that makes the service's requests take three times as long is the root", async () => {
  const d = await analyze(
    floodCase((m) => (m >= FLOOD_FROM ? 0.06 : 0.02)),
    { at: minute(22) },
  );
  assert.equal(d.causes[0]?.entity, "service:ratings");
  assert.equal(d.causes[0]?.kind, "logging.flood");
  assert.match(d.causes[0]?.evidence[0]?.detail ?? "", /requests took 3\.0× as long/);
});

test("the same flood written without slowing the requests down is context, not a cause", async () => {
  const d = await analyze(floodCase(constant(0.02)), { at: minute(22) });
  assert.ok(!d.causes.some((x) => x.kind === "logging.flood"));
  assert.ok(d.context?.some((line) => line.includes("DEBUG")));
});
