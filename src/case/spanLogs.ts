/**
 * Which log templates were written inside which span, kept per line in a few bytes. Lines with trace
 * context usually name a span of their own, so a map from span to templates grows by a string key and
 * a list per line (hundreds of MB per GB of logs), and most of those spans are not in the Case at all.
 * Here each line keeps a 53-bit hash of its span and its template's number; the ties are resolved
 * once, against the spans the Case holds, when it is built. Two different spans share a hash with a
 * chance of about (lines × spans) / 2^53: below one in a thousand for a million spans and four
 * million traced lines.
 */
import type { SpanTable } from "./spanTable.js";

/** Rows allocated at first; the columns double as lines arrive. */
const INITIAL_ROWS = 1024;
/** The low part of the hash: 21 bits, so that 32 + 21 = 53 bits fit a double exactly. */
const LOW_BITS = 2 ** 21;

/** Two independent 32-bit string hashes (FNV-1a and a multiplicative one) over `traceId/spanId`. */
function spanHash(traceId: string, spanId: string): number {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  const mix = (code: number) => {
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x85ebca6b);
    b ^= b >>> 13;
  };
  for (let i = 0; i < traceId.length; i++) mix(traceId.charCodeAt(i));
  mix(0x2f);
  for (let i = 0; i < spanId.length; i++) mix(spanId.charCodeAt(i));
  return (a >>> 0) * LOW_BITS + ((b >>> 0) % LOW_BITS);
}

export class SpanLogTies {
  private hashes = new Float64Array(INITIAL_ROWS);
  private templates = new Int32Array(INITIAL_ROWS);
  private rows = 0;

  /** A line of template number `template` was written in span `spanId` of trace `traceId`. */
  add(traceId: string, spanId: string, template: number): void {
    if (this.rows === this.hashes.length) {
      const hashes = new Float64Array(this.rows * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
      const templates = new Int32Array(this.rows * 2);
      templates.set(this.templates);
      this.templates = templates;
    }
    this.hashes[this.rows] = spanHash(traceId, spanId);
    this.templates[this.rows] = template;
    this.rows++;
  }

  /** Ties to each span the templates of the lines written in it, in the order of the lines. */
  tieTo(spans: SpanTable): void {
    if (this.rows === 0 || spans.length === 0) return;
    const byHash = new Map<number, number[]>();
    for (let row = 0; row < spans.length; row++) {
      const hash = spanHash(spans.traceOf(row), spans.spanIdOf(row));
      const same = byHash.get(hash);
      if (same) same.push(row);
      else byHash.set(hash, [row]);
    }
    // Two passes over the lines: how many templates each span gets, then the templates in place.
    const start = new Int32Array(spans.length + 1);
    for (let line = 0; line < this.rows; line++)
      for (const row of byHash.get(this.hashes[line]) ?? []) start[row + 1]++;
    for (let row = 0; row < spans.length; row++) start[row + 1] += start[row];
    const list = new Int32Array(start[spans.length]);
    const filled = start.slice(0, spans.length);
    for (let line = 0; line < this.rows; line++)
      for (const row of byHash.get(this.hashes[line]) ?? []) list[filled[row]++] = this.templates[line];
    spans.tieLogTemplates({ start, list });
  }
}
