/**
 * Seeded randomness for the simulator. Every model draws from its own stream, derived from the case
 * seed and the model's name, so adding a component to a scenario does not change the draws of the others.
 */

/** FNV-1a: a stable 32-bit hash of a stream's name. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Kubernetes generates name suffixes from this alphabet (no vowels, no 0/1/3). */
const K8S_SUFFIX_CHARS = "bcdfghjklmnpqrstvwxz2456789";

export class Rng {
  private state: number;
  private spareNormal: number | undefined;

  constructor(seed: number, stream = "") {
    this.state = (hash32(`${seed}:${stream}`) ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0 || 1;
  }

  /** An independent stream for a named part of the model. */
  fork(stream: string): Rng {
    return new Rng(this.next() * 2 ** 32, stream);
  }

  /** Uniform in [0, 1): mulberry32, small and good enough for telemetry noise. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal (Marsaglia polar method). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    for (;;) {
      const u = 2 * this.next() - 1;
      const v = 2 * this.next() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        this.spareNormal = v * m;
        return u * m;
      }
    }
  }

  /** `value` with multiplicative noise of relative size `relative` (never negative). */
  jitter(value: number, relative: number): number {
    return Math.max(0, value * (1 + relative * this.normal()));
  }

  /** A Poisson count with mean `mean`; the normal approximation above 50, where it is accurate enough. */
  poisson(mean: number): number {
    if (!(mean > 0)) return 0;
    if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** A count of successes out of `n` trials with probability `p`, by the Poisson or normal approximation. */
  binomial(n: number, p: number): number {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    const mean = n * p;
    if (n * p * (1 - p) > 25) {
      return Math.min(n, Math.max(0, Math.round(mean + Math.sqrt(mean * (1 - p)) * this.normal())));
    }
    return Math.min(n, this.poisson(mean));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A random Kubernetes name suffix of `length` characters. */
  k8sSuffix(length: number): string {
    let s = "";
    for (let i = 0; i < length; i++) s += K8S_SUFFIX_CHARS[Math.floor(this.next() * K8S_SUFFIX_CHARS.length)];
    return s;
  }

  /** `bytes` random bytes as lower-case hex (trace and span ids). */
  hex(bytes: number): string {
    let s = "";
    for (let i = 0; i < bytes; i++)
      s += Math.floor(this.next() * 256)
        .toString(16)
        .padStart(2, "0");
    return s;
  }
}
