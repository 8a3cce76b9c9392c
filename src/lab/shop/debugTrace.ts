/**
 * What a service's request path writes at DEBUG: the trace a framework and its driver write when their
 * loggers are turned up (the request, the statement and its bound parameter, then every row and value
 * read: Hibernate's "Extracted value" lines). A handful of statements, repeated per row read, so the
 * volume grows with the work and the templates stay few.
 */

/** The shop's items: the rows a request's trace walks through cycle over these columns. */
const COLUMNS = [
  ["name", "VARCHAR"],
  ["price", "DECIMAL"],
  ["rating", "TINYINT"],
] as const;

/** `lines` DEBUG messages for one request for item `id` at `url`. */
export function debugTrace(url: string, id: number, lines: number): string[] {
  const out: string[] = [];
  if (lines <= 0) return out;
  out.push(`Received GET ${url}`);
  if (lines > 1) out.push(`Binding parameter [1] as [INTEGER] - [${id}]`);
  for (let row = 0; out.length < lines; row++) {
    const [column, type] = COLUMNS[row % COLUMNS.length] as (typeof COLUMNS)[number];
    out.push(`Extracted value ([${column}] : [${type}]) - [row ${Math.floor(row / COLUMNS.length)} of item ${id}]`);
  }
  return out;
}
