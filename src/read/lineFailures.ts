/**
 * Unreadable lines of a line-oriented file: skipped when they are a few, a ReadError when they are
 * most of the file (then the file is not in the format the reader took it for).
 */
import { type CaseSink, ReadError } from "./types.js";

/**
 * Lines looked at before deciding whether the bad ones are a few: enough that one truncated or
 * garbled line does not decide, few enough that the skips held back stay small.
 */
const DECISION_LINES = 100;

export class LineFailures {
  private good = 0;
  private bad = 0;
  private first?: { where: string; reason: string };
  /** Skips held back until DECISION_LINES have been seen, so that a file of the wrong format yields one error, not a skip per line. */
  private pending: { where: string; reason: string }[] = [];
  private decided = false;

  constructor(
    private readonly file: string,
    private readonly sink: CaseSink,
    /** What a readable line is, for the error message: "a JSON object". */
    private readonly expected: string,
  ) {}

  read(): void {
    this.good++;
    this.decideOnce();
  }

  failed(where: string, reason: string): void {
    this.bad++;
    this.first ??= { where, reason };
    if (this.decided) this.sink.skip(where, reason);
    else this.pending.push({ where, reason });
    this.decideOnce();
  }

  /** At the end of the input: an error when nothing was readable or most lines were not. */
  finish(): void {
    if (this.good === 0 && this.bad === 0)
      throw new ReadError(this.file, "line 1", `${this.expected}; the file is empty`);
    this.decide();
  }

  private decideOnce(): void {
    if (!this.decided && this.good + this.bad >= DECISION_LINES) this.decide();
  }

  private decide(): void {
    if (this.bad > this.good && this.first) {
      throw new ReadError(
        this.file,
        this.first.where,
        `${this.expected} (${this.first.reason}; ${this.bad} of ${this.good + this.bad} lines are unreadable)`,
      );
    }
    for (const { where, reason } of this.pending) this.sink.skip(where, reason);
    this.pending = [];
    this.decided = true;
  }
}
