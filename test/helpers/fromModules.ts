/** The `beneath` bin as it runs without a bundle: program.js's modules, whatever the command. */
import { runCli } from "../../src/cli/program.js";

await runCli(process.argv);
