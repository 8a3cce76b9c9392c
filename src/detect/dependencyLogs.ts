/**
 * Error lines that name the dependency they could not reach ("connect ECONNREFUSED cart:8080",
 * "HTTPConnectionPool(host='cart', port=8080): Max retries exceeded") testify about that dependency,
 * not only about the writer: a caller's connection failures are the callee's lost availability.
 * A callee that crashed or restarted often has no error lines of its own (it was not running), so
 * without this its callers' echoes look like their own faults.
 */

import { entityName } from "../case/entity.js";
import type { Case } from "../case/model.js";
import type { Evidence } from "./types.js";

/** Words of a failure to reach a peer at all (not an error the peer returned). */
const UNREACHABLE =
  /refused|timed out|timeout|unreachable|reset by peer|no route to host|could not connect|failed to connect|max retries exceeded|connection error|deadline exceeded|name or service not known|no such host/i;

/** `name` written as a network peer: a URL host, `host:port`, `host='name'`, or `connect to name port`. */
function peerPattern(name: string): RegExp {
  const n = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(
    `(?://${n}(?=[:/'"\\s]|$))|(?<![\\w.-])${n}:\\d{2,5}\\b|host=['"]?${n}['"]?(?![\\w.-])|connect to ${n} port\\b`,
    "i",
  );
}

/**
 * For log evidence of `writer` whose sample names another service of the case as an unreachable peer,
 * the same testimony as evidence on that peer, in the errors family.
 */
/** The caller's log numbers travel with it: they are what the report shows for this link. */
function numbersOf(e: Evidence): Pick<Evidence, "value" | "baseline" | "unit" | "template"> {
  const { value, baseline, unit, template } = e;
  return { value, baseline, unit, template };
}

export function dependencyEvidence(c: Case, logEvidence: Evidence[], nextId: () => string): Evidence[] {
  const services = [...c.entities.values()]
    .filter((e) => e.kind === "service")
    .map((e) => ({ id: e.id, pattern: peerPattern(e.name) }));
  const out: Evidence[] = [];
  const seen = new Set<string>();
  for (const e of logEvidence) {
    if (e.type !== "log" || !UNREACHABLE.test(e.excerpt)) continue;
    for (const peer of services) {
      if (peer.id === e.entity || !peer.pattern.test(e.excerpt)) continue;
      const key = `${peer.id}\u0000${e.entity}\u0000${e.signal}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        id: nextId(),
        entity: peer.id,
        signal: `calls from ${entityName(e.entity)}: ${e.signal}`,
        type: "log",
        family: "errors",
        start: e.start,
        strength: e.strength,
        detail: `${entityName(e.entity)} cannot reach it: ${e.detail}`,
        excerpt: e.excerpt,
        ...numbersOf(e),
      });
    }
  }
  return out;
}
