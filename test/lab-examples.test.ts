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

/** What a recording of each family of scenarios must hold: its server's series, and the words a client logs exactly when there is a fault. */
interface Holds {
  metrics: string[];
  /** Spans the baseline before the fault and the alert. */
  spanning: string;
  /** Logged exactly when there is a fault (none for a fault that silences its clients). */
  faultWords?: string;
}

const HOLDS: { scenarios: RegExp; holds: Holds }[] = [
  {
    scenarios: /^connection-collapse/,
    holds: {
      metrics: [
        "mysql_global_status_threads_connected",
        "mysql_global_variables_max_connections",
        "mysql_info_schema_processlist_processes_by_user",
        "hikaricp_connections_active",
        "http_server_requests_seconds_count",
      ],
      spanning: "mysql_global_status_threads_connected",
      // The driver's refusal.
      faultWords: "Too many connections",
    },
  },
  {
    scenarios: /^queue-publisher-storm/,
    holds: {
      metrics: [
        "rabbitmq_process_resident_memory_bytes",
        "rabbitmq_resident_memory_limit_bytes",
        "rabbitmq_alarms_memory_used_watermark",
        "rabbitmq_connections",
        "rabbitmq_published_total",
        "http_server_requests_seconds_count",
      ],
      spanning: "rabbitmq_process_resident_memory_bytes",
      // The broker's memory alarm, as its clients hear it.
      faultWords: "low on memory",
    },
  },
  {
    scenarios: /^log-flood/,
    holds: {
      metrics: ["logback_events_total", "node_disk_written_bytes_total", "http_server_requests_seconds_count"],
      spanning: "logback_events_total",
      // ratings' DEBUG trace: only the flood turns ratings to DEBUG (the look-alike turns shipping).
      faultWords: "Received GET /ratings",
    },
  },
  {
    // A hung worker logs nothing, and a planned drain moves the workers with no error.
    scenarios: /^pooler-node/,
    holds: {
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
  },
  {
    scenarios: /^network-allowance/,
    holds: {
      metrics: [
        "node_qdisc_drops_total",
        "node_qdisc_overlimits_total",
        "node_netstat_Tcp_RetransSegs",
        "ruby_sidekiq_jobs_total",
        "pgbouncer_stats_sent_bytes_total",
      ],
      spanning: "node_netstat_Tcp_RetransSegs",
      // node-postgres' own words when a statement passes its client-side timeout.
      faultWords: "Query read timeout",
    },
  },
];

describe("recorded lab examples", () => {
  test("there are lab recordings to check", () => {
    assert.ok(labExamples.length >= 2, `found ${labExamples.join(", ")}`);
  });

  for (const name of labExamples) {
    test(`${name}: truth.json is complete, the case reads with nothing skipped, and it holds its servers', clients' and request series`, async () => {
      const dir = join(EXAMPLES, name);
      assert.ok(bytesUnder(dir) < MAX_EXAMPLE_BYTES, `${name} is ${bytesUnder(dir)} bytes`);
      const truth = JSON.parse(readFileSync(join(dir, "truth.json"), "utf8")) as TruthFile;
      const faultStart = Date.parse(truth.fault_start);
      const alert = Date.parse(truth.alert_time);
      assert.ok(faultStart < alert, "the fault comes before the alert");
      assert.ok(truth.notes.length > 0);
      if (truth.root_cause) assert.match(truth.root_cause.entity, /^[a-z]+:.+/);
      const holds = HOLDS.find((h) => h.scenarios.test(truth.scenario))?.holds;
      assert.ok(holds, `no expectations for scenario ${truth.scenario}`);

      const c = await readCase([join(dir, "case")]);
      assert.deepEqual(c.skipped, []);
      const metrics = new Set(c.series.map((s) => s.metric));
      for (const metric of holds.metrics) assert.ok(metrics.has(metric), `${name} has ${metric}`);
      const spanning = c.series.find((s) => s.metric === holds.spanning);
      assert.ok(spanning && (spanning.t[0] as number) * 1000 < faultStart - 60_000);
      assert.ok(spanning && (spanning.t[spanning.t.length - 1] as number) * 1000 > alert);
      assert.ok(c.logs.templates.length > 0, "logs were read");
      const words = holds.faultWords;
      if (words) {
        const faulted = c.logs.templates.some((t) => t.template.includes(words));
        assert.equal(faulted, truth.root_cause !== null, `"${words}" is logged exactly when there is a fault`);
      }
      // The flood scenarios: each pod counts its lines by level, and DEBUG lines were written and kept.
      if (truth.scenario.startsWith("log-flood"))
        assert.ok(
          c.logs.templates.some((t) => t.level === "debug"),
          "DEBUG lines were kept",
        );
    });
  }
});
