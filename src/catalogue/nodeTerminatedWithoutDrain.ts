import { entityName } from "../case/entity.js";
import { withCheck } from "./fill.js";
import type { CheckedKind, FindContext, Finding } from "./types.js";

/** A vanished node that left no victim behind is worth a line, not a confident cause. */
const NO_VICTIM_FACTOR = 0.45;

function find({ evidence }: FindContext): Finding[] {
  return withCheck(evidence, "node.vanished-without-drain").map((gone) => {
    const stalled = withCheck(evidence, "work.stalled-silently").filter((s) => s.start >= gone.start - 60);
    const ran = String(gone.facts?.workloads ?? "")
      .split(",")
      .filter(Boolean);
    const failing = evidence.filter(
      (e) => ran.includes(e.entity) && (e.family === "errors" || e.family === "throughput" || e.type === "anomaly"),
    );
    const victims = [...new Set([...stalled.map((s) => s.entity), ...failing.map((e) => e.entity)])];
    return {
      kind: nodeTerminatedWithoutDrain,
      entity: gone.entity,
      score: gone.strength * (victims.length > 0 ? 1 : NO_VICTIM_FACTOR),
      evidence: [gone, ...stalled.slice(0, 3)],
      explains: [...ran, ...victims],
      facts: {
        ...(gone.facts ?? {}),
        entity: entityName(gone.entity),
        ran: ran.map(entityName).join(", ") || "its pods",
        stalled: stalled.map((s) => entityName(s.entity)).join(", ") || "their clients",
      },
      contributing: stalled.map((s) => ({
        kind: "client.no-timeout",
        entity: s.entity,
        why: `${entityName(s.entity)} stopped working without an error after the node went (${s.detail}): its connections to the dead peer never time out (no TCP keepalive, no statement or read timeout)`,
        evidence: [s],
      })),
    } satisfies Finding;
  });
}

export const nodeTerminatedWithoutDrain: CheckedKind = {
  id: "node.terminated-without-drain",
  title: "Node terminated without drain",
  root: ["node", "zone"],
  signature: {},
  checks: ["node.vanished-without-drain", "work.stalled-silently"],
  verdict:
    "{entity} was terminated under the cluster with no cordon or drain (an Auto Scaling AZ rebalance or instance loss): {ran} died without a graceful stop, and {stalled} hung on their dead connections",
  resource: "the node and the pods it ran",
  effectOnCallers: "clients of its pods hang on half-open connections until something times out",
  lookAlikes: [
    {
      kind: "planned drain",
      differs:
        "a cordon (NodeNotSchedulable, ScaleDown) and Killing events come before the node goes; clients reconnect within seconds",
    },
    { kind: "database overload", differs: "the database is idle while the workers are idle too" },
  ],
  remediation: {
    now: [
      "Restart the hung clients' pods to drop their dead sockets (kubectl rollout restart deployment/<client>)",
      "Check that the replacements of {ran} are Ready",
      "Suspend the rebalance: aws autoscaling suspend-processes --auto-scaling-group-name <asg> --scaling-processes AZRebalance",
    ],
    fix: [
      "Run the AWS Node Termination Handler in queue-processor mode, or one Auto Scaling group per zone with --balance-similar-node-groups, so terminations are drained first",
      "Give clients TCP keepalives and timeouts (libpq keepalives_idle/tcp_user_timeout, statement_timeout; pgbouncer tcp_keepalive and query_wait_timeout)",
      "A PodDisruptionBudget and a preStop hook for {ran}; alert on job age, not only on errors",
    ],
  },
  find,
};
