/** Call-graph CSV: `source,target[,weight]` (or caller/callee, parent/child, from/to), one call edge per row. */

import { csvHead } from "./csvHeader.js";
import { csvRecords } from "./csvRecords.js";
import { parseSampleValue } from "./samples.js";
import { type CaseSink, ReadError, type Reader, type ReaderInput } from "./types.js";

/** A header of exactly these names is a call graph and nothing else. */
const CALL_GRAPH_CONFIDENCE = 0.9;

/** Header pairs naming the calling and the called side, lower-case. */
const EDGE_NAMES: [string, string][] = [
  ["source", "target"],
  ["caller", "callee"],
  ["parent", "child"],
  ["from", "to"],
];
const WEIGHT_NAMES = new Set(["weight", "count", "calls", "value"]);

interface EdgeColumns {
  from: number;
  to: number;
  weight?: number;
}

/** The edge columns when the header is exactly a from/to pair plus at most a weight; otherwise undefined. */
function edgeColumns(header: string[]): EdgeColumns | undefined {
  if (header.length < 2 || header.length > 3) return undefined;
  const names = header.map((name) => name.trim().toLowerCase());
  for (const [fromName, toName] of EDGE_NAMES) {
    const from = names.indexOf(fromName);
    const to = names.indexOf(toName);
    if (from < 0 || to < 0) continue;
    if (header.length === 2) return { from, to };
    const weight = names.findIndex((name) => WEIGHT_NAMES.has(name));
    return weight < 0 ? undefined : { from, to, weight };
  }
  return undefined;
}

function sniff(head: string): number {
  return edgeColumns(csvHead(head).header) ? CALL_GRAPH_CONFIDENCE : 0;
}

async function read(input: ReaderInput, sink: CaseSink): Promise<void> {
  let columns: EdgeColumns | undefined;
  let width = 0;
  let edges = 0;
  for await (const { line, fields } of csvRecords(input)) {
    if (!columns) {
      columns = edgeColumns(fields);
      if (!columns) {
        throw new ReadError(
          input.file,
          `line ${line}`,
          "a header source,target[,weight] (or caller,callee / parent,child / from,to)",
        );
      }
      width = fields.length;
      continue;
    }
    if (fields.length !== width) {
      sink.skip(`line ${line}`, `expected ${width} fields as in the header, found ${fields.length}`);
      continue;
    }
    const from = fields[columns.from];
    const to = fields[columns.to];
    if (from === "" || to === "") {
      sink.skip(`line ${line}`, "expected both a calling and a called service name");
      continue;
    }
    let weight: number | undefined;
    if (columns.weight !== undefined && fields[columns.weight] !== "") {
      weight = parseSampleValue(fields[columns.weight]);
      if (weight === undefined || !Number.isFinite(weight)) {
        sink.skip(`line ${line}`, `expected a numeric weight, found "${fields[columns.weight]}"`);
        continue;
      }
    }
    sink.addRelation({ service: from }, { service: to }, "calls", weight);
    edges++;
  }
  if (!columns) throw new ReadError(input.file, "line 1", "a header source,target[,weight]");
  if (edges === 0) throw new ReadError(input.file, "line 2", "at least one source,target row after the header");
}

export const callGraphCsvReader: Reader = { format: "call-graph-csv", sniff, read };
