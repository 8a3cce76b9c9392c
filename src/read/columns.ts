/** General rules that recognise columns and fields by name, shared by every tabular and JSON reader. */

/** Names of time columns/fields, compared case-insensitively after removing `_`, `-`, spaces and a unit suffix. */
const TIME_NAMES = new Set(["time", "timestamp", "ts", "date", "datetime", "eventtime", "timeunixnano", "@timestamp"]);

export function normaliseName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/\(.*\)$/, "")
    .replace(/[\s_-]/g, "");
}

export function isTimeColumn(name: string): boolean {
  return TIME_NAMES.has(normaliseName(name));
}

/** The canonical label (`service`, `pod`, ...) a column name stands for, or undefined. */
export function entityLabelOf(name: string): string | undefined {
  if (entityLabels.has(name)) return entityLabels.get(name);
  const label = entityLabelOfName(name);
  // Field names repeat on every line of a file: remember the answer (few distinct names exist).
  if (entityLabels.size < ENTITY_LABELS_MAX) entityLabels.set(name, label);
  return label;
}

const entityLabels = new Map<string, string | undefined>();
const ENTITY_LABELS_MAX = 4096;

function entityLabelOfName(name: string): string | undefined {
  const n = normaliseName(name);
  if (n === "servicename" || n === "service" || n === "svc") return "service";
  if (n === "podname" || n === "pod") return "pod";
  if (n === "app" || n === "application") return "app";
  if (n === "container" || n === "containername") return "container";
  if (n === "node" || n === "nodename" || n === "host" || n === "hostname") return "node";
  if (n === "deployment" || n === "job" || n === "instance") return n;
  return undefined;
}
