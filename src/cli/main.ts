#!/usr/bin/env node
/**
 * The `beneath` bin. `analyze` is what a script runs once per incident, so it runs from the bundle
 * (bundled.ts) when there is a current one. The other commands run for seconds to minutes and some
 * start helper scripts that sit beside their modules, so they always run from the modules.
 */
import { loadBundle } from "./bundled.js";

const runCli = (process.argv[2] === "analyze" ? loadBundle() : undefined) ?? (await import("./program.js")).runCli;
await runCli(process.argv);
