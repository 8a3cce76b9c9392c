/**
 * Who is whose parent among a Case's spans, found once per span table and shared by every detector
 * that follows calls (traces, episodes, the call graph): rows instead of a map keyed by
 * `traceId/spanId` texts, which each of them used to build for itself.
 */
import { NO_PARENT, type SpanTable } from "./spanTable.js";

/** The row of no span. */
export const NO_ROW = -1;

export interface SpanTree {
  /** Each row's parent row: the span of the same trace with the parent's id; NO_ROW when there is none. */
  parent: Int32Array;
  /** Each row's children, in row order: rows childRows[childStart[r]..childStart[r + 1]). */
  childStart: Int32Array;
  childRows: Int32Array;
}

const built = new WeakMap<SpanTable, SpanTree>();

/** The spans' tree, built on first use. */
export function spanTree(spans: SpanTable): SpanTree {
  let tree = built.get(spans);
  if (!tree) {
    tree = buildTree(spans);
    built.set(spans, tree);
  }
  return tree;
}

/** The children of a row, as a view. */
export function childrenOf(tree: SpanTree, row: number): Int32Array {
  return tree.childRows.subarray(tree.childStart[row], tree.childStart[row + 1]);
}

/**
 * Parents by span id within the trace. Where one trace repeats a span id, the last span read with it is
 * the one its children point to.
 */
function parentRows(spans: SpanTable): Int32Array {
  const n = spans.length;
  // Rows by span id: the latest row with each id, and before each row the previous one with its id.
  const latest = new Int32Array(spans.texts.length).fill(NO_ROW);
  const previous = new Int32Array(n);
  for (let row = 0; row < n; row++) {
    previous[row] = latest[spans.spanId[row]];
    latest[spans.spanId[row]] = row;
  }
  const parent = new Int32Array(n).fill(NO_ROW);
  for (let row = 0; row < n; row++) {
    const id = spans.parentId[row];
    if (id === NO_PARENT) continue;
    let candidate = latest[id];
    while (candidate !== NO_ROW && spans.traceId[candidate] !== spans.traceId[row]) candidate = previous[candidate];
    parent[row] = candidate;
  }
  return parent;
}

function buildTree(spans: SpanTable): SpanTree {
  const parent = parentRows(spans);
  const n = spans.length;
  const childStart = new Int32Array(n + 1);
  for (let row = 0; row < n; row++) if (parent[row] !== NO_ROW) childStart[parent[row] + 1]++;
  for (let row = 0; row < n; row++) childStart[row + 1] += childStart[row];
  const filled = childStart.slice(0, n);
  const childRows = new Int32Array(childStart[n]);
  for (let row = 0; row < n; row++) if (parent[row] !== NO_ROW) childRows[filled[parent[row]]++] = row;
  return { parent, childStart, childRows };
}
