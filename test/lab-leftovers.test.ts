/**
 * No lab run leaves a process, network namespace, iptables rule or scratch directory behind: a short
 * complete run, and a scenario of each set of servers and kind of fault aborted right after its fault
 * (when the most is running). Skipped,
 * saying why, where a scenario's servers are not installed (scripts/lab-install.sh).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, type TestContext, test } from "node:test";
import type { Diagnosis } from "../src/diagnosis/types.js";
import { ProcessGroup } from "../src/lab/processes.js";
import { which } from "../src/lab/requirements.js";
import { binariesFor, type LabTimings, LIVE_DIAGNOSIS_FILE, runLab, SCRATCH_PREFIX } from "../src/lab/run.js";
import { LAB_SCENARIOS, type LabScenario, labScenario } from "../src/lab/scenarios.js";
import { hostState, leftovers } from "./helpers/leftovers.js";

/** A run's limit: servers start in seconds, a fault shows within a minute; this bounds a hung run. */
const RUN_TIMEOUT_MS = 240_000;
/** Short phases: these runs check the clean-up, not the diagnosis. */
const SHORT: LabTimings = { baselineSeconds: 5, maxFaultSeconds: 120, afterAlertSeconds: 3, scrapeSeconds: 1 };
const isRoot = process.getuid?.() === 0;

function missingFor(scenario: LabScenario): string | false {
  const missing = binariesFor(scenario).filter((b) => !which(b.command));
  return missing.length > 0 ? `needs ${missing.map((b) => b.pkg).join(", ")} (scripts/lab-install.sh)` : false;
}

/** Runs `command` and fails the test with its stderr when it does not succeed. */
function must(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: "utf8" });
  assert.equal(result.status, 0, `${command} ${args.join(" ")}: ${result.stderr}`);
}

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "beneath-lab-leftovers-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("the leftovers check", () => {
  test("reports a scratch directory, a process, and (as root) a network namespace and an iptables chain left behind", async () => {
    const scratchRoot = await mkdtemp(join(root, "check-"));
    const before = hostState(scratchRoot);
    const scratch = join(scratchRoot, `${SCRATCH_PREFIX}left`);
    await mkdir(scratch);
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)", scratch], { stdio: "ignore" });
    const name = `beneath-leftover-test-${process.pid}`;
    const asRoot = isRoot && which("ip") !== undefined && which("iptables") !== undefined;
    try {
      if (asRoot) {
        must("ip", ["netns", "add", name]);
        // An empty chain of its own: it shows in `iptables -S` and matches no packet.
        must("iptables", ["-N", name.toUpperCase()]);
      }
      // No other lab runs: what appeared is this test's own.
      const { found } = leftovers(
        before,
        hostState(scratchRoot),
        { startedPids: [child.pid ?? 0], scratchDirs: [scratch] },
        [],
      );
      assert.ok(found.includes(`scratch directory ${scratch}`), found.join("; "));
      assert.ok(found.includes(`process ${child.pid} (started by the run)`), found.join("; "));
      assert.ok(found.includes(`process ${child.pid} (names ${scratch})`), found.join("; "));
      if (asRoot) {
        assert.ok(found.includes(`network namespace ${name}`), found.join("; "));
        assert.ok(found.includes(`iptables rule -N ${name.toUpperCase()}`), found.join("; "));
      }
    } finally {
      child.kill("SIGKILL");
      if (asRoot) {
        spawnSync("ip", ["netns", "delete", name]);
        spawnSync("iptables", ["-X", name.toUpperCase()]);
      }
    }
  });
});

/** Runs a scenario with short phases, aborting it at the first progress line that `abortAt` matches. */
async function runShort(scenario: LabScenario, abortAt?: RegExp) {
  const scratchRoot = await mkdtemp(join(root, `${scenario.name}-`));
  const out = join(root, `${scenario.name}-out-${abortAt ? "aborted" : "done"}`);
  const abort = new AbortController();
  const said: string[] = [];
  const before = hostState(scratchRoot);
  const group = new ProcessGroup();
  let error: unknown;
  try {
    await runLab(scenario, {
      out,
      timings: SHORT,
      signal: abort.signal,
      scratchRoot,
      group,
      say: (line) => {
        said.push(line);
        if (abortAt?.test(line)) abort.abort(new Error("test abort"));
      },
    });
  } catch (err) {
    error = err;
  }
  const startedPids = group.startedPids();
  const scratchDirs = said.flatMap((line) => line.match(/^scratch (\S+);/)?.[1] ?? []);
  const { found, unchecked } = leftovers(before, hostState(scratchRoot), { startedPids, scratchDirs });
  return { said, error, startedPids, scratchDirs, found, unchecked, out };
}

/** The run got going (its servers and every pod were started), and nothing of it is left. */
function assertNothingLeft(t: TestContext, scenario: LabScenario, run: Awaited<ReturnType<typeof runShort>>): void {
  const pods = Object.values(scenario.versions).reduce((sum, v) => sum + v.replicas, 0);
  assert.ok(
    run.startedPids.length > pods,
    `started ${run.startedPids.length} processes for ${pods} pods and the servers`,
  );
  assert.equal(run.scratchDirs.length, 1);
  assert.deepEqual(run.found, []);
  if (run.unchecked) t.diagnostic(`not checked: ${run.unchecked}`);
}

describe("a lab run leaves nothing behind", () => {
  const collapse = labScenario("connection-collapse");
  test("connection-collapse, run to the end with short phases", {
    skip: collapse ? missingFor(collapse) : "no scenario",
    timeout: RUN_TIMEOUT_MS,
  }, async (t) => {
    assert.ok(collapse);
    const run = await runShort(collapse);
    assert.equal(run.error, undefined, `the run finished: ${run.said.join("; ")}`);
    assertNothingLeft(t, collapse, run);
    // Diagnosed live at the alert too, from the lab's Prometheus and the pods' logs, before they stopped.
    const truth = JSON.parse(readFileSync(join(run.out, "truth.json"), "utf8")) as { alert_time: string };
    const live = JSON.parse(readFileSync(join(run.out, LIVE_DIAGNOSIS_FILE), "utf8")) as Diagnosis;
    assert.equal(live.input.alert_time, truth.alert_time);
    // Every format read is in the summary (the sources list only the first few files when there are many).
    const formats = new Set([...live.input.sources, ...(live.input.source_summary ?? [])].map((s) => s.format));
    assert.ok(formats.size > 1, `metrics and logs read: ${[...formats].join(", ")}`);
    assert.ok(
      live.input.sources.some((s) => s.file.startsWith("http://127.0.0.1:")),
      "pulled from the lab's Prometheus",
    );
  });

  // One scenario per set of servers and kind of fault: what a run starts and changes, and so what it must undo.
  const distinct = new Map(
    LAB_SCENARIOS.map((s) => [`${s.servers.map((server) => server.kind).join("+")} ${s.fault.kind}`, s]),
  );
  for (const scenario of distinct.values()) {
    test(`${scenario.name}, aborted right after its fault`, {
      skip: missingFor(scenario),
      timeout: RUN_TIMEOUT_MS,
    }, async (t) => {
      const run = await runShort(scenario, /^fault: /);
      assert.match(String(run.error), /test abort/, run.said.join("; "));
      assertNothingLeft(t, scenario, run);
    });
  }
});
