/** Bounded cardinality: beyond --max-entities, names of a kind are folded into one entity, and the Diagnosis says so. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { analyze } from "../src/analyze.js";
import { CaseBuilder } from "../src/case/builder.js";
import { DistinctCount } from "../src/case/distinctCount.js";
import { makeEntity } from "../src/case/entity.js";
import { EntityCap, FOLD_SERIES_PER_METRIC, FOLDED_NAME, isFoldedEntity } from "../src/case/entityCap.js";
import type { Case } from "../src/case/model.js";
import { renderMarkdown } from "../src/diagnosis/renderMarkdown.js";
import { renderText } from "../src/diagnosis/renderText.js";
import { foldedLines } from "../src/diagnosis/sources.js";
import type { Diagnosis } from "../src/diagnosis/types.js";
import { validateDiagnosis } from "../src/diagnosis/validate.js";
import { parseLogLine } from "../src/read/jsonLines.js";
import { forEachParsedLine } from "../src/read/parallelLines.js";
import { DEFAULT_READ_LIMITS, type ReaderInput } from "../src/read/types.js";
import { minute } from "./helpers/caseBuilder.js";
import { assertUsageError, beneath } from "./helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "beneath-entity-cap-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A log line of `service`'s pod at minute `m`. */
function line(service: string, m: number, message: string, level = "info"): string {
  const time = new Date(minute(m) * 1000).toISOString();
  return `${JSON.stringify({ time, level, service, pod: `${service}-0`, msg: message })}\n`;
}

/**
 * An hour of logs: two real services log throughout, and from minute 40 cart fails; lines from `ids`
 * services named by a request id (a label that is really an ID) report errors too, one line each,
 * spread over minutes 40 to 50.
 */
function logsWithIds(ids: number): string {
  let text = "";
  for (let m = 0; m < 60; m += 0.25) {
    text += line("web", m, `GET /home 200 in ${Math.round(m * 7) % 50} ms`);
    text +=
      m < 40 ? line("cart", m, `cart ${Math.round(m * 13)} updated`) : line("cart", m, "payment declined", "error");
  }
  for (let i = 0; i < ids; i++)
    text += line(`req-${i}`, 40 + (10 * i) / ids, "upstream timeout after 3000 ms", "error");
  return text;
}

function logsFrom(builder: CaseBuilder, text: string): Case {
  const sink = builder.sinkFor("app.jsonl");
  for (const l of text.split("\n")) {
    const record = parseLogLine(l, {});
    if (record && typeof record !== "string") sink.addLog(record);
  }
  return builder.build();
}

test("beyond the cap, new names of a kind are folded into one entity; names kept before go on as they were", () => {
  const c = logsFrom(new CaseBuilder({ maxEntities: 3 }), logsWithIds(6) + line("web", 59.9, "late line from web"));
  const services = [...c.entities.values()].filter((e) => e.kind === "service").map((e) => e.id);
  assert.deepEqual(services.sort(), ["service:(folded)", "service:cart", "service:req-0", "service:web"]);
  assert.deepEqual(c.folded, [
    { kind: "pod", into: "pod:(folded)", names: 5, estimated: false, cap: 3 },
    { kind: "service", into: "service:(folded)", names: 5, estimated: false, cap: 3 },
  ]);
  const linesOf = (entity: string) =>
    c.logs.templates.filter((t) => t.entity === entity).reduce((sum, t) => sum + t.total, 0);
  assert.equal(linesOf("service:(folded)"), 5, "the folded names' lines still count, on the fold");
  assert.equal(linesOf("service:web"), 241, "a kept service's lines after the cap was reached are its own");
  assert.ok(
    c.relations.some((r) => r.from === "service:(folded)" && r.to === "pod:(folded)" && r.type === "owns"),
    "the folds are related like the entities they stand for",
  );
});

test("below the cap the Case is the one an uncapped builder makes", () => {
  const text = logsWithIds(6);
  const capped = logsFrom(new CaseBuilder({ maxEntities: 8 }), text);
  const uncapped = logsFrom(new CaseBuilder(), text);
  assert.equal(capped.folded, undefined);
  assert.deepEqual([...capped.entities.keys()], [...uncapped.entities.keys()]);
  assert.deepEqual(capped.relations, uncapped.relations);
  assert.deepEqual(
    capped.logs.templates.map((t) => [t.entity, t.template, t.total]),
    uncapped.logs.templates.map((t) => [t.entity, t.template, t.total]),
  );
});

test("a fold keeps its first series of each metric; the rest are left out and counted once each", () => {
  const extra = 10;
  const builder = new CaseBuilder({ maxEntities: 2 });
  const t = [minute(0), minute(1)];
  const names = FOLD_SERIES_PER_METRIC + extra + 2;
  // Two files with the same series: a series left out in both is one series left out.
  for (const file of ["a.json", "b.json"]) {
    const sink = builder.sinkFor(file);
    for (let i = 0; i < names; i++) {
      sink.addSamples({ service: `job-${i}`, instance: `10.0.0.${i}` }, "in_flight", t, [1, 2]);
      if (i < 5) sink.addSamples({ service: `job-${i}`, instance: `10.0.0.${i}` }, "up", t, [1, 1]);
    }
  }
  const c = builder.build();
  const count = (entity: string, metric: string) =>
    c.series.filter((s) => s.entity === entity && s.metric === metric).length;
  assert.equal(count("service:(folded)", "in_flight"), FOLD_SERIES_PER_METRIC);
  assert.equal(count("service:(folded)", "up"), 3, "other metrics of the fold have their own allowance");
  assert.equal(count("service:job-0", "in_flight") + count("service:job-1", "in_flight"), 2, "kept names keep theirs");
  assert.deepEqual(c.folded, [
    { kind: "service", into: "service:(folded)", names: names - 2, estimated: false, cap: 2, series_left_out: extra },
  ]);
  assert.match(
    foldedLines({ sources: [], skipped: [], window: { start: "", end: "" }, folded: c.folded }).join("\n"),
    /^10 series of service:\(folded\) beyond 1,000 of one metric were left out$/m,
  );
});

test("a label that reads exactly like the fold is folded, never a real entity under the fold's name", () => {
  const cap = new EntityCap(10);
  const known = new Map();
  const entity = cap.admit(makeEntity("service", FOLDED_NAME), known);
  assert.equal(entity.id, "service:(folded)");
  assert.deepEqual(cap.summary(), [{ kind: "service", into: "service:(folded)", names: 1, estimated: false, cap: 10 }]);
  assert.ok(isFoldedEntity("service:(folded)") && !isFoldedEntity("pod:shop/(folded)"));
  assert.throws(() => new EntityCap(0), RangeError);
});

test("folded names are counted exactly when few and estimated within 2% when many, in fixed memory", () => {
  const few = new DistinctCount();
  for (let i = 0; i < 1000; i++) few.add(`job-${i % 700}`);
  assert.equal(few.count, 700);
  assert.ok(few.isExact);
  for (const n of [5_000, 200_000]) {
    const many = new DistinctCount();
    for (let round = 0; round < 2; round++) for (let i = 0; i < n; i++) many.add(`job-${i}`);
    assert.ok(!many.isExact);
    assert.ok(Math.abs(many.count - n) / n < 0.02, `${many.count} estimated for ${n}`);
  }
});

test("the cap holds when a large file's lines are parsed on worker threads", async () => {
  const path = join(dir, "ids.jsonl");
  const text = logsWithIds(40);
  writeFileSync(path, text);
  const input: ReaderInput = {
    file: path,
    head: text.slice(0, 1000),
    lines: async function* () {
      yield* text.split("\n");
    },
    bytes: async function* () {},
    plainFile: { path, size: Buffer.byteLength(text), limits: DEFAULT_READ_LIMITS },
  };
  const builder = new CaseBuilder({ maxEntities: 4 });
  const sink = builder.sinkFor(path);
  const spec = { parser: "json-lines" as const, fallbackLabels: {} };
  await forEachParsedLine(
    input,
    spec,
    parseLogLine,
    (record) => {
      if (typeof record !== "string") sink.addLog(record);
    },
    { workers: 2, minBytes: 0, chunkBytes: 4096 },
  );
  const c = builder.build();
  assert.equal([...c.entities.values()].filter((e) => e.kind === "service").length, 5, "four kept and the fold");
  assert.deepEqual(
    c.folded?.map((f) => [f.kind, f.names]),
    [
      ["pod", 38],
      ["service", 38],
    ],
  );
});

/** The Diagnosis without what differs between two runs of the same input. */
function comparable(d: Diagnosis): unknown {
  return { ...d, generated_at: "", timing: {} };
}

test("the Diagnosis says what was folded, in JSON and text, and never names a fold as the cause", async () => {
  const path = join(dir, "incident.jsonl");
  // Enough id-named services that their fold's errors weigh as much as cart's: uncapped rules would tie them.
  writeFileSync(path, logsWithIds(300));
  const at = minute(40);
  const d = await analyze([path], { at, maxEntities: 5 });
  assert.deepEqual(validateDiagnosis(d), []);
  assert.deepEqual(d.input.folded, [
    { kind: "pod", into: "pod:(folded)", names: 297, estimated: false, cap: 5 },
    { kind: "service", into: "service:(folded)", names: 297, estimated: false, cap: 5 },
  ]);
  const named = [...d.causes.map((c) => c.entity), ...d.ruled_out.map((r) => r.entity)];
  assert.ok(!named.some(isFoldedEntity), `no fold among ${named.join(", ")}`);
  assert.equal(d.causes[0]?.entity, "service:cart");
  assert.ok(d.confident, d.summary);
  const text = renderText(d, { color: false });
  assert.match(text, /297 service names were beyond the cap of 5 \(--max-entities\): folded into service:\(folded\)/);
  assert.match(renderMarkdown(d), /\*\*Folded\*\*: 297 pod names were beyond the cap of 5/);

  const below = await analyze([path], { at, maxEntities: 302 });
  assert.equal(below.input.folded, undefined);
  assert.deepEqual(
    comparable(below),
    comparable(await analyze([path], { at })),
    "below the cap, the default's Diagnosis",
  );
});

test("--max-entities takes a positive whole number", () => {
  assertUsageError(beneath("analyze", join(dir, "incident.jsonl"), "--max-entities", "0"), "--max-entities");
  assertUsageError(beneath("analyze", join(dir, "incident.jsonl"), "--max-entities", "many"), "--max-entities");
});
