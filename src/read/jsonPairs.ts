/**
 * A fast path for arrays of `[number, "number"]` pairs (a Prometheus series' samples): read straight
 * from the bytes into two columns, without the small arrays and strings JSON.parse would make for
 * each. Anything else (a `"NaN"`, a time as text, a syntax error) makes it give up on the batch, and
 * the caller parses that batch with JSON.parse instead, so the values and the errors are JSON.parse's.
 */
import type { PairColumns } from "./samples.js";

const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Decimal digits an integer holds exactly in a double (below 2^53). */
const EXACT_DIGITS = 15;
/** Powers of ten a double holds exactly: a 15-digit integer times or over one of them rounds once, correctly. */
const EXACT_POWERS = Array.from({ length: 23 }, (_, k) => 10 ** k);

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Reads pairs from bytes, tracking its position; a number read is left in `number`. */
class PairReader {
  private i = 0;
  private number = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly end: number,
  ) {}

  /** Every item from `start` into `out`, or false at the first thing that is not a plain pair. */
  read(start: number, out: PairColumns): boolean {
    out.count = 0;
    this.i = start;
    this.skipWhitespace();
    if (this.i === this.end) return true;
    for (;;) {
      if (!this.expect(OPEN_BRACKET) || !this.readNumber(false)) return false;
      const first = this.number;
      if (!this.expect(COMMA) || !this.readNumber(true) || !this.expect(CLOSE_BRACKET)) return false;
      out.push(first, this.number);
      this.skipWhitespace();
      if (this.i === this.end) return true;
      if (!this.expect(COMMA)) return false;
    }
  }

  /**
   * A whole array from just after its `[`: every item into `out` up to its closing `]`, whose index it
   * returns; -1 at the first thing that is not a plain pair, or when the bytes end before the array does
   * (every number is followed by a delimiter, so one cut off by the end is never read short).
   */
  readArray(start: number, out: PairColumns): number {
    out.count = 0;
    this.i = start;
    this.skipWhitespace();
    if (this.i < this.end && this.bytes[this.i] === CLOSE_BRACKET) return this.i;
    for (;;) {
      if (!this.expect(OPEN_BRACKET) || !this.readNumber(false)) return -1;
      const first = this.number;
      if (!this.expect(COMMA) || !this.readNumber(true) || !this.expect(CLOSE_BRACKET)) return -1;
      out.push(first, this.number);
      this.skipWhitespace();
      if (this.i >= this.end) return -1;
      if (this.bytes[this.i] === CLOSE_BRACKET) return this.i;
      if (!this.expect(COMMA)) return -1;
    }
  }

  private skipWhitespace(): void {
    while (this.i < this.end && isWhitespace(this.bytes[this.i])) this.i++;
  }

  private expect(c: number): boolean {
    this.skipWhitespace();
    if (this.bytes[this.i] !== c || this.i >= this.end) return false;
    this.i++;
    return true;
  }

  /**
   * A JSON number, or (when `quoted` allows) a decimal number in quotes as Prometheus writes values.
   * Up to 15 significant digits and a power of ten up to 22 are computed exactly; longer ones go
   * through Number(), so the value is always the one JSON.parse and Number() give.
   */
  private readNumber(quotedAllowed: boolean): boolean {
    this.skipWhitespace();
    const b = this.bytes;
    const quoted = quotedAllowed && b[this.i] === QUOTE;
    if (quoted) this.i++;
    const start = this.i;
    let i = this.i;
    const negative = b[i] === MINUS;
    if (negative) i++;
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    const firstDigit = i;
    while (i < this.end && b[i] >= ZERO && b[i] <= NINE) {
      mantissa = mantissa * 10 + (b[i] - ZERO);
      if (mantissa > 0) digits++;
      i++;
    }
    const integerDigits = i - firstDigit;
    // JSON has no leading zeros and needs a digit before the point.
    if (integerDigits === 0 || (integerDigits > 1 && b[firstDigit] === ZERO)) return false;
    if (i < this.end && b[i] === DOT) {
      i++;
      const fractionStart = i;
      while (i < this.end && b[i] >= ZERO && b[i] <= NINE) {
        mantissa = mantissa * 10 + (b[i] - ZERO);
        if (mantissa > 0) digits++;
        i++;
      }
      if (i === fractionStart) return false;
      scale = i - fractionStart;
    }
    let exact = digits <= EXACT_DIGITS;
    if (i < this.end && (b[i] === 0x65 || b[i] === 0x45)) {
      i++;
      if (i < this.end && (b[i] === PLUS || b[i] === MINUS)) i++;
      const exponentStart = i;
      while (i < this.end && b[i] >= ZERO && b[i] <= NINE) i++;
      if (i === exponentStart) return false;
      exact = false;
    }
    if (quoted && (i >= this.end || b[i] !== QUOTE)) return false;
    if (exact && scale < EXACT_POWERS.length) {
      const magnitude = mantissa / EXACT_POWERS[scale];
      this.number = negative ? -magnitude : magnitude;
    } else this.number = Number(b.toString("latin1", start, i));
    this.i = quoted ? i + 1 : i;
    return true;
  }
}

/** Reads the items between `start` and `end` as pairs into `out`; false when they are not all plain pairs. */
export function readPairs(bytes: Buffer, start: number, end: number, out: PairColumns): boolean {
  return new PairReader(bytes, end).read(start, out);
}

/**
 * Reads the array whose items start at `start` (just after its `[`) when it is all plain pairs and
 * ends within `bytes`: returns the index of its `]`, or -1 (then nothing is known about it).
 */
export function readPairArray(bytes: Buffer, start: number, out: PairColumns): number {
  return new PairReader(bytes, bytes.length).readArray(start, out);
}
