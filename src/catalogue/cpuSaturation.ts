import type { FaultKind } from "./types.js";

export const cpuSaturation: FaultKind = {
  id: "cpu.saturation",
  title: "CPU saturation",
  root: ["pod", "service"],
  // A CPU-starved service takes longer in its own code per call.
  signature: { cpu: 1, processing: 0.6, latency: 0.3 },
  // A CPU hog does not grow memory; strong growth beside saturated CPU is a leak churning the allocator.
  forbids: { memory: 0.5 },
  resource: "CPU",
  effectOnCallers: "slower responses from a CPU-starved service",
  lookAlikes: [
    { kind: "network.latency", differs: "latency with CPU saturated on the same service is compute, not the network" },
    { kind: "memory.leak", differs: "GC thrash burns CPU too, but memory then climbs first" },
  ],
  remediation: {
    now: [
      "Scale the workload out (kubectl scale deployment/<name> --replicas=N) or raise its CPU limit",
      "Find and stop the process burning CPU (kubectl top pod; a profiler on the hot pod)",
    ],
    fix: [
      "Set CPU requests from measured peak usage and an HPA on CPU utilisation",
      "Watch container_cpu_cfs_throttled_periods_total to catch limit-bound pods before users do",
    ],
  },
};
