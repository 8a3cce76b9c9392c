import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { maskVariables, maskVariablesByReplace, TemplateMiner, WILDCARD } from "../src/case/templateMiner.js";
import { chooseReader } from "../src/read/detect.js";
import { inputFromFile } from "./helpers/input.js";
import { RecordingSink } from "./helpers/recordingSink.js";

function mine(lines: string[], miner = new TemplateMiner()) {
  const ids = lines.map((line) => miner.add(line).id);
  return { miner, ids, distinct: new Set(ids).size };
}

function templateOf(miner: TemplateMiner, id: number): string {
  const found = miner.templates().find((t) => t.id === id);
  assert.ok(found, `template ${id} exists`);
  return found.template;
}

test("masks ids, numbers, addresses, times and key=value values", () => {
  assert.equal(maskVariables("dial tcp 10.0.3.17:5432: i/o timeout"), "dial tcp <*>: i/o timeout");
  assert.equal(maskVariables("user 4d2a46c7-71cb-4cf1-b5bb-b68406d9da6f logged in"), "user <*> logged in");
  assert.equal(maskVariables("took 12ms and 1.5GB at 80%"), "took <*> and <*> at <*>");
  assert.equal(maskVariables("at 2023-01-29T08:42:22.383150913Z and 16:42:22.382"), "at <*> and <*>");
  assert.equal(maskVariables("peer [2001:db8::8a2e:370:7334]:8080 and fe80::1 gone"), "peer <*> and <*> gone");
  assert.equal(maskVariables("trace ffc8ca7e4c8f06c75142c880d5595d96 addr 0x7ffd1234"), "trace <*> addr <*>");
  assert.equal(maskVariables("mail alice.b@example.com"), "mail <*>");
  assert.equal(maskVariables("Route(id=abc, name=shanghai)"), "Route(id=<*>, name=<*>)");
  assert.equal(
    maskVariables("read /var/lib/data/part-0001.parquet from /etc/hosts"),
    "read /var/lib/data/<*> from /etc/hosts",
  );
});

test("keeps words that only look like variables: level values, C++ scopes, quoted text by default", () => {
  assert.equal(maskVariables("level=error std::vector deadbeef"), "level=error std::vector deadbeef");
  assert.equal(maskVariables('msg="query failed"'), 'msg="query failed"');
  assert.equal(maskVariables('msg="query failed"', true), "msg=<*>");
});

test("lines differing only in ids, numbers, IPs, UUIDs and timestamps share one template", () => {
  const lines = [
    "2023-01-29T08:42:22Z worker 4d2a46c7-71cb-4cf1-b5bb-b68406d9da6f connected to 10.0.3.17:5432 in 12ms",
    "2023-01-29T08:43:01Z worker 27c37afa-2071-46f7-b296-5e05f438e66f connected to 10.0.4.200:5432 in 7ms",
    "2023-01-30T11:00:59Z worker 8c756d0c-b064-4dc6-b705-496a75343ddb connected to 192.168.1.9:6432 in 1.25s",
  ];
  const { miner, distinct, ids } = mine(lines);
  assert.equal(distinct, 1);
  assert.equal(templateOf(miner, ids[0]), "<*> worker <*> connected to <*> in <*>");
  assert.equal(miner.templates()[0].count, 3);
});

test("structurally different lines get different templates", () => {
  const lines = [
    "connection refused by upstream shipping",
    "cache warmed with all entries loaded",
    "Too many connections",
    "memory resource limit alarm set on node rabbit@rabbitmq-0",
    "memory usage of queue orders above the watermark",
  ];
  const { distinct, miner } = mine(lines);
  assert.equal(distinct, 5);
  assert.ok(miner.templates().every((t) => !t.template.includes(WILDCARD) || t.template.includes("rabbitmq")));
});

test("a word that varies between otherwise equal lines becomes <*>", () => {
  const { miner, ids } = mine([
    "Check Station Exists stationName shanghai done",
    "Check Station Exists stationName nanjing done",
  ]);
  assert.equal(ids[0], ids[1]);
  assert.equal(templateOf(miner, ids[1]), "Check Station Exists stationName <*> done");
});

test("add reports new templates and the current template text", () => {
  const miner = new TemplateMiner();
  const first = miner.add("dial tcp 10.0.3.17:5432: i/o timeout");
  const second = miner.add("dial tcp 10.0.3.18:5432: i/o timeout");
  assert.equal(first.isNew, true);
  assert.equal(second.isNew, false);
  assert.equal(second.id, first.id);
  assert.equal(second.template, "dial tcp <*>: i/o timeout");
});

const JAVA_ROUTE = (trace: string, span: string, id: string, from: string, to: string, km: number) =>
  `16:42:22.382 INFO  t.s.TravelServiceImpl#532 TraceID: ${trace} SpanID: ${span} [getRouteByRouteId][Get Route By Id][Route is: Route(id=${id}, stations=[${from}, ${to}], distances=[0, ${km}], startStation=${from}, endStation=${to})]`;

test("Java service lines with other ids and stations merge; the template keeps the structure", () => {
  const lines = [
    JAVA_ROUTE(
      "ffc8ca7e4c8f06c75142c880d5595d96",
      "439bc949a9eeb0cc",
      "f3d4d4ef-693b-4456-8eed-59c0d717dd08",
      "shanghai",
      "suzhou",
      50,
    ),
    JAVA_ROUTE(
      "5d0bbaa5c74d96842aabc39c7b39d067",
      "3005e6c3a34584b7",
      "0b23bd3e-876a-4af3-b920-c50a90c90b04",
      "nanjing",
      "shanghai",
      350,
    ),
    JAVA_ROUTE(
      "87f67daa20f8f69091c56cc9276aa90c",
      "7565b88e4c65249a",
      "92708982-77af-4318-be25-57ccb0ff69ad",
      "beijing",
      "tianjin",
      120,
    ),
  ];
  const other =
    "16:42:22.359 INFO  t.c.TravelController#53 TraceID: ffc8ca7e4c8f06c75142c880d5595d96 SpanID: 439bc949a9eeb0cc [getRouteByTripId][Get Route By Trip ID][TripId: D1345]";
  const { miner, ids } = mine([...lines, other]);
  assert.equal(new Set(ids.slice(0, 3)).size, 1);
  assert.notEqual(ids[3], ids[0]);
  const template = templateOf(miner, ids[0]);
  assert.match(template, /^<\*> INFO t\.s\.TravelServiceImpl#532 TraceID: <\*> SpanID: <\*> \[getRouteByRouteId\]/);
  assert.match(template, /Route\(id=<\*>, stations=\[<\*>, <\*>\], distances=\[<\*>, <\*>\]/);
});

test("source locations are kept: equal wording from two statements gives two templates", () => {
  assert.equal(maskVariables("INFO t.s.TravelServiceImpl#457 took 12ms"), "INFO t.s.TravelServiceImpl#457 took <*>");
  assert.equal(maskVariables("I0102 controller.go:123] sync 5 failed"), "I0102 controller.go:123] sync <*> failed");
  // Not a location: no qualified or file name before the number.
  assert.equal(maskVariables("retry count:5 at host:8080"), "retry count:<*> at host:<*>");
  const step = (line: number, ms: number, trace: string) =>
    `16:42:22.382 INFO  t.s.TravelServiceImpl#${line} TraceID: ${trace} SpanID: 439bc949a9eeb0cc [getTickets][Calculate distance][calculate time: ${ms}]`;
  const { ids, miner } = mine([
    step(366, 0, "ffc8ca7e4c8f06c75142c880d5595d96"),
    step(372, 175, "ffc8ca7e4c8f06c75142c880d5595d96"),
    step(366, 3, "5d0bbaa5c74d96842aabc39c7b39d067"),
    "I0102 15:04:05.123456 1 controller.go:123] sync of pod-a failed",
    "I0102 15:04:05.123456 1 controller.go:140] sync of pod-b failed",
  ]);
  assert.equal(ids[0], ids[2]);
  assert.notEqual(ids[0], ids[1]);
  assert.notEqual(ids[3], ids[4]);
  assert.match(templateOf(miner, ids[3]), /controller\.go:123\] sync of pod-a failed$/);
});

test("lines from one source location share a template whatever the length of their payload", () => {
  const query = (ids: string[]) =>
    `19:18:37.407 INFO  p.c.PriceController#46 TraceID: 8eef384b2b7df2b34071ac2ab271910e SpanID: b75c128b49aec6ca [findByRouteIdsAndTrainTypes][Query price][RouteIds: [${ids.join(", ")}]]`;
  const { ids, miner } = mine([
    query(["92708982-77af-4318-be25-57ccb0ff69ad"]),
    query(["aefcef3f-3f42-46e8-afd7-6cb2a928bd3d", "a3f256c1-0e43-4f7d-9c21-121bf258101f"]),
    query([
      "084837bb-53c8-4438-87c8-0321a4d09917",
      "f3d4d4ef-693b-4456-8eed-59c0d717dd08",
      "92708982-77af-4318-be25-57ccb0ff69ad",
    ]),
  ]);
  assert.equal(new Set(ids).size, 1);
  assert.match(
    templateOf(miner, ids[0]),
    /^<\*> INFO p\.c\.PriceController#46 TraceID: <\*> SpanID: <\*> \[findByRouteIdsAndTrainTypes\]/,
  );
});

test("statements of one logger with the same length stay apart", () => {
  const prefix =
    "16:42:22.382 INFO  o.c.OrderController TraceID: b017403c40b9f88a3d77f6dd7dc26ea9 SpanID: f7f17f61e1f77a63";
  const { distinct } = mine([
    `${prefix} [getSoldTickets][Get Sold Ticket][Travel Date: 2023-01-29]`,
    `${prefix} [modifyOrder][Modify Order Status][Order Id: a066f652-5e38-403c-b5f4-1306c010b0ba]`,
    `${prefix} [getSoldTickets][Get Sold Ticket][Travel Date: 2023-01-30]`,
  ]);
  assert.equal(distinct, 2);
});

test("MySQL, RabbitMQ and Go errors each form their own template across occurrences", () => {
  const { miner, ids } = mine([
    "ERROR 1040 (HY000): Too many connections",
    "2023-01-29 08:42:22.383 [warning] <0.254.0> memory resource limit alarm set on node rabbit@rabbitmq-0",
    "pq: dial tcp 10.0.3.17:5432: i/o timeout",
    "Too many connections",
    "ERROR 1040 (HY000): Too many connections",
    "2023-01-29 08:45:10.001 [warning] <0.311.0> memory resource limit alarm set on node rabbit@rabbitmq-2",
    "pq: dial tcp 10.0.9.4:5432: i/o timeout",
  ]);
  assert.equal(ids[4], ids[0]);
  assert.equal(ids[5], ids[1]);
  assert.equal(ids[6], ids[2]);
  assert.equal(new Set(ids).size, 4);
  assert.equal(templateOf(miner, ids[0]), "ERROR <*> (HY000): Too many connections");
  assert.equal(templateOf(miner, ids[2]), "pq: dial tcp <*>: i/o timeout");
  assert.equal(
    templateOf(miner, ids[1]),
    "<*> [warning] <<*>> memory resource limit alarm set on node rabbit@rabbitmq-<*>",
  );
});

/** A deterministic random generator, so the bound test is reproducible. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
}

test("the number of templates never exceeds maxTemplates", () => {
  const random = lcg(42);
  const word = () =>
    Array.from({ length: 3 + Math.floor(random() * 6) }, () =>
      String.fromCharCode(97 + Math.floor(random() * 26)),
    ).join("");
  const maxTemplates = 300;
  const miner = new TemplateMiner({ maxTemplates });
  let lines = 0;
  for (let i = 0; i < 20000; i++) {
    const length = 1 + Math.floor(random() * 12);
    miner.add(Array.from({ length }, word).join(" "));
    lines++;
  }
  const templates = miner.templates();
  assert.ok(templates.length <= maxTemplates, `${templates.length} templates`);
  assert.ok(templates.length > maxTemplates / 2, "distinct structures fill the budget");
  assert.equal(
    templates.reduce((sum, t) => sum + t.count, 0),
    lines,
  );
});

test("overflow templates keep counting lines once the bound is reached", () => {
  const miner = new TemplateMiner({ maxTemplates: 4 });
  const results = ["alpha beta", "gamma delta", "epsilon zeta", "eta theta", "iota kappa"].map((l) => miner.add(l));
  assert.ok(miner.templates().length <= 4);
  const [, , firstOverflow, , last] = results;
  assert.equal(firstOverflow.isNew, true);
  assert.equal(last.isNew, false);
  assert.equal(last.id, firstOverflow.id);
  assert.equal(miner.templates().find((t) => t.id === last.id)?.count, 3);
});

test("very long lines are compared on their first tokens only", () => {
  const record = (n: number) => `Ticket(seatNo=${n}, startStation=shanghai, destStation=nanjing)`;
  const dump = (count: number) => `sold tickets: [${Array.from({ length: count }, (_, i) => record(i)).join(", ")}]`;
  const { distinct, miner, ids } = mine([dump(30), dump(40), dump(55)]);
  assert.equal(distinct, 1);
  assert.ok(templateOf(miner, ids[0]).endsWith(WILDCARD));
});

test("invalid options are refused", () => {
  assert.throws(() => new TemplateMiner({ depth: 2 }), RangeError);
  assert.throws(() => new TemplateMiner({ maxTemplates: 1 }), RangeError);
  assert.throws(() => new TemplateMiner({ similarityThreshold: 1.5 }), RangeError);
});

/** Characters that start, end or join the masked patterns, so that random lines hit their edges. */
const MASK_ALPHABET = [..."aAfFzZ_$09 5.:-/[]@#=,;()\"'xX%µ+~T\t"];

test("the one-pass masking gives what one replace of every pattern gives, on random and on shaped lines", () => {
  const line = fc.array(fc.constantFrom(...MASK_ALPHABET), { maxLength: 60 }).map((cs) => cs.join(""));
  const shaped = fc
    .array(
      fc.constantFrom(
        "2024-01-16 02:48:00.123Z",
        "10.0.3.17:5432",
        "[2001:db8::1]:80",
        "fe80::1",
        "id=42",
        "a.b.C#457",
        "x@example.com",
        "/var/lib/part-01",
        "0xff",
        "12ms",
        "4d2a46c7-71cb-4cf1-b5bb-b68406d9da6f",
        "deadbeef01",
        '"quoted 1"',
        "word",
        " ",
        ":",
        ".",
        "-",
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join(""));
  for (const quoted of [false, true]) {
    fc.assert(
      fc.property(fc.oneof(line, shaped), (text) => {
        assert.equal(maskVariables(text, quoted), maskVariablesByReplace(text, quoted));
      }),
      { numRuns: 3000, seed: 15 },
    );
  }
});

test("the one-pass masking gives the same templates as the replace on every log line of the fixtures and examples", async () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const files = [...walk(join(root, "test/fixtures")), ...walk(join(root, "examples"))];
  let lines = 0;
  for (const file of files) {
    const bytes = readFileSync(file);
    const head = (file.endsWith(".gz") ? gunzipSync(bytes) : bytes).subarray(0, 64 * 1024).toString("utf8");
    const reader = chooseReader(head);
    if (!reader || !/log/.test(reader.format)) continue;
    const sink = new RecordingSink();
    await reader.read(inputFromFile(file), sink).catch(() => undefined);
    for (const { message } of sink.logs) {
      lines++;
      assert.equal(maskVariables(message), maskVariablesByReplace(message), `${file}: ${message}`);
    }
  }
  assert.ok(lines > 1000, `log lines checked: ${lines}`);
});

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}
