/**
 * The recorded lab runs under examples/lab-*: each reads with nothing skipped, holds the series and
 * log lines its scenario is about, and carries a well-formed truth.json. (Whether the diagnosis is
 * right is the lab's `--check`, not this test.)
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { readCase } from "../src/read/index.js";

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));
/** The limit on one recording (compressed), so the repository stays small. */
const MAX_EXAMPLE_BYTES = 5 * 1024 * 1024;

const labExamples = readdirSync(EXAMPLES).filter((name) => name.startsWith("lab-"));

function bytesUnder(dir: string): number {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((rel) => statSync(join(dir, rel)))
    .filter((s) => s.isFile())
    .reduce((sum, s) => sum + s.size, 0);
}

interface TruthFile {
  scenario: string;
  root_cause: { entity: string; kind: string } | null;
  fault_start: string;
  alert_time: string;
  notes: string;
}

describe("recorded lab examples", () => {
  test("there are lab recordings to check", () => {
    assert.ok(labExamples.length >= 2, `found ${labExamples.join(", ")}`);
  });

  for (const name of labExamples) {
    test(`${name}: truth.json is complete, the case reads with nothing skipped, and it holds the series and log lines of its scenario`, async () => {
      const dir = join(EXAMPLES, name);
      assert.ok(bytesUnder(dir) < MAX_EXAMPLE_BYTES, `${name} is ${bytesUnder(dir)} bytes`);
      const truth = JSON.parse(readFileSync(join(dir, "truth.json"), "utf8")) as TruthFile;
      const faultStart = Date.parse(truth.fault_start);
      const alert = Date.parse(truth.alert_time);
      assert.ok(faultStart < alert, "the fault comes before the alert");
      assert.ok(truth.notes.length > 0);
      if (truth.root_cause) assert.match(truth.root_cause.entity, /^[a-z]+:.+/);

      const c = await readCase([join(dir, "case")]);
      assert.deepEqual(c.skipped, []);
      const metrics = new Set(c.series.map((s) => s.metric));
      for (const metric of [
        "mysql_global_status_threads_connected",
        "mysql_global_variables_max_connections",
        "mysql_info_schema_processlist_processes_by_user",
        "hikaricp_connections_active",
        "http_server_requests_seconds_count",
      ])
        assert.ok(metrics.has(metric), `${name} has ${metric}`);
      // Samples span the baseline before the fault and the alert.
      const threads = c.series.find((s) => s.metric === "mysql_global_status_threads_connected");
      assert.ok(threads && (threads.t[0] as number) * 1000 < faultStart - 60_000);
      assert.ok(threads && (threads.t[threads.t.length - 1] as number) * 1000 > alert);
      assert.ok(c.logs.templates.length > 0, "logs were read");
      const refused = c.logs.templates.some((t) => t.template.includes("Too many connections"));
      const hoarding = truth.root_cause?.kind === "db.connection-hoarding";
      assert.equal(refused, hoarding, "the driver's refusal is logged exactly when a pool hoards the connections");
      // The flood scenarios: each pod counts its lines by level, and DEBUG lines were written and kept.
      if (truth.scenario.startsWith("log-flood")) {
        assert.ok(metrics.has("logback_events_total"), `${name} has logback_events_total`);
        assert.ok(metrics.has("node_disk_written_bytes_total"), `${name} has the host's disk writes`);
        assert.ok(
          c.logs.templates.some((t) => t.level === "debug"),
          "DEBUG lines were kept",
        );
      }
    });
  }
});
