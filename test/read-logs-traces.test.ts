import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { csvLogsReader } from "../src/read/csvLogs.js";
import { jaegerJsonReader } from "../src/read/jaegerJson.js";
import { jsonLinesReader } from "../src/read/jsonLines.js";
import { kubectlJsonReader } from "../src/read/kubectlJson.js";
import { levelOf, sourceNameOf } from "../src/read/logFields.js";
import { otlpLogsReader } from "../src/read/otlpLogs.js";
import { otlpTracesReader } from "../src/read/otlpTraces.js";
import { plainLogsReader } from "../src/read/plainLogs.js";
import { spanCsvReader } from "../src/read/spanCsv.js";
import { ReadError, type Reader } from "../src/read/types.js";
import { inputFromFile, inputFromString } from "./helpers/input.js";
import { RecordingSink } from "./helpers/recordingSink.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "test", "fixtures");
const fixture = (path: string) => join(FIXTURES, path);
const fixtureText = (path: string) => readFileSync(fixture(path), "utf8");

const MY_READERS = [
  jsonLinesReader,
  csvLogsReader,
  plainLogsReader,
  otlpLogsReader,
  spanCsvReader,
  otlpTracesReader,
  jaegerJsonReader,
  kubectlJsonReader,
];

async function readFixture(reader: Reader, path: string): Promise<RecordingSink> {
  const sink = new RecordingSink();
  await reader.read(inputFromFile(fixture(path)), sink);
  return sink;
}

async function readString(reader: Reader, file: string, content: string): Promise<RecordingSink> {
  const sink = new RecordingSink();
  await reader.read(inputFromString(file, content), sink);
  return sink;
}

/** The ReadError reading `content` gives; fails when it reads without one. */
async function readError(reader: Reader, file: string, content: string): Promise<ReadError> {
  try {
    await readString(reader, file, content);
  } catch (error) {
    assert.ok(error instanceof ReadError, `expected a ReadError, got ${String(error)}`);
    assert.ok(error.message.startsWith(`${file}: `), error.message);
    return error;
  }
  assert.fail(`${file}: expected a ReadError`);
}

const close = (actual: number, expected: number, tolerance = 1e-6) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} ≉ ${expected}`);

test("each fixture is claimed by its own reader, and by no other of these readers more surely", () => {
  const expected: [string, Reader][] = [
    ["logs/checkout.jsonl", jsonLinesReader],
    ["logs/travel.csv", csvLogsReader],
    ["logs/kafka-server.2023-01-29.log", plainLogsReader],
    ["logs/otlp-logs.json", otlpLogsReader],
    ["traces/spans.csv", spanCsvReader],
    ["traces/otlp-traces.json", otlpTracesReader],
    ["traces/jaeger.json", jaegerJsonReader],
    ["kube/pods.json", kubectlJsonReader],
    ["kube/nodes.json", kubectlJsonReader],
    ["kube/events.json", kubectlJsonReader],
  ];
  for (const [path, owner] of expected) {
    const head = fixtureText(path);
    assert.ok(owner.sniff(head) > 0, `${owner.format} should claim ${path}`);
    for (const other of MY_READERS) {
      if (other !== owner) assert.ok(other.sniff(head) < owner.sniff(head), `${other.format} competes for ${path}`);
    }
  }
});

test("metric CSVs and Prometheus API JSON are left to their readers", () => {
  const heads = [
    "time,cpu_usage,memory_bytes\n2023-01-29T08:42:00Z,0.5,1024\n",
    "timestamp,PodName,cpu,mem\n1674981742,cart-0,0.5,1024\n",
    '{"status":"success","data":{"resultType":"matrix","result":[]}}\n',
    "# HELP up Up\n# TYPE up gauge\nup 1\n",
  ];
  for (const head of heads) {
    for (const reader of MY_READERS) assert.equal(reader.sniff(head), 0, `${reader.format} claims ${head}`);
  }
});

test("json-lines: time by name and magnitude, levels by word and number, messages, nested entity labels", async () => {
  const sink = await readFixture(jsonLinesReader, "logs/checkout.jsonl");
  assert.equal(sink.logs.length, 4);
  const [pino, ecs, bare, dotted] = sink.logs;
  close(pino.t, 1674981742.383);
  assert.equal(pino.level, "info");
  assert.equal(pino.message, "listening on :8080");
  assert.deepEqual(pino.labels, { service: "cart" });
  close(ecs.t, Date.UTC(2023, 0, 29, 8, 42, 23, 500) / 1e3);
  assert.equal(ecs.level, "warn");
  assert.deepEqual(ecs.labels, { app: "cart", pod: "cart-7d9f8c6b5-x2x9q", namespace: "shop" });
  assert.equal(bare.message, "connection refused");
  assert.equal(bare.level, "error");
  assert.deepEqual(bare.labels, { service: "checkout" }, "no entity field: the file names the source");
  assert.equal(dotted.labels.service, "payment");
  assert.equal(dotted.level, "error");
  assert.equal(sink.skipped.length, 0);
});

test("json-lines: a bad line is skipped with its number; mostly bad, truncated-only or empty input is a ReadError", async () => {
  const good = fixtureText("logs/checkout.jsonl");
  const withBadLine = good.replace("\n", '\nnot json at all\n{"time": 1674981742}\n');
  const sink = await readString(jsonLinesReader, "svc.jsonl", withBadLine);
  assert.equal(sink.logs.length, 4);
  assert.deepEqual(
    sink.skipped.map((s) => s.where),
    ["line 2", "line 3"],
  );
  assert.match(sink.skipped[1].reason, /message/);

  const truncated = await readString(jsonLinesReader, "cut.jsonl", good.slice(0, good.length - 20));
  assert.equal(truncated.logs.length, 3);
  assert.deepEqual(truncated.skipped, [{ where: "line 4", reason: "not a JSON object (malformed or cut off)" }]);

  const malformed = await readError(jsonLinesReader, "bad.jsonl", "hello\nworld\n{}\n");
  assert.match(malformed.message, /bad\.jsonl: line 1: a JSON object per line/);
  assert.match((await readError(jsonLinesReader, "only.jsonl", '{"time":1674981742,"msg":"x')).message, /line 1/);
  assert.match((await readError(jsonLinesReader, "empty.jsonl", "")).message, /empty/);
});

test("csv logs: JSON-in-CSV unwrapped, nanosecond epoch column preferred, pod/container/node labels, level left to the sink", async () => {
  const sink = await readFixture(csvLogsReader, "logs/travel.csv");
  assert.equal(sink.logs.length, 2);
  const [wrapped, plain] = sink.logs;
  assert.equal(
    wrapped.message,
    "16:42:22.382 INFO  t.s.TravelServiceImpl#532 [getRouteByRouteId][Route is: shanghai, suzhou]",
  );
  close(wrapped.t, 1674981742.3831508);
  assert.equal(wrapped.level, undefined);
  assert.deepEqual(wrapped.labels, {
    node: "10.0.0.1",
    pod: "ts-travel-service-64469b5b48-25zj6",
    container: "server",
  });
  assert.equal(plain.message, "Order not found");
  close(plain.t, 1674981743.5);
});

test("csv logs: a level column is read; short rows are skipped; no header columns, a record cut mid-quote or an empty file is a ReadError", async () => {
  const sink = await readString(
    csvLogsReader,
    "app.csv",
    "time,level,service,message\n1674981742,WARN,cart,slow\n1674981743,ERROR\n1674981744,error,cart,boom\n",
  );
  assert.deepEqual(
    sink.logs.map((l) => [l.level, l.labels.service]),
    [
      ["warn", "cart"],
      ["error", "cart"],
    ],
  );
  assert.deepEqual(
    sink.skipped.map((s) => s.where),
    ["line 3"],
  );

  const good = fixtureText("logs/travel.csv");
  // A record cut inside its quoted message is skipped; with no other row left, nothing is readable.
  const truncated = await readError(csvLogsReader, "cut.csv", good.slice(0, good.indexOf("stream")));
  assert.match(truncated.message, /cut\.csv: line 1: CSV log rows with a time and a message/);
  assert.match((await readError(csvLogsReader, "x.csv", "a,b\n1,2\n")).message, /x\.csv: line 1: .*message column/);
  assert.match((await readError(csvLogsReader, "e.csv", "")).message, /e\.csv: line 1: .*empty/);
});

test("plain logs: bracketed timestamps, stack traces attached, the file name without date and extension names the source", async () => {
  const sink = await readFixture(plainLogsReader, "logs/kafka-server.2023-01-29.log");
  assert.equal(sink.logs.length, 3);
  const [start, error, warn] = sink.logs;
  close(start.t, Date.UTC(2023, 0, 29, 8, 42, 22, 123) / 1e3);
  assert.equal(start.message, "INFO Starting broker (kafka.server.KafkaServer)");
  assert.deepEqual(start.labels, { service: "kafka-server" });
  assert.equal(error.message.split("\n").length, 5);
  assert.match(error.message, /^ERROR Error while loading log dir[\s\S]*Caused by: java.io.IOException: disk full$/);
  assert.match(warn.message, /^WARN Slow fetch/);
  assert.equal(sink.skipped.length, 0);
});

test("plain logs: ISO with zone, klog (with its level), syslog (year from a full date), epoch seconds", async () => {
  const sink = await readString(
    plainLogsReader,
    "/var/log/node.log.1",
    [
      "2023-01-29T08:42:22.5+01:00 starting",
      "E0129 08:42:23.250000    1 kubelet.go:2412] Error syncing pod",
      "Jan 29 08:42:24 ip-10-0-1-12 kernel: eth0 link down",
      "1674981745 plain epoch line",
    ].join("\n"),
  );
  const times = sink.logs.map((l) => l.t);
  close(times[0], Date.UTC(2023, 0, 29, 7, 42, 22, 500) / 1e3);
  close(times[1], Date.UTC(2023, 0, 29, 8, 42, 23, 250) / 1e3);
  close(times[2], Date.UTC(2023, 0, 29, 8, 42, 24) / 1e3);
  close(times[3], 1674981745);
  assert.equal(sink.logs[1].level, "error");
  assert.equal(sink.logs[1].message, "1 kubelet.go:2412] Error syncing pod");
  assert.deepEqual(sink.logs[0].labels, { service: "node" });
});

test("plain logs: a cut-off timestamp is skipped with its line; no timestamps or an empty file is a ReadError", async () => {
  const good = fixtureText("logs/kafka-server.2023-01-29.log");
  const sink = await readString(plainLogsReader, "k.log", `${good}[2023-01-2`);
  assert.equal(sink.logs.length, 3);
  assert.deepEqual(
    sink.skipped.map((s) => s.where),
    ["line 8"],
  );
  const malformed = await readError(plainLogsReader, "notes.txt", "just some text\nwith no times\n");
  assert.match(malformed.message, /notes\.txt: line 1: log lines starting with a timestamp/);
  assert.match((await readError(plainLogsReader, "e.log", "")).message, /e\.log: line 1: .*empty/);
});

test("otlp logs: resource attributes to labels, nanosecond times, severity text and number, non-string bodies", async () => {
  const sink = await readFixture(otlpLogsReader, "logs/otlp-logs.json");
  assert.equal(sink.logs.length, 2);
  const [error, retry] = sink.logs;
  assert.deepEqual(error.labels, {
    service: "shipping",
    pod: "shipping-7d9f8c6b5-x2x9q",
    namespace: "robot-shop",
    node: "ip-10-0-1-12",
  });
  close(error.t, 1674981742.3831508);
  assert.equal(error.level, "error");
  assert.equal(error.message, "cannot connect to mysql");
  close(retry.t, 1674981743, 0);
  assert.equal(retry.level, "warn");
  assert.equal(retry.message, '{"event":"retry"}');
  assert.deepEqual(sink.skipped, [
    { where: "resourceLogs[0].scopeLogs[0].logRecords[2]", reason: "no timeUnixNano or observedTimeUnixNano" },
  ]);
});

test("otlp logs: one document per line skips a cut-off line; malformed, truncated, wrong-shape or empty documents are ReadErrors", async () => {
  const doc = JSON.stringify(JSON.parse(fixtureText("logs/otlp-logs.json")));
  const sink = await readString(otlpLogsReader, "export.jsonl", `${doc}\n${doc}\n${doc.slice(0, 40)}`);
  assert.equal(sink.logs.length, 4);
  assert.ok(sink.skipped.some((s) => s.where === "line 3"));

  const good = fixtureText("logs/otlp-logs.json");
  const cut = good.slice(0, good.indexOf('"scopeLogs"'));
  const truncated = await readError(otlpLogsReader, "cut.json", cut);
  const lastLine = cut.split("\n").length;
  assert.match(truncated.message, new RegExp(`^cut\\.json: line ${lastLine}, column \\d+: an OTLP/JSON logs document`));
  const malformed = await readError(otlpLogsReader, "bad.json", '{"resourceLogs": [\n  {"resource": }\n]}');
  assert.match(malformed.message, /bad\.json: line 2, column 16: /);
  assert.match((await readError(otlpLogsReader, "w.json", '{"data": []}')).message, /w\.json: top level: /);
  assert.match((await readError(otlpLogsReader, "e.json", " \n")).message, /e\.json: line 1: .*empty/);
});

test("span csv: exact durations from nanosecond start/end, parents (root = none), pods as labels", async () => {
  const sink = await readFixture(spanCsvReader, "traces/spans.csv");
  assert.equal(sink.spans.length, 2);
  const [root, child] = sink.spans;
  assert.equal(root.parent, undefined);
  assert.equal(child.parent, "520b067330e3ede5");
  close(root.start, 1674981768.697);
  close(root.duration, 0.31831653, 1e-12);
  close(child.duration, 0.311521162, 1e-12);
  assert.deepEqual(root.labels, { pod: "ts-gateway-service-6f6cfc45b-h5m2n" });
  assert.equal(child.operation, "/api/v1/users/login");
  assert.equal(root.error, false);
});

test("span csv: duration unit from the column name or learnt from end − start; HTTP 5xx and OTLP code 2 are errors", async () => {
  const named = await readString(
    spanCsvReader,
    "s.csv",
    [
      "trace_id,span_id,parent_span_id,service,operation,start_time,duration_ms,status_code",
      "t1,a,,web,GET /,2023-01-29T08:42:22Z,250,200",
      "t1,b,a,api,GET /x,2023-01-29T08:42:22.1Z,100,503",
      "t1,c,b,db,query,2023-01-29T08:42:22.2Z,10,2",
    ].join("\n"),
  );
  assert.deepEqual(
    named.spans.map((s) => [s.duration, s.error, s.parent]),
    [
      [0.25, false, undefined],
      [0.1, true, "a"],
      [0.01, true, "b"],
    ],
  );
  const learnt = await readString(
    spanCsvReader,
    "l.csv",
    "TraceID,SpanID,ServiceName,start,end,Duration\nt,a,web,1674981742000000,1674981742500000,500000\nt,b,web,1674981742000000,,2000\n",
  );
  assert.deepEqual(
    learnt.spans.map((s) => s.duration),
    [0.5, 0.002],
  );
});

test("span csv: a unit-less duration without end times, a cut-off row or a bad quote is skipped by line, an empty file is an error", async () => {
  const unitless = await readError(
    spanCsvReader,
    "u.csv",
    "traceid,spanid,service,start,duration\nt,a,web,1674981742,5\n",
  );
  assert.match(unitless.message, /u\.csv: line 1, column duration: a duration unit/);
  const good = fixtureText("traces/spans.csv");
  const cut = await readString(spanCsvReader, "cut.csv", good.slice(0, good.length - 30));
  assert.equal(cut.spans.length, 1);
  assert.deepEqual(
    cut.skipped.map((s) => s.where),
    ["line 3"],
  );
  // One malformed record is skipped with its line; the good rows are kept.
  const malformed = await readString(spanCsvReader, "m.csv", `${good}"t,"x"y,z\n`);
  assert.ok(malformed.spans.length >= 2);
  assert.ok(malformed.skipped.some((s) => s.where === "line 4" && /malformed CSV record/.test(s.reason)));
  assert.match((await readError(spanCsvReader, "e.csv", "")).message, /e\.csv: line 1: .*empty/);
});

test("otlp traces: hex ids, nanosecond strings, empty parent = none, status code 2 = error, resource service", async () => {
  const sink = await readFixture(otlpTracesReader, "traces/otlp-traces.json");
  assert.equal(sink.spans.length, 2);
  const [root, child] = sink.spans;
  assert.equal(root.parent, undefined);
  assert.equal(root.operation, "GET /cart");
  assert.deepEqual(root.labels, { service: "frontend" });
  close(root.start, 1674981742);
  close(root.duration, 0.25, 1e-12);
  assert.equal(root.error, false);
  assert.equal(child.parent, "eee19b7ec3c1b174");
  assert.equal(child.error, true);
  close(child.duration, 0.200000001, 1e-12);
  assert.deepEqual(child.labels, { service: "cart", pod: "cart-0" });
  assert.deepEqual(sink.skipped, [
    { where: "resourceSpans[1].scopeSpans[0].spans[1]", reason: "no traceId or spanId" },
  ]);
});

test("otlp traces: malformed, truncated, wrong-shape and empty files are ReadErrors naming the place", async () => {
  const good = fixtureText("traces/otlp-traces.json");
  assert.match(
    (await readError(otlpTracesReader, "cut.json", good.slice(0, 300))).message,
    /cut\.json: line \d+, column \d+: /,
  );
  assert.match(
    (await readError(otlpTracesReader, "m.json", "{resourceSpans: []}")).message,
    /m\.json: line 1, column 2: /,
  );
  assert.match(
    (await readError(otlpTracesReader, "w.json", '{"resourceLogs": []}')).message,
    /w\.json: top level: .*resourceSpans/,
  );
  assert.match((await readError(otlpTracesReader, "e.json", "")).message, /empty/);
});

test("jaeger json: µs times, CHILD_OF parents, processes to labels, error tag; a span of an unknown process is skipped", async () => {
  const sink = await readFixture(jaegerJsonReader, "traces/jaeger.json");
  assert.equal(sink.spans.length, 2);
  const [root, child] = sink.spans;
  close(root.start, 1674981742);
  close(root.duration, 0.12, 1e-12);
  assert.equal(root.parent, undefined);
  assert.equal(root.error, false);
  assert.deepEqual(root.labels, { service: "orders", host: "orders-6b8d9-abcde" });
  assert.equal(child.parent, "0000000000000001");
  assert.equal(child.error, true);
  assert.deepEqual(child.labels, { service: "mysql", pod: "mysql-0" });
  assert.equal(sink.skipped.length, 1);
  assert.equal(sink.skipped[0].where, "data[0].spans[2]");
});

test("jaeger json: malformed, truncated, wrong-shape and empty files are ReadErrors", async () => {
  const good = fixtureText("traces/jaeger.json");
  assert.match(
    (await readError(jaegerJsonReader, "cut.json", good.slice(0, 500))).message,
    /cut\.json: line \d+, column \d+: Jaeger/,
  );
  assert.match((await readError(jaegerJsonReader, "m.json", '{"data": [,]}')).message, /m\.json: line 1, column 11: /);
  assert.match((await readError(jaegerJsonReader, "w.json", '{"data": {}}')).message, /w\.json: top level: Jaeger/);
  assert.match((await readError(jaegerJsonReader, "e.json", "")).message, /empty/);
});

test("kubectl json: pods with owner and node relations, workloads, autoscalers by target; unknown kinds skipped", async () => {
  const sink = await readFixture(kubectlJsonReader, "kube/pods.json");
  assert.deepEqual(
    sink.objects.map((o) => [o.object.kind, o.labels]),
    [
      ["Pod", { pod: "shipping-7d9f8c6b5-x2x9q", namespace: "robot-shop", replicaset: "shipping-7d9f8c6b5" }],
      ["ReplicaSet", { replicaset: "shipping-7d9f8c6b5", namespace: "robot-shop" }],
      [
        "HorizontalPodAutoscaler",
        { horizontalpodautoscaler: "shipping-hpa", namespace: "robot-shop", deployment: "shipping" },
      ],
    ],
  );
  const pod = sink.objects[0].object;
  assert.deepEqual(pod.status, { phase: "Running" });
  assert.equal((pod.metadata as Record<string, unknown>).managedFields, undefined);
  const podLabels = sink.objects[0].labels;
  assert.deepEqual(sink.relations, [
    { from: podLabels, to: { node: "ip-10-0-1-12" }, type: "runs-on" },
    { from: { replicaset: "shipping-7d9f8c6b5", namespace: "robot-shop" }, to: podLabels, type: "owns" },
    { from: { deployment: "shipping", namespace: "robot-shop" }, to: sink.objects[1].labels, type: "owns" },
  ]);
  assert.equal(sink.skipped.length, 1);
  assert.equal(sink.skipped[0].where, "items[3]");
  assert.match(sink.skipped[0].reason, /ConfigMap/);
});

test("kubectl json: nodes from a NodeList with instance type and zone (deprecated keys read), in-zone relation", async () => {
  const sink = await readFixture(kubectlJsonReader, "kube/nodes.json");
  assert.equal(sink.objects.length, 1);
  assert.equal(sink.objects[0].object.kind, "Node");
  assert.deepEqual(sink.objects[0].labels, {
    node: "ip-10-0-1-12",
    "node.kubernetes.io/instance-type": "t3.medium",
    "topology.kubernetes.io/zone": "us-east-1a",
  });
  assert.deepEqual(sink.relations, [{ from: { node: "ip-10-0-1-12" }, to: { zone: "us-east-1a" }, type: "in-zone" }]);
});

test("kubectl json: core/v1 and events.k8s.io events; an event without its object is skipped", async () => {
  const sink = await readFixture(kubectlJsonReader, "kube/events.json");
  assert.deepEqual(sink.events, [
    {
      t: Date.UTC(2023, 0, 29, 8, 42, 22) / 1e3,
      type: "Warning",
      reason: "OOMKilling",
      message: "Memory cgroup out of memory: Killed process 4242 (java)",
      count: 3,
      labels: { pod: "shipping-7d9f8c6b5-x2x9q", namespace: "robot-shop" },
    },
    {
      t: Date.UTC(2023, 0, 29, 8, 43) / 1e3,
      type: "Normal",
      reason: "NodeNotReady",
      message: "Node ip-10-0-1-12 status is now: NodeNotReady",
      count: 1,
      labels: { node: "ip-10-0-1-12", namespace: "default" },
    },
  ]);
  assert.deepEqual(
    sink.skipped.map((s) => s.where),
    ["items[2].involvedObject"],
  );
});

test("kubectl json: a single object is read; malformed, truncated, kind-less and empty files are ReadErrors", async () => {
  const pod = JSON.parse(fixtureText("kube/pods.json")).items[0];
  const sink = await readString(kubectlJsonReader, "pod.json", JSON.stringify(pod));
  assert.equal(sink.objects.length, 1);
  const good = fixtureText("kube/events.json");
  assert.match(
    (await readError(kubectlJsonReader, "cut.json", good.slice(0, 200))).message,
    /cut\.json: line \d+, column \d+: Kubernetes JSON/,
  );
  assert.match(
    (await readError(kubectlJsonReader, "m.json", '{\n  "kind": "List",\n  items: []\n}')).message,
    /m\.json: line 3, column 3: /,
  );
  assert.match((await readError(kubectlJsonReader, "k.json", '{"items": []}')).message, /k\.json: kind: /);
  assert.match((await readError(kubectlJsonReader, "e.json", "")).message, /empty/);
});

test("levels and source names follow general rules", () => {
  assert.deepEqual([30, 50, 60, "20", 3, "WARNING", "Critical", "nonsense", undefined].map(levelOf), [
    "info",
    "error",
    "fatal",
    "debug",
    undefined,
    "warn",
    "fatal",
    undefined,
    undefined,
  ]);
  assert.deepEqual(
    ["/x/api.log", "api.log.1", "api-2023-01-29.log.gz", "broker-2.log", "orders_20230129.txt", ".hidden"].map(
      sourceNameOf,
    ),
    ["api", "api", "api", "broker-2", "orders", ".hidden"],
  );
});
