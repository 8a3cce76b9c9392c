import type { FaultKind } from "./types.js";

export const networkLatency: FaultKind = {
  id: "network.latency",
  title: "Network latency",
  root: ["pod", "service"],
  signature: { latency: 1, network: 0.3 },
  // Slowness with the service's own CPU saturated is compute, not the network (DESIGN.md).
  forbids: { cpu: 0.5 },
  resource: "network path",
  effectOnCallers: "calls into it wait longer, so every caller's latency rises",
  lookAlikes: [
    { kind: "cpu.saturation", differs: "CPU of the slow service stays at its baseline" },
    { kind: "code.error", differs: "no new error templates or error spans, only time" },
  ],
  remediation: {
    now: [
      "Move traffic away from the slow pods or node (cordon the node, delete the pods to reschedule)",
      "Check the pod's network interface and node for drops, retransmits and tc/netem rules",
    ],
    fix: [
      "Set client timeouts and retries with budgets so a slow dependency cannot stall callers",
      "Watch node_netstat_Tcp_RetransSegs and per-hop latency in traces",
    ],
  },
};
