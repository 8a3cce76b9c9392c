import { entityName } from "../case/entity.js";
import { withCheck } from "./fill.js";
import type { CheckedKind, FindContext, Finding } from "./types.js";

/** Words clients use when the broker blocks their publishes (its reason, the protocol's method, the clients' own errors). */
export const BLOCKED_WORDS =
  /connection\.blocked|connection blocked|blocked by the broker|ConnectionBlockedTimeout|blocked connection|low on memory|memory alarm|resource alarm/i;

function find({ evidence }: FindContext): Finding[] {
  const findings: Finding[] = [];
  for (const memory of withCheck(evidence, "broker.memory-at-watermark")) {
    const broker = memory.entity;
    const sources = withCheck(evidence, "broker.connections-source", broker);
    // A workload that did not exist at the start and appeared before the broker filled.
    const newcomers = withCheck(evidence, "workload.new").filter((e) => e.start <= memory.start && e.entity !== broker);
    const ranked = [
      ...sources.map((s) => ({ e: s, weight: s.strength + (s.facts?.new ? 0.3 : 0) })),
      ...newcomers.map((n) => ({ e: n, weight: 0.3 + 0.2 * Math.min(1, Number(n.facts?.pods ?? 0) / 50) })),
    ].sort((a, b) => b.weight - a.weight);
    const root = ranked[0]?.e;
    if (!root) continue;
    const source = sources.find((s) => s.entity === root.entity);
    // The broker's other clients that say it blocked them: its victims, whose callers see the failures.
    const blocked = evidence.filter(
      (e) => e.entity !== root.entity && e.entity !== broker && BLOCKED_WORDS.test(`${e.detail} ${e.excerpt}`),
    );
    const arrived = newcomers.find((n) => n.entity === root.entity);
    const facts: Record<string, string | number> = {
      ...(memory.facts ?? {}),
      ...(arrived?.facts ?? {}),
      ...(source?.facts ?? {}),
      entity: entityName(root.entity),
      broker: entityName(broker),
      memoryPercent: Math.round((Number(memory.facts?.memory) / Math.max(1, Number(memory.facts?.limit))) * 100),
    };
    findings.push({
      kind: brokerConnectionStorm,
      entity: root.entity,
      score: memory.strength * Math.min(1, 0.55 + 0.45 * Math.min(1, ranked[0].weight)),
      evidence: [...(source ? [source] : []), ...(arrived ? [arrived] : []), memory, ...blocked.slice(0, 3)],
      resource: {
        entity: broker,
        name: "memory high watermark",
        used: Number(memory.facts?.memory),
        limit: Number(memory.facts?.limit),
        unit: "bytes",
        since: memory.start,
      },
      via: broker,
      explains: [
        broker,
        ...sources.filter((s) => s.entity !== root.entity).map((s) => s.entity),
        ...blocked.map((e) => e.entity),
      ],
      facts,
      contributing: [],
    });
  }
  return findings;
}

export const brokerConnectionStorm: CheckedKind = {
  id: "broker.connection-storm",
  title: "Broker connection storm",
  root: ["service"],
  signature: {},
  checks: ["broker.memory-at-watermark", "broker.connections-source", "workload.new"],
  verdict:
    "{entity} opened a flood of connections to {broker} ({connections} connections, {referenceConnections} before): broker memory reached {memoryPercent}% of its watermark and the memory alarm blocked every publisher",
  resource: "broker memory (vm_memory_high_watermark) and connections",
  effectOnCallers: "publishes blocked or timed out (connection.blocked, handshake timeouts) for every publisher",
  lookAlikes: [
    {
      kind: "traffic surge",
      differs:
        "publishers are the usual services, connections grow with their replicas, memory stays under the watermark",
    },
    {
      kind: "scheduled batch within budget",
      differs: "a known job whose connections and publish rate stay bounded; no memory alarm",
    },
    { kind: "consumers too slow", differs: "scaling consumers adds connections and does not clear the alarm" },
  ],
  remediation: {
    now: [
      "Stop the source: kubectl -n {namespace} delete job {entity} (or scale it to 0)",
      "Close its connections (rabbitmqctl close_connection, or block its user/vhost) and let the memory alarm clear",
      "Do not scale consumers further: each new consumer adds connections and memory",
    ],
    fix: [
      "Limit connections and channels per user or vhost (rabbitmqctl set_user_limits / set_vhost_limits max-connections)",
      "Give batch work its own vhost or cluster, with publisher confirms and a bounded publish rate",
      "Set the memory watermark relative to the container limit (vm_memory_high_watermark.absolute)",
      "Admission policy or ResourceQuota on namespaces so unsanctioned workloads cannot appear unannounced; alert on rabbitmq_alarms_memory_used_watermark == 1 and on connection jumps",
    ],
  },
  find,
};
