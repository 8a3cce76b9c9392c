import type { FaultKind } from "./types.js";

export const memoryLeak: FaultKind = {
  id: "memory.leak",
  title: "Memory leak",
  root: ["pod", "service"],
  // Leaks burn CPU too: garbage collection and allocation churn as the heap fills. A leak that reaches
  // the limit is OOM-killed, and a restarting container fails the calls sent to it.
  signature: { memory: 1, cpu: 0.5, errors: 0.5 },
  resource: "memory",
  effectOnCallers: "slow or failed responses as the service nears its memory limit and is OOMKilled",
  lookAlikes: [{ kind: "cpu.saturation", differs: "memory grows steadily without a matching rise in load" }],
  remediation: {
    now: [
      "Restart the leaking pods in turn (kubectl rollout restart deployment/<name>) to buy time",
      "Raise the memory limit only if the working set is legitimately larger",
    ],
    fix: [
      "Take heap profiles before and after the growth and fix the retaining code path",
      "Alert on container_memory_working_set_bytes / container_spec_memory_limit_bytes trending up",
    ],
  },
};
