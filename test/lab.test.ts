/** The lab's parts that need no real server: process control, binary checks, verdicts, the CLI's usage errors. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Diagnosis } from "../src/diagnosis/types.js";
import { ProcessGroup } from "../src/lab/processes.js";
import { LabSetupError, requireBinaries, which } from "../src/lab/requirements.js";
import { binariesFor } from "../src/lab/run.js";
import { LAB_SCENARIOS, labScenario } from "../src/lab/scenarios.js";
import { debugTrace } from "../src/lab/shop/debugTrace.js";
import { JsonLogger } from "../src/lab/shop/log.js";
import { judge } from "../src/lab/verdict.js";
import { assertUsageError, beneath } from "./helpers/cli.js";
import { isAlive } from "./helpers/processes.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

describe("ProcessGroup", () => {
  test("stops what it started by PID, and kills a process that ignores SIGTERM after the grace period", async () => {
    const dir = await mkdtemp(join(tmpdir(), "beneath-lab-test-"));
    try {
      const group = new ProcessGroup();
      const polite = group.start("polite", process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
        logFile: join(dir, "polite.log"),
      });
      const stubborn = group.start(
        "stubborn",
        process.execPath,
        ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"],
        { logFile: join(dir, "stubborn.log") },
      );
      // Give the stubborn one time to install its handler, so SIGTERM really is ignored.
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(isAlive(polite.pid) && isAlive(stubborn.pid));
      await group.stopAll(1000);
      assert.deepEqual(group.pids(), []);
      assert.equal(isAlive(polite.pid), false);
      assert.equal(isAlive(stubborn.pid), false);
      assert.deepEqual(group.startedPids().sort(), [polite.pid, stubborn.pid].sort());
      assert.equal(stubborn.child.signalCode, "SIGKILL");
      assert.equal(polite.child.signalCode, "SIGTERM");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("lab requirements", () => {
  test("names every missing binary with its Debian package and the install script", () => {
    assert.throws(
      () =>
        requireBinaries(
          [
            { command: "no-such-binary-a", pkg: "pkg-a" },
            { command: "no-such-binary-b", pkg: "pkg-b" },
          ],
          "/nonexistent",
        ),
      (err: unknown) =>
        err instanceof LabSetupError &&
        /no-such-binary-a \(Debian package pkg-a\), no-such-binary-b \(Debian package pkg-b\)/.test(err.message) &&
        err.message.includes("scripts/lab-install.sh"),
    );
  });

  test("finds a binary that is on PATH", () => {
    const nodeDir = join(process.execPath, "..");
    assert.equal(which("node", nodeDir), process.execPath);
    assert.doesNotThrow(() => requireBinaries([{ command: "node", pkg: "nodejs" }], nodeDir));
  });

  test("beneath lab without the servers installed exits 2 with one line naming the package and the script", () => {
    const result = spawnSync(process.execPath, [MAIN, "lab", "connection-collapse"], {
      encoding: "utf8",
      env: { ...process.env, PATH: "/nonexistent", BENEATH_DEBUG: "" },
    });
    assertUsageError({ status: result.status, stdout: result.stdout, stderr: result.stderr }, "mariadb-server");
    assert.match(result.stderr, /scripts\/lab-install\.sh/);
  });

  test("an unknown scenario is a usage error listing the known ones", () => {
    const result = beneath("lab", "no-such-scenario");
    assertUsageError(result, "no-such-scenario");
    assert.match(result.stderr, /connection-collapse-surge/);
  });
});

function diagnosisWith(top?: { entity: string; kind: string; confidence: number }): Diagnosis {
  return { causes: top ? [{ rank: 1, ...top }] : [] } as unknown as Diagnosis;
}

describe("lab verdict", () => {
  const truth = { root_cause: { entity: "service:shipping", kind: "db.connection-hoarding" } };

  test("an incident matches only the right entity and kind at the top", () => {
    assert.equal(
      judge(truth, diagnosisWith({ entity: "service:shipping", kind: "db.connection-hoarding", confidence: 0.7 }))
        .matches,
      true,
    );
    assert.equal(
      judge(truth, diagnosisWith({ entity: "service:shipping", kind: "network.latency", confidence: 0.7 })).matches,
      false,
    );
    assert.equal(
      judge(truth, diagnosisWith({ entity: "service:ratings", kind: "db.connection-hoarding", confidence: 0.7 }))
        .matches,
      false,
    );
    assert.equal(judge(truth, diagnosisWith()).matches, false);
  });

  test("a look-alike matches when nothing is blamed with confidence", () => {
    const none = { root_cause: null };
    assert.equal(judge(none, diagnosisWith()).matches, true);
    assert.equal(
      judge(none, diagnosisWith({ entity: "service:web", kind: "cpu.saturation", confidence: 0.3 })).matches,
      true,
    );
    const blamed = judge(none, diagnosisWith({ entity: "service:web", kind: "cpu.saturation", confidence: 0.6 }));
    assert.equal(blamed.matches, false);
    assert.match(blamed.line, /service:web/);
  });
});

describe("lab scenarios as data", () => {
  test("a scenario needs the binaries of the servers it lists and Prometheus, and no others", () => {
    const collapse = labScenario("connection-collapse");
    assert.ok(collapse);
    assert.deepEqual(
      binariesFor(collapse)
        .map((b) => b.command)
        .sort(),
      ["mariadb-install-db", "mariadbd", "prometheus", "prometheus-mysqld-exporter", "prometheus-node-exporter"],
    );
    const hostOnly = { ...collapse, servers: [{ kind: "node-exporter" as const, collectors: ["cpu"] }] };
    assert.deepEqual(
      binariesFor(hostOnly)
        .map((b) => b.command)
        .sort(),
      ["prometheus", "prometheus-node-exporter"],
    );
  });

  test("every scenario's name is unique and the service its fault acts on exists in its shop", () => {
    const names = LAB_SCENARIOS.map((s) => s.name);
    assert.equal(new Set(names).size, names.length);
    for (const s of LAB_SCENARIOS) {
      if (!("service" in s.fault)) continue;
      const { service } = s.fault;
      assert.ok(
        s.services.some((d) => d.name === service),
        `${s.name} redeploys ${service}`,
      );
    }
  });
});

describe("a shop service's DEBUG trace", () => {
  test("writes as many lines as asked, in a few templates, naming the request's item", () => {
    const lines = debugTrace("/ratings/api/rate/42", 42, 3000);
    assert.equal(lines.length, 3000);
    const templates = new Set(lines.map((l) => l.replace(/\d+/g, "N")));
    assert.ok(templates.size <= 5, [...templates].join(" | "));
    assert.ok(lines.slice(2).every((l) => l.includes("of item 42")));
    assert.deepEqual(debugTrace("/x/1", 1, 0), []);
  });
});

describe("a shop pod's JSON-lines logger", () => {
  test("writes only what its level lets through, counts each line by level, and keeps one rotated file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "beneath-lab-test-log-"));
    try {
      const file = join(dir, "pod.jsonl");
      const counted: string[] = [];
      const logger = new JsonLogger(
        file,
        { service: "s", pod: "p", namespace: "n" },
        "INFO",
        (l) => counted.push(l),
        500,
      );
      logger.log("DEBUG", "hidden");
      logger.log("INFO", "shown");
      logger.setLevel("DEBUG");
      for (let i = 0; i < 20; i++) logger.log("DEBUG", `line ${i}`);
      await logger.close();
      assert.deepEqual(counted, ["INFO", ...Array(20).fill("DEBUG")]);
      const files = (await readdir(dir)).sort();
      assert.deepEqual(files, ["pod.jsonl", "pod.jsonl.1"]);
      const kept = (await readFile(file, "utf8"))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).msg);
      assert.equal(kept.at(-1), "line 19");
      assert.ok(!kept.includes("hidden"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
