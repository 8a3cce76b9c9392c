/**
 * `beneath lab <scenario>`: run a real-server incident (or its look-alike) on this machine, record it,
 * diagnose the recording at the alert time and say whether that matches what the lab did.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { LabSetupError } from "../lab/requirements.js";
import { LAB_SCENARIOS, labScenario } from "../lab/scenarios.js";
import { DEFAULT_TIMINGS, type LabTimings } from "../lab/timings.js";
import { UsageError } from "./exitCodes.js";
import { withHelp } from "./help.js";
import { parseWindow } from "./options.js";

interface LabFlags {
  out?: string;
  baseline?: number;
  maxFault?: number;
  afterAlert?: number;
  scrape?: number;
  check?: boolean;
}

/** Exit code of `--check` when the diagnosis does not match the truth. */
const EXIT_MISMATCH = 1;
/** Exit code after Ctrl-C, as shells report SIGINT. */
const EXIT_INTERRUPTED = 130;

export function registerLab(program: Command): void {
  const names = LAB_SCENARIOS.map((s) => s.name).join(", ");
  const command = program
    .command("lab")
    .description(
      "run a real-server incident on 127.0.0.1 (MariaDB or RabbitMQ, exporters, Prometheus, the shop), record and diagnose it",
    )
    .argument("<scenario>", `one of: ${names}`)
    .option("--out <dir>", "where the recording goes (default: a folder under the system's temp dir)")
    .option(
      "--baseline <dur>",
      `healthy traffic before the fault (default ${DEFAULT_TIMINGS.baselineSeconds}s)`,
      parseWindow,
    )
    .option(
      "--max-fault <dur>",
      `how long the alert may take after the fault (default ${DEFAULT_TIMINGS.maxFaultSeconds}s)`,
      parseWindow,
    )
    .option(
      "--after-alert <dur>",
      `traffic kept after the alert (default ${DEFAULT_TIMINGS.afterAlertSeconds}s)`,
      parseWindow,
    )
    .option("--scrape <dur>", `Prometheus scrape interval (default ${DEFAULT_TIMINGS.scrapeSeconds}s)`, parseWindow)
    .option("--check", "exit 1 when the diagnosis does not match the run's truth")
    .action(async (name: string, flags: LabFlags) => {
      const scenario = labScenario(name);
      if (!scenario) throw new UsageError(`unknown lab scenario "${name}"; expected one of: ${names}`);
      const timings: LabTimings = {
        baselineSeconds: flags.baseline ?? DEFAULT_TIMINGS.baselineSeconds,
        maxFaultSeconds: flags.maxFault ?? DEFAULT_TIMINGS.maxFaultSeconds,
        afterAlertSeconds: flags.afterAlert ?? DEFAULT_TIMINGS.afterAlertSeconds,
        scrapeSeconds: flags.scrape ?? DEFAULT_TIMINGS.scrapeSeconds,
      };
      const out = flags.out ?? join(tmpdir(), "beneath-lab", scenario.name);
      const abort = new AbortController();
      const onSignal = (sig: NodeJS.Signals) => {
        process.stderr.write(`beneath lab: ${sig}, stopping everything it started\n`);
        process.exitCode = EXIT_INTERRUPTED;
        abort.abort(new Error(`interrupted by ${sig}`));
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      const started = Date.now();
      // The lab (its servers, configs and YAML) loads only when a lab runs.
      const { runLab, LabRunError } = await import("../lab/run.js");
      const [{ analyze }, { renderText }, { judge }] = await Promise.all([
        import("../analyze.js"),
        import("../diagnosis/renderText.js"),
        import("../lab/verdict.js"),
      ]);
      try {
        const run = await runLab(scenario, {
          out,
          timings,
          signal: abort.signal,
          say: (line) => process.stderr.write(`lab: ${line}\n`),
        });
        const diagnosis = await analyze([run.caseDir], { at: run.alertTime });
        const verdicts = [
          { source: "live source", verdict: judge(run.truth, run.liveDiagnosis) },
          { source: "exported files", verdict: judge(run.truth, diagnosis) },
        ];
        process.stdout.write(renderText(diagnosis, { color: process.stdout.isTTY === true && !process.env.NO_COLOR }));
        process.stdout.write("\n");
        for (const { source, verdict } of verdicts) process.stdout.write(`${source}: ${verdict.line}\n`);
        process.stdout.write(
          `recording: ${out} (alert ${run.truth.alert_time}; run took ${Math.round((Date.now() - started) / 1000)}s)\n`,
        );
        if (flags.check && verdicts.some(({ verdict }) => !verdict.matches)) process.exitCode = EXIT_MISMATCH;
      } catch (err) {
        if (abort.signal.aborted) return;
        if (err instanceof LabSetupError) throw new UsageError(err.message);
        if (!(err instanceof LabRunError)) throw err;
        // The incident did not reproduce: nothing to diagnose, and no fault of the input or of beneath's code.
        process.stderr.write(`beneath: lab: ${err.message}\n`);
        process.exitCode = EXIT_MISMATCH;
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
  withHelp(command, [
    "beneath lab connection-collapse",
    "beneath lab connection-collapse --baseline 5m --check    # exit 1 when the diagnosis misses",
  ]);
}
