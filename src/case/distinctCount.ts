/**
 * How many distinct strings were seen, in fixed memory: exactly while they are few, then estimated
 * with HyperLogLog (Flajolet et al., "HyperLogLog: the analysis of a near-optimal cardinality
 * estimation algorithm", 2007). Counting the names folded beyond a cap must not itself hold them all.
 */

/** Strings counted exactly (kept in a set) before the count turns to an estimate. */
export const EXACT_UP_TO = 1024;
/**
 * log2 of the registers: 2^14 one-byte registers (16 KiB) give a standard error of 1.04/√16384 ≈ 0.8%
 * (within 2% nearly always): close enough to say "about 600,000", small enough to keep one per entity kind.
 */
const PRECISION = 14;
const REGISTERS = 1 << PRECISION;
/** HyperLogLog's bias correction for this many registers (the paper's α_m for m ≥ 128). */
const ALPHA = 0.7213 / (1 + 1.079 / REGISTERS);

/** FNV-1a over the UTF-16 units, then MurmurHash3's finaliser so that every bit depends on every unit. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class DistinctCount {
  private exact: Set<string> | undefined = new Set();
  private registers: Uint8Array | undefined;

  add(text: string): void {
    if (this.exact) {
      this.exact.add(text);
      if (this.exact.size <= EXACT_UP_TO) return;
      this.registers = new Uint8Array(REGISTERS);
      for (const seen of this.exact) this.sketch(seen);
      this.exact = undefined;
      return;
    }
    this.sketch(text);
  }

  /** Whether `count` is exact (few strings) rather than an estimate. */
  get isExact(): boolean {
    return this.exact !== undefined;
  }

  get count(): number {
    if (this.exact) return this.exact.size;
    const registers = this.registers as Uint8Array;
    let sum = 0;
    let zeros = 0;
    for (const r of registers) {
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const raw = (ALPHA * REGISTERS * REGISTERS) / sum;
    // Small counts leave registers empty; counting those (linear counting) is the better estimate there.
    const estimate = raw <= 2.5 * REGISTERS && zeros > 0 ? REGISTERS * Math.log(REGISTERS / zeros) : raw;
    return Math.round(estimate);
  }

  private sketch(text: string): void {
    const h = hash32(text);
    const index = h >>> (32 - PRECISION);
    // The position of the first 1 bit in the rest of the hash (all zeros counts as one past the end).
    const rank = Math.min(Math.clz32(h << PRECISION) + 1, 32 - PRECISION + 1);
    const registers = this.registers as Uint8Array;
    if (rank > registers[index]) registers[index] = rank;
  }
}
