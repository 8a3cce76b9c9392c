import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { callGraphCsvReader } from "../src/read/callGraphCsv.js";
import { parseCsvHeader } from "../src/read/csvHeader.js";
import { longCsvReader, unitOfColumn } from "../src/read/longCsv.js";
import { prometheusJsonReader } from "../src/read/prometheusJson.js";
import { commentTimestamp, parseSample, promTextReader } from "../src/read/promText.js";
import { parseSampleValue } from "../src/read/samples.js";
import { ReadError, type Reader } from "../src/read/types.js";
import { splitEntityMetric, wideCsvReader } from "../src/read/wideCsv.js";
import { inputFromFile, inputFromString } from "./helpers/input.js";
import { RecordingSink } from "./helpers/recordingSink.js";

/** Fixtures live in the source tree; tests run from dist/test. */
const FIXTURES = join(import.meta.dirname, "..", "..", "test", "fixtures", "metrics");
const READERS = [prometheusJsonReader, promTextReader, wideCsvReader, longCsvReader, callGraphCsvReader];

async function readFixture(reader: Reader, name: string): Promise<RecordingSink> {
  const sink = new RecordingSink();
  await reader.read(inputFromFile(join(FIXTURES, name)), sink);
  return sink;
}

/** Asserts that reading the fixture throws a ReadError naming the file and `where`, whose message matches `expected`. */
async function assertReadError(reader: Reader, name: string, where: string | RegExp, expected?: RegExp): Promise<void> {
  await assert.rejects(readFixture(reader, name), (error: unknown) => {
    assert.ok(error instanceof ReadError, `expected a ReadError, got ${String(error)}`);
    assert.ok(error.file.endsWith(name), `file: ${error.file}`);
    assert.ok(error.message.includes(name), `message names the file: ${error.message}`);
    if (typeof where === "string") assert.equal(error.where, where);
    else assert.match(error.where, where);
    if (expected) assert.match(error.expected, expected);
    return true;
  });
}

function bestReader(head: string): Reader | undefined {
  let best: Reader | undefined;
  let bestScore = 0;
  for (const reader of READERS) {
    const score = reader.sniff(head);
    if (score > bestScore) [best, bestScore] = [reader, score];
  }
  return best;
}

test("each well-formed fixture is claimed by its own reader and no other reader is as sure", () => {
  const expected: Record<string, Reader> = {
    "query_range.json.txt": prometheusJsonReader,
    "query_array.json.txt": prometheusJsonReader,
    "query_error.json.txt": prometheusJsonReader,
    "exposition.prom": promTextReader,
    "exposition_no_time.prom": promTextReader,
    "wide.csv": wideCsvReader,
    "long.csv": longCsvReader,
    "long_service.csv": longCsvReader,
    "callgraph.csv": callGraphCsvReader,
    "callgraph_caller.csv": callGraphCsvReader,
  };
  for (const [name, reader] of Object.entries(expected)) {
    assert.equal(bestReader(inputFromFile(join(FIXTURES, name)).head)?.format, reader.format, name);
  }
});

test("span and log CSVs, empty content and unrelated text are claimed by none of the metric readers", () => {
  const heads = [
    inputFromFile(join(FIXTURES, "span_like.csv")).head,
    inputFromFile(join(FIXTURES, "log_like.csv")).head,
    "",
    "2024-05-01T12:00:00Z INFO carts started on port 8080\n2024-05-01T12:00:01Z WARN slow request\n",
    '{"kind":"PodList","items":[]}',
  ];
  for (const head of heads) {
    for (const reader of READERS)
      assert.equal(reader.sniff(head), 0, `${reader.format} on ${JSON.stringify(head.slice(0, 40))}`);
  }
});

test("sample values: numbers, NaN and empty as missing, ±Inf, text as not a number", () => {
  assert.equal(parseSampleValue("1.5e3"), 1500);
  assert.ok(Number.isNaN(parseSampleValue("NaN")));
  assert.ok(Number.isNaN(parseSampleValue("")));
  assert.equal(parseSampleValue("+Inf"), Number.POSITIVE_INFINITY);
  assert.equal(parseSampleValue("-Inf"), Number.NEGATIVE_INFINITY);
  assert.equal(parseSampleValue("Running"), undefined);
});

test("CSV header splitting keeps quoted commas and strips a byte-order mark", () => {
  assert.deepEqual(parseCsvHeader('\uFEFFtime, "a,b" ,"say ""hi"""'), ["time", "a,b", 'say "hi"']);
});

// Prometheus HTTP API JSON

test("prometheus json: a query_range matrix becomes one series per result, NaN dropped, +Inf kept", async () => {
  const sink = await readFixture(prometheusJsonReader, "query_range.json.txt");
  assert.equal(sink.samples.length, 3);
  const [carts, orders, unnamed] = sink.samples;
  assert.equal(carts.metric, "container_cpu_usage_seconds_total");
  assert.deepEqual(carts.labels, { namespace: "shop", pod: "carts-7d9f8c6b5-x2x9q" });
  assert.deepEqual(carts.t, [1714564800, 1714564830]);
  assert.deepEqual(carts.v, [1.5, 2.5]);
  assert.deepEqual(orders.v, [0.5, Number.POSITIVE_INFINITY]);
  assert.equal(unnamed.metric, "value");
  assert.deepEqual(unnamed.labels, { service: "orders" });
  assert.deepEqual(unnamed.t, [1714564800.5]);
  assert.equal(sink.skipped.length, 0);
});

test("prometheus json: an array of responses reads vectors and scalars", async () => {
  const sink = await readFixture(prometheusJsonReader, "query_array.json.txt");
  assert.deepEqual(
    sink.samples.map((s) => [s.metric, s.labels, s.t, s.v]),
    [
      ["up", { job: "carts" }, [1714564800.123], [1]],
      ["value", {}, [1714564800], [42]],
    ],
  );
});

test("prometheus json: a malformed sample pair is skipped by its path and the rest of the series kept", async () => {
  const sink = new RecordingSink();
  const text = JSON.stringify({
    status: "success",
    data: {
      resultType: "matrix",
      result: [{ metric: { __name__: "up" }, values: [[1714564800, "1"], ["x"], [1714564815, "0"]] }],
    },
  });
  await prometheusJsonReader.read(inputFromString("inline.json", text), sink);
  assert.deepEqual(sink.samples[0].v, [1, 0]);
  assert.deepEqual(
    sink.skipped.map((s) => s.where),
    ["data.result[0].values[1]"],
  );
});

test("prometheus json: an error response names errorType and error", async () => {
  await assertReadError(prometheusJsonReader, "query_error.json.txt", "status", /bad_data.*parse error/);
});

test("prometheus json: a result that is not an array names the field", async () => {
  await assertReadError(prometheusJsonReader, "query_malformed.json.txt", "data.result", /array of series/);
});

test("prometheus json: a truncated document names where the file ends", async () => {
  // The fixture is cut off in the middle of a sample, at the end of its second line.
  await assertReadError(prometheusJsonReader, "query_truncated.json.txt", "line 2, column 79", /truncated/);
});

test("prometheus json: a syntax error names line and column", async () => {
  const sink = new RecordingSink();
  await assert.rejects(
    prometheusJsonReader.read(inputFromString("bad.json", '{\n  "status": "success",\n  "data" {}\n}'), sink),
    {
      name: "ReadError",
      where: "line 3, column 10",
    },
  );
});

test("prometheus json: an empty file", async () => {
  await assertReadError(prometheusJsonReader, "query_empty.json.txt", "line 1", /empty/);
});

// Prometheus text exposition

test("prometheus text: samples with their labels, the file's scrape time where a sample has none", async () => {
  const sink = await readFixture(promTextReader, "exposition.prom");
  const ok = sink.series("http_requests_total", ["code", "200"])[0];
  assert.deepEqual(ok.labels, { service: "carts", code: "200" });
  assert.deepEqual(ok.t, [Date.parse("2024-05-01T12:00:00Z") / 1e3]);
  assert.deepEqual(ok.v, [1027]);
  const failed = sink.series("http_requests_total", ["code", "500"])[0];
  assert.equal(failed.labels.path, 'C:\\tmp"x"\nnext');
  assert.deepEqual(failed.t, [1714564790]);
  assert.deepEqual(
    sink.series("request_duration_seconds_bucket").map((s) => s.labels.le),
    ["0.1", "+Inf"],
  );
  assert.equal(sink.series("request_duration_seconds_sum").length, 1);
  assert.deepEqual(sink.series("request_duration_seconds_count")[0].v, [12]);
  assert.equal(sink.series("rpc_duration_seconds").length, 0, "a NaN-only series has no samples");
  assert.deepEqual(sink.skipped, [
    { where: "line 13", reason: 'expected "value [timestamp]" after the labels, found 5 fields' },
  ]);
});

test("prometheus text: OpenMetrics units, second timestamps, exemplars and UTF-8 names", async () => {
  const text = [
    "# TYPE http_request_duration_seconds histogram",
    "# UNIT http_request_duration_seconds seconds",
    'http_request_duration_seconds_sum{service="carts"} 3.5 1714564800.5',
    'http_request_duration_seconds_bucket{le="1"} 2 1714564800.5 # {trace_id="abc"} 0.7 1714564800.1',
    '{"my.metric", "service.name"="carts"} 7 1714564800000',
    "# EOF",
  ].join("\n");
  const sink = new RecordingSink();
  await promTextReader.read(inputFromString("om.txt", text), sink);
  assert.deepEqual(
    sink.samples.map((s) => [s.metric, s.t[0], s.v[0], s.unit]),
    [
      ["http_request_duration_seconds_sum", 1714564800.5, 3.5, "seconds"],
      ["http_request_duration_seconds_bucket", 1714564800.5, 2, undefined],
      ["my.metric", 1714564800, 7, undefined],
    ],
  );
  assert.deepEqual(sink.samples[2].labels, { "service.name": "carts" });
});

test("prometheus text: a sample with no timestamp in a file with no scrape time asks for one", async () => {
  await assertReadError(promTextReader, "exposition_no_time.prom", "line 3", /timestamp.*# scraped at/);
});

test("prometheus text: a scrape time comment as ISO or epoch", () => {
  assert.equal(commentTimestamp("# scraped at 2024-05-01T12:00:00Z"), 1714564800);
  assert.equal(commentTimestamp("# collected 1714564800000"), 1714564800);
  assert.equal(commentTimestamp("# generated by exporter v1.2"), undefined);
});

test("prometheus text: sample lines and their faults", () => {
  assert.deepEqual(parseSample('a_b{x="1",} 2 1714564800000'), {
    name: "a_b",
    labels: { x: "1" },
    value: 2,
    timestamp: 1714564800,
  });
  assert.match(String(parseSample('up{job="carts" 1')), /expected , or }/);
  assert.match(String(parseSample("up{job=carts} 1")), /quoted value for label job/);
  assert.match(String(parseSample("up 1 2 3")), /3 fields/);
});

test("prometheus text: a file of malformed lines names the first", async () => {
  await assertReadError(promTextReader, "exposition_malformed.prom", "line 2", /expected , or }/);
});

test("prometheus text: a line cut short is skipped by its number, the rest read", async () => {
  const sink = await readFixture(promTextReader, "exposition_truncated.prom");
  assert.deepEqual(
    sink.samples.map((s) => [s.labels.job, s.t[0]]),
    [
      ["carts", 1714564800],
      ["orders", 1714564800],
    ],
  );
  assert.deepEqual(sink.skipped, [{ where: "line 4", reason: "unclosed value of label code" }]);
});

test("prometheus text: a file cut within its first sample", async () => {
  await assertReadError(promTextReader, "exposition_truncated_first.prom", "line 2", /unclosed value/);
});

test("prometheus text: an empty file", async () => {
  await assertReadError(promTextReader, "exposition_empty.prom", "line 1", /empty/);
});

// Wide metric CSV

test("wide csv: <entity>_<metric> columns split at the first underscore, times in seconds, missing values dropped", async () => {
  const sink = await readFixture(wideCsvReader, "wide.csv");
  assert.deepEqual(
    sink.samples.map((s) => [s.labels.service, s.metric]),
    [
      ["carts", "cpu"],
      ["carts-db", "cpu"],
      ["carts", "lat_50"],
      ["orders", "mem"],
    ],
  );
  const cpu = sink.series("cpu", ["service", "carts"])[0];
  assert.deepEqual(cpu.t, [1714564800, 1714564803]);
  assert.deepEqual(cpu.v, [0.5, 0.8]);
  assert.deepEqual(sink.series("mem")[0].v, [100, 103]);
  assert.deepEqual(sink.series("cpu", ["service", "carts-db"])[0].v, [10, 11]);
  assert.deepEqual(
    sink.skipped.map((s) => s.where),
    ['column "index"', "line 4", 'column "carts-db_cpu"'],
  );
  assert.match(sink.skipped[1].reason, /timestamp.*not-a-time/);
  assert.match(sink.skipped[2].reason, /1 non-numeric.*line 5: "oops"/);
});

test("wide csv: entity and metric split", () => {
  assert.deepEqual(splitEntityMetric("carts_lat_50"), { entity: "carts", metric: "lat_50" });
  assert.equal(splitEntityMetric("cpu"), undefined);
  assert.equal(splitEntityMetric("_cpu"), undefined);
});

test("wide csv: a header without a time column", async () => {
  await assertReadError(wideCsvReader, "wide_malformed.csv", "line 1", /time column/);
});

test("wide csv: a row cut short is skipped by its line, the complete rows read", async () => {
  const sink = await readFixture(wideCsvReader, "wide_truncated.csv");
  assert.deepEqual(sink.series("cpu", ["service", "orders"])[0].v, [0.6, 0.8]);
  assert.deepEqual(sink.skipped, [{ where: "line 4", reason: "expected 3 fields as in the header, found 2" }]);
});

test("wide csv: a file cut inside a quoted field", async () => {
  await assertReadError(wideCsvReader, "wide_truncated_quote.csv", "line 2", /CSV/);
});

test("wide csv: an empty file", async () => {
  await assertReadError(wideCsvReader, "wide_empty.csv", "line 1", /header/);
});

// Long metric CSV

test("long csv: one series per entity and numeric column, unit from the header, the epoch time column preferred", async () => {
  const sink = await readFixture(longCsvReader, "long.csv");
  assert.deepEqual(
    sink.samples.map((s) => [s.labels.pod, s.metric, s.unit]),
    [
      ["carts-7d9f8c6b5-x2x9q", "CpuUsage(m)", "millicores"],
      ["carts-7d9f8c6b5-x2x9q", "MemoryUsage(Mi)", "MiB"],
      ["carts-7d9f8c6b5-x2x9q", "PodSuccessRate(%)", "%"],
      ["orders-5c6d7e8f9-abcde", "CpuUsage(m)", "millicores"],
      ["orders-5c6d7e8f9-abcde", "MemoryUsage(Mi)", "MiB"],
      ["orders-5c6d7e8f9-abcde", "PodSuccessRate(%)", "%"],
    ],
  );
  const cpu = sink.series("CpuUsage(m)", ["pod", "carts-7d9f8c6b5-x2x9q"])[0];
  assert.deepEqual(cpu.t, [1714564800], "TimeStamp (exact seconds) over the Go time string; NaN dropped");
  assert.deepEqual(sink.series("MemoryUsage(Mi)", ["pod", "carts-7d9f8c6b5-x2x9q"])[0].t, [1714564800, 1714564860]);
  assert.deepEqual(sink.skipped, [{ where: "line 5", reason: 'expected an entity name in column "PodName"' }]);
});

test("long csv: a ServiceName column names services", async () => {
  const sink = await readFixture(longCsvReader, "long_service.csv");
  assert.deepEqual(
    sink.samples.map((s) => [s.labels, s.metric, s.unit, s.v]),
    [
      [{ service: "Frontend" }, "SuccessRate(%)", "%", [0, 0]],
      [{ service: "Frontend" }, "LatencyP99(s)", "s", [0.945, 0.9]],
    ],
  );
});

test("long csv: units from parenthesised suffixes", () => {
  assert.equal(unitOfColumn("CpuUsage(m)"), "millicores");
  assert.equal(unitOfColumn("Distance(m)"), undefined);
  assert.equal(unitOfColumn("MemoryUsage(Mi)"), "MiB");
  assert.equal(unitOfColumn("PodWorkload(Ops)"), "Ops");
  assert.equal(unitOfColumn("SyscallRead"), undefined);
});

test("long csv: a header without an entity column", async () => {
  await assertReadError(longCsvReader, "long_malformed.csv", "line 1", /entity column/);
});

test("long csv: a row cut short is skipped by its line", async () => {
  const sink = await readFixture(longCsvReader, "long_truncated.csv");
  assert.deepEqual(sink.samples[0].v, [0.5, 0.6]);
  assert.deepEqual(
    sink.skipped.map((s) => s.where),
    ["line 4"],
  );
});

test("long csv: an empty file", async () => {
  await assertReadError(longCsvReader, "long_empty.csv", "line 1", /header/);
});

test("long csv: a header with no rows", async () => {
  const sink = new RecordingSink();
  await assert.rejects(longCsvReader.read(inputFromString("header.csv", "time,pod,cpu\n"), sink), {
    name: "ReadError",
    where: "line 2",
  });
});

// Call-graph CSV

test("call graph csv: one calls relation per row, weight when given, bad rows skipped", async () => {
  const sink = await readFixture(callGraphCsvReader, "callgraph.csv");
  assert.deepEqual(sink.relations, [
    { from: { service: "front-end" }, to: { service: "carts" }, type: "calls", weight: 120 },
    { from: { service: "front-end" }, to: { service: "orders" }, type: "calls" },
  ]);
  assert.deepEqual(
    sink.skipped.map((s) => s.where),
    ["line 4", "line 5"],
  );
  assert.match(sink.skipped[1].reason, /numeric weight.*lots/);
});

test("call graph csv: caller,callee headers", async () => {
  const sink = await readFixture(callGraphCsvReader, "callgraph_caller.csv");
  assert.deepEqual(sink.relations, [{ from: { service: "front-end" }, to: { service: "catalogue" }, type: "calls" }]);
});

test("call graph csv: a header that is not source,target", async () => {
  await assertReadError(callGraphCsvReader, "callgraph_malformed.csv", "line 1", /source,target/);
});

test("call graph csv: a row cut short is skipped by its line", async () => {
  const sink = await readFixture(callGraphCsvReader, "callgraph_truncated.csv");
  assert.equal(sink.relations.length, 1);
  assert.deepEqual(
    sink.skipped.map((s) => s.where),
    ["line 3"],
  );
});

test("call graph csv: an empty file", async () => {
  await assertReadError(callGraphCsvReader, "callgraph_empty.csv", "line 1", /header/);
});
