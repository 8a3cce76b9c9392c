/**
 * Text that came from the input (log lines, label values, file names) is printed to terminals and
 * Markdown viewers, where control characters act: ANSI/OSC escapes recolour, retitle or clear the
 * terminal, a carriage return overwrites what was printed, bidirectional overrides reorder what is
 * read. Each such character is shown as its code instead (`\x1b`, `\u202e`), so it is visible and inert.
 */

/**
 * C0 controls but tab and line feed, DEL, C1 controls (0x9b is a one-byte CSI), and the Unicode
 * bidirectional embeddings, overrides and isolates.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this module's job.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function code(char: string): string {
  const n = char.charCodeAt(0);
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
}

/** `text` with its control characters shown as codes; a Windows line end stays a line end. */
export function escapeControl(text: string): string {
  return text.replace(/\r\n/g, "\n").replace(CONTROL, code);
}

/** A copy of `value` (a Diagnosis, or any JSON-like data) with every string escaped. */
export function escapeStrings<T>(value: T): T {
  if (typeof value === "string") return escapeControl(value) as T;
  if (Array.isArray(value)) return value.map(escapeStrings) as T;
  if (typeof value === "object" && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = escapeStrings(item);
    return copy as T;
  }
  return value;
}
