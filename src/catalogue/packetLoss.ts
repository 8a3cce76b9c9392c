import type { FaultKind } from "./types.js";

export const packetLoss: FaultKind = {
  id: "network.packet-loss",
  title: "Packet loss",
  root: ["pod", "service"],
  signature: { "packet-loss": 1, latency: 0.3, errors: 0.3 },
  resource: "network path",
  effectOnCallers: "retransmissions and timeouts on calls into it",
  lookAlikes: [{ kind: "network.latency", differs: "drop and retransmit counters rise, not only time" }],
  remediation: {
    now: [
      "Reschedule the affected pods to another node",
      "Check container_network_receive_packets_dropped_total and the node's NIC",
    ],
    fix: [
      "Alert on node_netstat_Tcp_RetransSegs rate and interface drops",
      "Size nodes for the packet rate they carry",
    ],
  },
};
