/** The call graph the reasoner walks: from `calls` relations and from parent/child spans across services. */
import type { Case } from "../case/model.js";
import { NO_ROW, spanTree } from "../case/spanTree.js";

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
  const { spans } = c;
  const { parent } = spanTree(spans);
  for (let row = 0; row < spans.length; row++)
    if (parent[row] !== NO_ROW) link(spans.serviceOf(parent[row]), spans.serviceOf(row));
  return { callees, callers };
}
