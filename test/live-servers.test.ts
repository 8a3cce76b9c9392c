/**
 * The live source against a real Prometheus and a real VictoriaMetrics holding a simulated incident
 * (shifted to the last hour): the live diagnosis matches the one from the same samples as files, an
 * export analysed offline gives the live diagnosis again, and the limits and refusals are one clear error.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { analyze } from "../src/analyze.js";
import type { Diagnosis } from "../src/diagnosis/types.js";
import type { ExportIndex } from "../src/read/exportIndex.js";
import { simulate } from "../src/sim/simulate.js";
import { assertUsageError, beneathAsync } from "./helpers/cli.js";
import {
  hasBinary,
  queryRangeText,
  type RunningServer,
  type SeriesData,
  startPrometheus,
  startVictoriaMetrics,
} from "./helpers/tsdb.js";

const SCENARIO = "rs-cpu-catalogue";
/** The alert is placed this long before now, so the whole incident window lies in the past. */
const ALERT_AGO_SECONDS = 20 * 60;

interface Incident {
  series: SeriesData[];
  at: number;
  truth: { entity?: string; kind?: string };
  /** The same samples as query_range files, one per scrape job. */
  filesDir: string;
}

/** Labels as a server stores them: one that is unset is absent. */
function definedLabels(labels: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ""),
  );
}

/** Per-scrape increases of a latency histogram's cumulative buckets: its p50 is 0.1 s and its p99 0.5 s. */
const BUCKET_INCREASES: [string, number][] = [
  ["0.1", 50],
  ["0.25", 90],
  ["0.5", 99],
  ["1", 100],
  ["+Inf", 100],
];
const HISTOGRAM_JOB = "histogram-test";

/** A steady classic histogram for two pods, sampled at the times `t`. */
function steadyHistogram(t: number[]): SeriesData[] {
  return ["hist-0", "hist-1"].flatMap((pod) =>
    BUCKET_INCREASES.map(([le, increase]) => ({
      labels: { __name__: "test_request_duration_seconds_bucket", job: HISTOGRAM_JOB, pod, le },
      t,
      v: t.map((_, i) => String(i * increase)),
    })),
  );
}

/** The scenario's metrics, shifted so its alert falls ALERT_AGO_SECONDS ago on a whole minute. */
function recentIncident(scratch: string): Incident {
  const sim = simulate(SCENARIO);
  const alert = sim.scenario.start + sim.scenario.alert;
  const at = Math.floor(Date.now() / 60_000) * 60 - ALERT_AGO_SECONDS;
  const shift = at - alert;
  const series = sim.world.metrics.all().map((s) => ({
    labels: definedLabels({ __name__: s.metric, job: s.job, ...s.labels }),
    t: s.t.map((t) => t + shift),
    v: s.v.map(String),
  }));
  series.push(...steadyHistogram(series[0].t));
  const filesDir = join(scratch, "files");
  mkdirSync(filesDir);
  const jobs = new Map<string, SeriesData[]>();
  for (const s of series) jobs.set(s.labels.job, [...(jobs.get(s.labels.job) ?? []), s]);
  for (const [job, list] of jobs) writeFileSync(join(filesDir, `${job}.json`), queryRangeText(list));
  return { series, at, truth: sim.scenario.truth, filesDir };
}

/** Two attempts of 0.5 s and their backoff end well within this; a hang would not. */
const PAUSED_BOUND_MS = 15_000;

function top(d: Diagnosis) {
  return d.causes.map((c) => ({ entity: c.entity, kind: c.kind, confidence: c.confidence }));
}

/** What must not differ between a live run and its export read back. */
function verdict(d: Diagnosis) {
  return {
    summary: d.summary,
    causes: top(d),
    ruled_out: d.ruled_out,
    missing_data: d.missing_data,
    window: d.input.window,
    skipped: d.input.skipped.map(({ where, reason }) => `${where}: ${reason}`).sort(),
  };
}

const SERVERS = [
  { name: "Prometheus", binary: "prometheus", start: startPrometheus },
  { name: "VictoriaMetrics", binary: "victoria-metrics", start: startVictoriaMetrics },
] as const;

let scratch = "";
let incident: Incident | undefined;
let fromFiles: Diagnosis | undefined;

before(async () => {
  if (!SERVERS.some((s) => hasBinary(s.binary))) return;
  scratch = mkdtempSync(join(tmpdir(), "beneath-live-"));
  incident = recentIncident(scratch);
  fromFiles = await analyze([incident.filesDir], { at: incident.at });
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

for (const { name, binary, start } of SERVERS) {
  const missing = hasBinary(binary) ? false : `${binary} is not installed (apt-get install ${binary}; .ci/run does)`;
  describe(`live source against a real ${name}`, { skip: missing }, () => {
    let server: RunningServer;
    const at = () => new Date((incident?.at ?? 0) * 1000).toISOString();

    before(async () => {
      server = await start(incident?.series ?? []);
    });
    after(async () => {
      await server?.stop();
      assert.throws(() => process.kill(server.pid, 0), "the server process is gone");
      assert.equal(existsSync(server.scratch), false, "its scratch folder is gone");
      // The same address with the real server stopped: unreachable, one error naming it.
      const gone = await beneathAsync("analyze", "--prometheus", server.url, "--at", at(), "--retries", "0");
      assertUsageError(gone, "no answer from");
      assert.match(gone.stderr, /ECONNREFUSED/);
    });

    /** `analyze --prometheus` at the incident, as JSON. */
    async function liveDiagnosis(...flags: string[]): Promise<Diagnosis> {
      const live = await beneathAsync(
        "analyze",
        "--prometheus",
        server.url,
        "--at",
        at(),
        "--format",
        "json",
        ...flags,
      );
      assert.equal(live.status, 0, live.stderr);
      return JSON.parse(live.stdout) as Diagnosis;
    }

    /** `export` at the incident into a new folder: the folder and its index. */
    async function exported(folder: string, ...flags: string[]) {
      const out = join(scratch, `${folder}-${binary}`);
      const result = await beneathAsync("export", "--prometheus", server.url, "--at", at(), "--out", out, ...flags);
      assert.equal(result.status, 0, result.stderr);
      return { out, index: JSON.parse(readFileSync(join(out, "index.json"), "utf8")) as ExportIndex };
    }

    /** `analyze` of an exported folder, offline, with no --at: the export's index.json supplies it. */
    async function offlineDiagnosis(out: string): Promise<Diagnosis> {
      const offline = await beneathAsync("analyze", out, "--format", "json");
      assert.equal(offline.status, 0, offline.stderr);
      return JSON.parse(offline.stdout) as Diagnosis;
    }

    test("diagnoses the incident as the same samples read from files do, and its export gives the same diagnosis", async () => {
      assert.ok(incident && fromFiles);
      assert.equal(fromFiles.causes[0]?.entity, incident.truth.entity, "the files alone name the true cause");
      const diagnosis = await liveDiagnosis();
      assert.deepEqual(top(diagnosis).slice(0, 3), top(fromFiles).slice(0, 3));
      assert.deepEqual(diagnosis.input.skipped, []);

      const { out, index } = await exported("export");
      assert.equal(index.series_pulled, index.series_discovered);
      assert.equal(index.step_seconds, 15, "the stored scrape interval");
      assert.ok(index.metrics.length > 10);
      assert.deepEqual(verdict(await offlineDiagnosis(out)), verdict(diagnosis));
    });

    test("a series limit that is hit leaves whole metrics out and says so, live and in the export", async () => {
      const limit = 150;
      // Files given beside the server travel with the export.
      const kube = fileURLToPath(new URL("../../test/fixtures/kube/pods.json", import.meta.url));
      const logs = fileURLToPath(new URL("../../test/fixtures/logs/checkout.jsonl", import.meta.url));
      const files = ["--kube", kube, "--logs", logs];
      const diagnosis = await liveDiagnosis("--max-series", String(limit), "--list-inputs", ...files);
      assert.ok(diagnosis.input.sources.some((s) => s.file === logs));
      const note = diagnosis.input.skipped.find((s) => s.where === "series limit");
      assert.ok(note, "the limit is listed in input.skipped");
      assert.match(note.reason, new RegExp(`left out to stay within --max-series ${limit}`));

      const { out, index } = await exported("export-limited", "--max-series", String(limit), ...files);
      assert.deepEqual(index.added_files, ["logs/checkout.jsonl", "kube/pods.json"]);
      assert.ok(index.series_pulled <= limit && index.series_pulled > 0, `pulled ${index.series_pulled}`);
      assert.ok(index.left_out.length > 0);
      assert.equal(index.series_pulled + index.left_out.reduce((sum, m) => sum + m.series, 0), index.series_discovered);
      assert.deepEqual(verdict(await offlineDiagnosis(out)), verdict(diagnosis));
    });

    test("overlapping --match selectors pull each matching series once, under its own name", async () => {
      const name = "container_cpu_usage_seconds_total";
      const { out, index } = await exported("export-matched", "--match", '{job="kubelet"}', "--match", name);
      const expected = (incident?.series ?? []).filter((s) => s.labels.job === "kubelet" || s.labels.__name__ === name);
      assert.equal(index.series_discovered, expected.length);
      assert.equal(index.series_pulled, expected.length);
      const file = index.metrics.find((m) => m.name === name)?.file ?? "";
      const answer = JSON.parse(readFileSync(join(out, file), "utf8"));
      const labelSets = (answer.data.result as { metric: Record<string, string> }[]).map((r) =>
        JSON.stringify(r.metric),
      );
      assert.equal(new Set(labelSets).size, labelSets.length, "no series twice");
      assert.ok(labelSets.every((l) => l.includes(`"__name__":"${name}"`)));
    });

    test("the real server paused is abandoned at --timeout with one error, and answers again once resumed", async () => {
      // SIGSTOP keeps the server's socket open but answers nothing: a server too slow to answer, not a refusal.
      process.kill(server.pid, "SIGSTOP");
      try {
        const began = Date.now();
        const slow = await beneathAsync(
          "analyze",
          "--prometheus",
          server.url,
          "--at",
          at(),
          "--timeout",
          "500ms",
          "--retries",
          "1",
        );
        assertUsageError(slow, "no complete answer within 0.5 s (2 attempts)");
        assert.ok(Date.now() - began < PAUSED_BOUND_MS, "gave up at the deadline, not when the server came back");
      } finally {
        process.kill(server.pid, "SIGCONT");
      }
      assert.equal((await liveDiagnosis()).causes[0]?.entity, incident?.truth.entity);
    });

    test("--histogram-quantiles pulls a histogram as its p50 and p99, computed by the server", async () => {
      const { out, index } = await exported(
        "export-quantiles",
        "--histogram-quantiles",
        "--match",
        `{job="${HISTOGRAM_JOB}"}`,
      );
      assert.equal(index.series_discovered, 2 * BUCKET_INCREASES.length);
      const expected = { p50: 0.1, p99: 0.5 };
      assert.deepEqual(
        index.metrics.map((m) => [m.name, m.series]),
        Object.keys(expected).map((q) => [`test_request_duration_seconds_${q}`, 2]),
      );
      for (const [q, value] of Object.entries(expected)) {
        const file = join(out, `test_request_duration_seconds_${q}.json`);
        const answer = JSON.parse(readFileSync(file, "utf8"));
        for (const series of answer.data.result as { metric: Record<string, string>; values: [number, string][] }[]) {
          assert.equal(series.metric.__name__, `test_request_duration_seconds_${q}`);
          assert.ok(series.values.length > 100);
          for (const [, v] of series.values) assert.ok(Math.abs(Number(v) - value) < 1e-9, `${q} ${v}`);
        }
      }
    });

    test("a window the server holds nothing in is one clear error", async () => {
      const yearAgo = new Date(((incident?.at ?? 0) - 365 * 86400) * 1000).toISOString();
      const result = await beneathAsync("analyze", "--prometheus", server.url, "--at", yearAgo);
      assertUsageError(result, "holds no series between");
    });

    test("a selector the server refuses is one error quoting the server's reason", async () => {
      const result = await beneathAsync("analyze", "--prometheus", server.url, "--at", at(), "--match", "{job=}");
      assertUsageError(result, "refused the request, HTTP 4");
    });
  });
}
