/** Splitting one CSV line into its fields, for sniffing a header without a full CSV parse. */

/**
 * The fields of one CSV line (comma-separated, RFC 4180 double quotes, `""` inside quotes), trimmed,
 * with a leading byte-order mark removed. An unclosed quote runs to the end of the line.
 */
export function parseCsvHeader(line: string): string[] {
  const text = line.replace(/^\uFEFF/, "");
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      fields.push(field.trim());
      field = "";
    } else {
      field += c;
    }
  }
  fields.push(field.trim());
  return fields;
}

/** The first line of a sniffing head (without its line break). */
export function firstLine(head: string): string {
  const end = head.search(/\r?\n/);
  return end < 0 ? head : head.slice(0, end);
}

/** The header and, when the head holds one, the first data row of a CSV head. */
export function csvHead(head: string): { header: string[]; firstRow?: string[] } {
  const lines = head.split(/\r?\n/, 3);
  const header = parseCsvHeader(lines[0] ?? "");
  // The second line is only a complete row when a line break follows it.
  const firstRow = lines.length >= 3 && lines[1] !== "" ? parseCsvHeader(lines[1]) : undefined;
  return { header, firstRow };
}
