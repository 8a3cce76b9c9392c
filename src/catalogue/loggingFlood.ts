import { entityName } from "../case/entity.js";
import { formatValue } from "../detect/format.js";
import { withCheck } from "./fill.js";
import type { CheckedKind, FindContext, Finding } from "./types.js";

/**
 * Partitions per broker node beyond which per-partition workers and buffers dominate its memory:
 * the write-ups' clusters ran a thousand per node; a few hundred is already many for one process.
 */
const MANY_PARTITIONS = 500;
/** A log shipper's own counters of the records it read and dropped. */
export const LOG_SHIPPER = /(input_records|dropped_records|drop_records)/;

/** Partition leaders per broker from kafka_exporter, and whether a dead broker kept its partitions. */
function partitions({ c }: FindContext, diedAt: number | undefined) {
  const leaders = c.series.filter((s) => s.metric === "kafka_topic_partition_leader");
  const perLeader = new Map<number, number>();
  let moved = false;
  for (const s of leaders) {
    const first = s.v[0];
    perLeader.set(first, (perLeader.get(first) ?? 0) + 1);
    if (diedAt !== undefined && s.v.some((v, i) => s.t[i] > diedAt && v !== first)) moved = true;
  }
  return { total: leaders.length, perNode: Math.max(0, ...perLeader.values()), moved };
}

/** What the flood cost, as the detector measured it: memory and kills when the lines queued, else slower requests. */
function floodCost(facts: Record<string, unknown>): string {
  if (facts.harm === "latency")
    return `its requests took ${Number(facts.latencyGrowth).toFixed(1)}× as long while it wrote them`;
  return `its memory grew ${Number(facts.memoryGrowth ?? 0).toFixed(1)}× while the lines queued, and it was OOM-killed ${Number(facts.oomKills ?? 0)} times`;
}

function find(ctx: FindContext): Finding[] {
  return withCheck(ctx.evidence, "logging.flood-harmful").map((flood) => {
    const diedAt = ctx.c.events.find((e) => /OOM/i.test(e.reason) && e.t >= flood.start)?.t;
    const parts = partitions(ctx, diedAt);
    const failing = ctx.evidence.filter(
      (e) => e.entity !== flood.entity && (e.family === "errors" || e.family === "latency"),
    );
    // The flood's cost lands on the log shipper (it drops what it cannot ship) and on the nodes that run
    // the flooding pods (memory, CPU, disk).
    const shippers = ctx.c.series.filter((s) => LOG_SHIPPER.test(s.metric)).map((s) => s.entity);
    const nodes = [...ctx.topology.pods.values()]
      .filter((p) => p.workload === flood.entity && p.node)
      .map((p) => `node:${p.node}`);
    const contributing: Finding["contributing"] = [];
    if (parts.perNode >= MANY_PARTITIONS)
      contributing.push({
        kind: "broker.partition-overcommit",
        entity: flood.entity,
        why: `${parts.total} partitions, up to ${parts.perNode} led by one node: a worker and buffers per partition multiply every per-partition cost, the log lines included`,
        evidence: [],
      });
    if (diedAt !== undefined && parts.total > 0 && !parts.moved)
      contributing.push({
        kind: "cluster.no-failover",
        entity: flood.entity,
        why: `a member was killed at ${new Date(diedAt * 1000).toISOString()} and no partition changed leader afterwards: clients kept asking a dead node`,
        evidence: [],
      });
    return {
      kind: loggingFlood,
      entity: flood.entity,
      score: flood.strength,
      evidence: [flood],
      resource: {
        entity: flood.entity,
        name: "log lines per second",
        used: Number(flood.value ?? 0),
        limit: Number(flood.baseline ?? 0),
        unit: "lines per second",
        since: flood.start,
      },
      explains: [...new Set([...failing.map((e) => e.entity), ...shippers, ...nodes])],
      facts: {
        ...(flood.facts ?? {}),
        entity: entityName(flood.entity),
        lines: formatValue(Number(flood.facts?.linesPerSecond ?? 0)),
        debugPercent: Math.round(Number(flood.facts?.verboseShare ?? 0) * 100),
        growth: Number(flood.facts?.memoryGrowth ?? 0).toFixed(1),
        cost: floodCost(flood.facts ?? {}),
      },
      contributing,
    } satisfies Finding;
  });
}

export const loggingFlood: CheckedKind = {
  id: "logging.flood",
  title: "Logging flood",
  root: ["service"],
  signature: {},
  checks: ["logging.flood-harmful", "logging.flood-within-capacity"],
  verdict: "{entity} logs {lines} lines/s ({debugPercent}% DEBUG): {cost}",
  resource: "log throughput and the memory that buffers it",
  effectOnCallers:
    "callers wait while the flooding process spends its time writing lines, and time out when it stalls or dies",
  lookAlikes: [
    { kind: "a short DEBUG window", differs: "the writer keeps up: memory stays flat and nothing is killed" },
    { kind: "traffic surge", differs: "lines per message stay constant and the level mix does not change" },
    { kind: "memory.leak", differs: "memory grows with the log rate and falls when the level is set back" },
  ],
  remediation: {
    now: [
      "Set the log level back to INFO or WARN (RUST_LOG=info, or the logger's runtime level) and roll {entity} out",
      "Restart the dead members with memory headroom and force a leader election or partition reassignment away from them",
    ],
    fix: [
      "Never log per tick per partition: rate-limit or sample hot-path DEBUG lines",
      "Bound per-partition buffers with backpressure, and cap partitions per node",
      "Liveness that exercises the data path, failover tests, and alerts on log lines per second and RSS slope",
    ],
  },
  find,
};
