/**
 * `npm run bench:simulator`: the simulator's performance requirement. Simulates the broker cluster
 * crash (3 brokers, 1000 topics × 3 partitions, 180k log lines/s under DEBUG; 1 h at 5 s resolution),
 * writes the case to a temp dir, and measures wall time and peak resident memory for simulating and
 * for writing separately, against the targets: under 30 s and under 2 GB.
 *
 * Peak memory is the kernel's high-water mark (VmHWM in /proc/self/status), reset between the two
 * phases through /proc/self/clear_refs; where that is unavailable, the highest RSS sampled on every
 * simulated tick and every 50 ms of writing.
 * Writes bench/results/simulator.json. Exit codes: 0 on target, 1 off target or on failure.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { simulate, writeSimulation } from "../src/sim/simulate.js";

const SCENARIO = "broker-cluster-crash";
const TARGET_SECONDS = 30;
const TARGET_BYTES = 2 * 2 ** 30;
const RESULTS_FILE = fileURLToPath(new URL("../../bench/results/simulator.json", import.meta.url));
const SAMPLE_MS = 50;

/** The kernel's peak RSS of this process in bytes, or undefined off Linux. */
function highWaterMark(): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resets VmHWM to the current RSS (Linux 4.0+); false where the kernel does not allow it. */
function resetHighWaterMark(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

interface Phase {
  seconds: number;
  peakBytes: number;
}

/** Runs `work`, tracking wall time and the peak RSS from the kernel and from samples. */
async function measure(work: (sample: () => void) => Promise<void> | void): Promise<Phase> {
  const reset = resetHighWaterMark();
  let sampled = process.memoryUsage.rss();
  const sample = () => {
    sampled = Math.max(sampled, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, SAMPLE_MS);
  const start = performance.now();
  try {
    await work(sample);
  } finally {
    clearInterval(timer);
  }
  const seconds = (performance.now() - start) / 1000;
  sample();
  const kernel = reset ? highWaterMark() : undefined;
  return { seconds, peakBytes: Math.max(sampled, kernel ?? 0) };
}

function gb(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GB`;
}

async function main(): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), "beneath-bench-simulator-"));
  try {
    let sim: ReturnType<typeof simulate> | undefined;
    const simulating = await measure((sample) => {
      sim = simulate(SCENARIO, { onProgress: sample });
    });
    if (!sim) throw new Error("the simulation produced nothing");
    const done = sim;
    let files: string[] = [];
    const writing = await measure(async () => {
      files = await writeSimulation(done, out);
    });
    const total = simulating.seconds + writing.seconds;
    const peak = Math.max(simulating.peakBytes, writing.peakBytes);
    const ok = total < TARGET_SECONDS && peak < TARGET_BYTES;
    const { scenario, world } = done;
    const lines = world.logs.lines.length;
    const dropped = [...world.logs.dropped.values()].reduce((s, n) => s + n, 0);
    const samples = world.metrics.all().reduce((s, series) => s + series.t.length, 0);
    const report = [
      `${SCENARIO}: ${scenario.duration / 3600} h at ${scenario.step} s, ${world.metrics.all().length} series, ${samples.toLocaleString("en")} samples, ${lines.toLocaleString("en")} log lines delivered, ${dropped.toLocaleString("en")} dropped by the shipper (counted in its metrics)`,
      `simulate: ${simulating.seconds.toFixed(1)} s, peak ${gb(simulating.peakBytes)}`,
      `write:    ${writing.seconds.toFixed(1)} s, peak ${gb(writing.peakBytes)} (${files.length} files)`,
      `total:    ${total.toFixed(1)} s (target < ${TARGET_SECONDS} s), peak ${gb(peak)} (target < ${gb(TARGET_BYTES)}): ${ok ? "on target" : "OFF TARGET"}`,
    ];
    process.stdout.write(`${report.join("\n")}\n`);
    mkdirSync(join(RESULTS_FILE, ".."), { recursive: true });
    writeFileSync(
      RESULTS_FILE,
      `${JSON.stringify(
        {
          generated_at: new Date().toISOString(),
          scenario: SCENARIO,
          series: world.metrics.all().length,
          samples,
          log_lines_delivered: lines,
          log_lines_dropped: dropped,
          simulate: { seconds: simulating.seconds, peak_bytes: simulating.peakBytes },
          write: { seconds: writing.seconds, peak_bytes: writing.peakBytes },
          targets: { seconds: TARGET_SECONDS, peak_bytes: TARGET_BYTES },
          on_target: ok,
        },
        null,
        1,
      )}\n`,
    );
    if (!ok) process.exitCode = 1;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench:simulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
