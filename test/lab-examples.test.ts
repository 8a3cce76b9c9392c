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

/**
 * What each scenario's recording must hold: the series its incident is about (one spanning the baseline
 * and the alert), and the log text that appears exactly when there is a fault.
 */
/** The shop on MariaDB's series (connection-collapse and log-flood run it). */
const MARIADB_SHOP = [
  "mysql_global_status_threads_connected",
  "mysql_global_variables_max_connections",
  "mysql_info_schema_processlist_processes_by_user",
  "hikaricp_connections_active",
  "http_server_requests_seconds_count",
];
/** MariaDB's refusal, logged exactly when a pool hoards the connections. */
const REFUSED = { text: "Too many connections", kind: "db.connection-hoarding" };
const EXPECTED: Record<
  string,
  { metrics: string[]; spanning: string; faultLog?: { text: string; kind: string }; debugKept?: boolean }
> = {
  "connection-collapse": {
    metrics: MARIADB_SHOP,
    spanning: "mysql_global_status_threads_connected",
    faultLog: REFUSED,
  },
  "log-flood": {
    metrics: [...MARIADB_SHOP, "logback_events_total", "node_disk_written_bytes_total"],
    spanning: "mysql_global_status_threads_connected",
    faultLog: REFUSED,
    debugKept: true,
  },
  // A hung worker logs nothing, and a planned drain moves the workers with no error.
  "pooler-node": {
    metrics: [
      "up",
      "pgbouncer_pools_client_active_connections",
      "pg_stat_activity_count",
      "ruby_sidekiq_queue_backlog",
      "ruby_sidekiq_process_busy",
      "ruby_sidekiq_jobs_total",
      "node_netstat_Tcp_RetransSegs",
    ],
    spanning: "ruby_sidekiq_queue_backlog",
  },
  "network-allowance": {
    metrics: [
      "node_qdisc_drops_total",
      "node_qdisc_overlimits_total",
      "node_netstat_Tcp_RetransSegs",
      "ruby_sidekiq_jobs_total",
      "pgbouncer_stats_sent_bytes_total",
    ],
    spanning: "node_netstat_Tcp_RetransSegs",
    // node-postgres' own words when a statement passes its client-side timeout.
    faultLog: { text: "Query read timeout", kind: "node.network-allowance" },
  },
};
const expectedOf = (scenario: string) => Object.entries(EXPECTED).find(([prefix]) => scenario.startsWith(prefix))?.[1];

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

      const expected = expectedOf(truth.scenario);
      assert.ok(expected, `${name}: scenario ${truth.scenario} has expectations here`);
      const c = await readCase([join(dir, "case")]);
      assert.deepEqual(c.skipped, []);
      const metrics = new Set(c.series.map((s) => s.metric));
      for (const metric of expected.metrics) assert.ok(metrics.has(metric), `${name} has ${metric}`);
      // Samples span the baseline before the fault and the alert.
      const spanning = c.series.find((s) => s.metric === expected.spanning);
      assert.ok(spanning && (spanning.t[0] as number) * 1000 < faultStart - 60_000);
      assert.ok(spanning && (spanning.t[spanning.t.length - 1] as number) * 1000 > alert);
      assert.ok(c.logs.templates.length > 0, "logs were read");
      if (expected.faultLog) {
        const logged = c.logs.templates.some((t) => t.template.includes(expected.faultLog?.text ?? ""));
        const fault = truth.root_cause?.kind === expected.faultLog.kind;
        assert.equal(
          logged,
          fault,
          `"${expected.faultLog.text}" is logged exactly when the fault is ${expected.faultLog.kind}`,
        );
      }
      // The flood scenarios: each pod counts its lines by level, and DEBUG lines were written and kept.
      if (expected.debugKept) {
        assert.ok(
          c.logs.templates.some((t) => t.level === "debug"),
          "DEBUG lines were kept",
        );
      }
    });
  }
});
