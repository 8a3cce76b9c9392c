/**
 * One copy of each text that many records repeat (trace ids, operations, a parent's span id), and
 * every kept text a copy of its own rather than a piece of the line it was read from: V8 keeps a
 * substring as a view of its whole source line, so a span holding a 32-character trace id sliced from
 * a 150-byte CSV row keeps the row.
 */
export class StringPool {
  private readonly strings = new Map<string, string>();

  /** The pool's copy of `text`, made the first time `text` is seen. */
  intern(text: string): string {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    const own = ownCopy(text);
    this.strings.set(own, own);
    return own;
  }

  /** Lets the pool go once the records are built: the records keep the strings. */
  clear(): void {
    this.strings.clear();
  }
}

/**
 * A copy of `text` that holds only its own characters. Joining with a character and cutting it off
 * again makes V8 flatten the text into a new string (the cut keeps at most that new string).
 */
function ownCopy(text: string): string {
  return ` ${text}`.slice(1);
}
