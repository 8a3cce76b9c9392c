/**
 * A number for each distinct text that many records repeat (trace ids, operations, a parent's span
 * id), and one copy of each text.
 *
 * The numbers live in an open-addressing table of typed arrays rather than a Map: for millions of
 * distinct texts (a trace id per request) a Map costs several times the time and memory, most of it
 * in growing and collecting its entries.
 */

/** Slots allocated at first; the table doubles as texts arrive. */
const INITIAL_SLOTS = 1 << 12;
/** A slot holding no text. */
const EMPTY = -1;

export class TextNumbers {
  /** The texts, each once, at their numbers. */
  readonly texts: string[] = [];
  /** Each text's hash, at its number: the table is rebuilt from them as it grows. */
  private hashes = new Int32Array(INITIAL_SLOTS / 2);
  /** Text numbers by hash, probed linearly; kept at most half full so that a probe ends soon. */
  private slots = new Int32Array(INITIAL_SLOTS).fill(EMPTY);

  /**
   * The number of `text`, given the first time it is seen. The table keeps the text itself: hand it one
   * that holds only its own characters (JSON.parse's strings do; a piece of a line needs ownCopy).
   */
  numberOf(text: string): number {
    const hash = fnv1a(text);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (let n = this.slots[slot]; n !== EMPTY; n = this.slots[slot]) {
      if (this.hashes[n] === hash && this.texts[n] === text) return n;
      slot = (slot + 1) & mask;
    }
    const n = this.texts.length;
    this.texts.push(text);
    if (n === this.hashes.length) {
      const hashes = new Int32Array(n * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.hashes[n] = hash;
    this.slots[slot] = n;
    if (2 * (n + 1) > this.slots.length) this.rehash();
    return n;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (let n = 0; n < this.texts.length; n++) {
      let slot = this.hashes[n] & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = n;
    }
    this.slots = slots;
  }
}

/** 32-bit FNV-1a over the UTF-16 code units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash;
}

/**
 * A copy of `text` that holds only its own characters: V8 keeps a substring as a view of its whole
 * source, so a 32-character trace id sliced from a 150-byte CSV row would keep the row. Joining with a
 * character and cutting it off again makes V8 flatten the text into a new string (the cut keeps at most
 * that new string).
 */
export function ownCopy(text: string): string {
  return ` ${text}`.slice(1);
}
