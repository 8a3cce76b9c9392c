import { entityName } from "../case/entity.js";
import { ec2Limits } from "./aws/instanceLimits.js";
import { withCheck } from "./fill.js";
import type { CheckedKind, FindContext, Finding } from "./types.js";

/** What a client of a dropping node shows: calls that wait, time out and fail, and say so in its log. */
const TIMEOUT_FAMILIES = new Set(["errors", "latency", "log"]);

function find({ evidence, topology }: FindContext): Finding[] {
  const exceeded = withCheck(evidence, "node.network-allowance-exceeded").sort(
    (a, b) => Number(b.value ?? 0) - Number(a.value ?? 0),
  );
  const worst = exceeded[0];
  if (!worst) return [];
  const name = entityName(worst.entity);
  // A node with no recorded instance type is named by what limited it (a tc rate limit), when the evidence says.
  const instanceType = topology.instanceType.get(name) ?? String(worst.facts?.instanceType ?? "");
  const limits = topology.instanceType.has(name) ? ec2Limits(instanceType) : undefined;
  const allowance = worst.signal.startsWith("node_ethtool_") ? "ENA network allowance" : "network rate limit";
  const onNodes = new Set(exceeded.map((e) => entityName(e.entity)));
  const pods = [...topology.pods.values()].filter((p) => p.node && onNodes.has(p.node)).map((p) => p.workload);
  // Whoever started timing out or failing once the node was dropping packets: its clients, whose
  // calls cross the node's link (without traces, the timing is what ties them to it).
  const timedOut = evidence
    .filter((e) => TIMEOUT_FAMILIES.has(e.family) && e.start >= worst.start && !e.entity.startsWith("node:"))
    .map((e) => e.entity);
  return [
    {
      kind: nodeNetworkAllowance,
      entity: worst.entity,
      score: worst.strength,
      evidence: exceeded.slice(0, 3),
      resource: {
        entity: worst.entity,
        name: allowance,
        used: Number(worst.value ?? 0),
        limit: 0,
        unit: "packets over the allowance",
        since: worst.start,
        arithmetic: limits
          ? `${instanceType}: ${limits.baseline_gbps} Gbps baseline per direction, ${limits.burst_gbps} Gbps only while network credits last`
          : undefined,
      },
      explains: [...new Set([...pods, ...timedOut]), ...exceeded.slice(1).map((e) => e.entity)],
      facts: {
        ...(worst.facts ?? {}),
        entity: name,
        instanceType,
        nodes: exceeded.length,
        baselineGbps: limits?.baseline_gbps ?? "",
        allowance,
      },
      contributing: [],
    },
  ];
}

export const nodeNetworkAllowance: CheckedKind = {
  id: "node.network-allowance",
  title: "Network allowance exceeded",
  root: ["node"],
  signature: {},
  checks: ["node.network-allowance-exceeded"],
  verdict:
    "{entity} ({instanceType}) exceeded its {allowance} {exceeded} times ({kind}): packets were queued and dropped, so probes and replication time out",
  resource: "instance network allowance (ENA bandwidth / packets per second)",
  effectOnCallers: "timeouts, retransmits and failed probes for every pod on the node",
  lookAlikes: [
    { kind: "traffic surge", differs: "throughput rises freely with load and the allowance counters stay flat" },
    {
      kind: "cpu.saturation",
      differs: "CPU has room while packets are shaped (allowance counters rise, throughput flat-tops)",
    },
    { kind: "noisy but healthy", differs: "a few sporadic allowance increments with no restarts or NotReady" },
  ],
  remediation: {
    now: [
      "Move the network-heavy pods off {entity}: cordon it and reschedule onto larger instances",
      "Pause network-heavy background work (backfills, replica re-syncs, large merges) and relax probe timeouts to stop the restart storm",
    ],
    fix: [
      "Choose an instance type sized on its network baseline, not its burst (m5/m6i.xlarge or network-optimised types)",
      "Fewer pods per node for network-heavy workloads (a dedicated node group, anti-affinity)",
      "Enable node_exporter's ethtool collector everywhere and alert on rate(node_ethtool_*_allowance_exceeded[5m]) > 0",
    ],
  },
  find,
};
