/**
 * Loaded with `node --import` into each process `npm run bench:scale` measures: when the process
 * exits, its own CPU time and peak resident memory (the kernel's figures, from getrusage) are written
 * to the file BENEATH_SCALE_PROBE names. Node offers no rusage of a child, so the child reports its own.
 */
import { writeFileSync } from "node:fs";

const file = process.env.BENEATH_SCALE_PROBE;
if (file) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    const probe = {
      cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
      peakRssBytes: usage.maxRSS * 1024,
    };
    writeFileSync(file, JSON.stringify(probe));
  });
}
