import { entityName } from "../case/entity.js";
import { rdsInstanceClasses, rdsMysqlLimits } from "./aws/instanceLimits.js";
import { withCheck } from "./fill.js";
import type { CheckedKind, FindContext, Finding } from "./types.js";

/**
 * A holder is the root when it holds at least this share of the connections, or of their growth since
 * the start: below it, no one client explains the exhaustion.
 */
const HOLDER_SHARE = 0.4;
/** A pool whose connections are at least this share idle is hoarding them, not using them. */
const IDLE_SHARE = 0.5;
/** At most this share of the connections running a statement: the database is full, not busy. */
const BUSY_SHARE = 0.2;
/** Words clients use when the database refuses them or their pool cannot get a connection. */
export const REFUSAL_WORDS =
  /Too many connections|ER_CON_COUNT_ERROR|1040|Connection is not available|could not obtain a connection|too many clients/i;

/** `648 = DBInstanceClassMemory / 12582880 (db.m5.large)` when the limit is an RDS class's default. */
function limitArithmetic(limit: number, technology: string | number | undefined): string | undefined {
  if (technology !== "MySQL") return undefined;
  const cls = rdsInstanceClasses().find((k) => rdsMysqlLimits(k)?.max_connections_estimate === limit);
  return cls ? `${limit} = DBInstanceClassMemory / 12582880, RDS MySQL's default on ${cls}` : undefined;
}

function find({ evidence }: FindContext): Finding[] {
  const findings: Finding[] = [];
  for (const atLimit of withCheck(evidence, "db.connections-at-limit")) {
    const db = atLimit.entity;
    const holders = withCheck(evidence, "db.connections-holder", db).sort((a, b) => b.strength - a.strength);
    const root = holders[0];
    if (!root || root.strength < HOLDER_SHARE) continue;
    const facts = {
      ...(atLimit.facts ?? {}),
      ...(root.facts ?? {}),
      entity: entityName(root.entity),
      database: entityName(db),
    };
    // The server's view decides: a connection the pool counts as borrowed but that runs nothing sits in
    // Sleep on the server. Busy connections are load or slow queries; idle ones held open are the hoard.
    const used = Math.max(1, Number(atLimit.facts?.used ?? 1));
    const serverIdle = atLimit.facts?.idle;
    const idleShare = serverIdle !== undefined ? Number(serverIdle) / used : Number(root.facts?.idleShare ?? 1);
    const running = atLimit.facts?.running;
    const busyShare = running !== undefined ? Number(running) / used : 1;
    const hoarding = idleShare >= IDLE_SHARE || busyShare <= BUSY_SHARE;
    const refusedBy = evidence.filter(
      (e) => e.entity !== root.entity && e.entity !== db && REFUSAL_WORDS.test(`${e.detail} ${e.excerpt}`),
    );
    const arithmetic = limitArithmetic(Number(atLimit.facts?.limit), atLimit.facts?.technology);
    findings.push({
      kind: dbConnectionHoarding,
      entity: root.entity,
      score: atLimit.strength * (0.6 + 0.4 * Math.min(1, root.strength)) * (hoarding ? 1 : 0.7),
      evidence: [root, atLimit, ...refusedBy.slice(0, 3)],
      resource: {
        entity: db,
        name: "max_connections",
        used: Number(atLimit.facts?.used),
        limit: Number(atLimit.facts?.limit),
        unit: "connections",
        since: atLimit.start,
        arithmetic,
      },
      via: db,
      explains: [db, ...holders.slice(1).map((h) => h.entity), ...refusedBy.map((e) => e.entity)],
      facts: {
        ...facts,
        idlePercent: Math.round(idleShare * 100),
        busyPercent: Math.round(busyShare * 100),
        sharePercent: Math.round(Number(root.facts?.share ?? 0) * 100),
      },
      contributing: [],
    });
  }
  return findings;
}

export const dbConnectionHoarding: CheckedKind = {
  id: "db.connection-hoarding",
  title: "Connection hoarding",
  root: ["service"],
  signature: {},
  checks: ["db.connections-at-limit", "db.connections-holder"],
  verdict:
    "{entity}'s connection pool holds {held} of {database}'s {limit} connections (max_connections), {idlePercent}% of them idle and {busyPercent}% running a statement: the database refuses everyone else",
  resource: "database connections (max_connections)",
  effectOnCallers: "connections refused (Too many connections) and pool timeouts for every client of the database",
  lookAlikes: [
    {
      kind: "traffic surge",
      differs: "every client grows in proportion and the connections are busy (threads_running up), not idle",
    },
    { kind: "slow queries or locks", differs: "connections sit in Query or lock waits, not in Sleep" },
    {
      kind: "code.error",
      differs: "the errors name the database's refusal (Too many connections), and the holder's share explains them",
    },
  ],
  remediation: {
    now: [
      "Restart {entity}'s pods to drop the hoarded connections: kubectl rollout restart deployment/{entity}",
      "Kill the idle sessions of {entity}'s user on {database} (on RDS: CALL mysql.rds_kill(<id>) for the Sleep rows)",
      "Raise max_connections only as a stop-gap, weighing the database's memory",
    ],
    fix: [
      "Bound {entity}'s pool: maximumPoolSize × replicas well under max_connections; minimumIdle below the maximum with idleTimeout, and maxLifetime below the server's wait_timeout (HikariCP); maxIdle/minEvictableIdleTime for Tomcat JDBC",
      "Find the code path that borrows and never returns a connection (HikariCP leakDetectionThreshold)",
      "Give each service its own database user with MAX_USER_CONNECTIONS, or put a proxy (RDS Proxy, ProxySQL) in front",
      "Alert on threads_connected / max_connections > 0.8 and on the age of Sleep connections",
    ],
  },
  find,
};
