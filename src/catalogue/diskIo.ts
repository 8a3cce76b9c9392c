import type { FaultKind } from "./types.js";

export const diskIoSaturation: FaultKind = {
  id: "disk.io-saturation",
  title: "Disk I/O saturation",
  root: ["pod", "node"],
  signature: { disk: 1, processing: 0.3, latency: 0.3 },
  resource: "disk I/O",
  effectOnCallers: "slow responses while its reads and writes queue",
  lookAlikes: [{ kind: "cpu.saturation", differs: "iowait and disk time rise, not user CPU" }],
  remediation: {
    now: [
      "Find the process writing most (container_fs_writes_bytes_total) and throttle or stop it",
      "Move the workload to a node with free I/O",
    ],
    fix: [
      "Provision IOPS for the workload's peak (volume type, size)",
      "Alert on node_disk_io_time_seconds_total nearing 1 s/s",
    ],
  },
};
