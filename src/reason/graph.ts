/** The call graph the reasoner walks: from `calls` relations and from parent/child spans across services. */
import type { Case } from "../case/model.js";

export interface CallGraph {
  callees: Map<string, Set<string>>;
  callers: Map<string, Set<string>>;
}

export function buildCallGraph(c: Case): CallGraph {
  const callees = new Map<string, Set<string>>();
  const callers = new Map<string, Set<string>>();
  const link = (from: string, to: string) => {
    if (from === to) return;
    if (!callees.has(from)) callees.set(from, new Set());
    if (!callers.has(to)) callers.set(to, new Set());
    callees.get(from)?.add(to);
    callers.get(to)?.add(from);
  };
  for (const r of c.relations) if (r.type === "calls") link(r.from, r.to);
  const serviceOf = new Map<string, string>();
  for (const span of c.spans) serviceOf.set(`${span.traceId}/${span.spanId}`, span.service);
  for (const span of c.spans) {
    const parent = span.parent ? serviceOf.get(`${span.traceId}/${span.parent}`) : undefined;
    if (parent) link(parent, span.service);
  }
  return { callees, callers };
}
