/**
 * The sink every reader writes through: it keeps the Diagnosis' list of skipped lines short (the
 * first few are listed, the rest counted), and drops records whose time cannot be a date, so no
 * reader's garbage timestamp (`1e300`) reaches the engine.
 */
import { isRepresentableTime } from "../case/time.js";
import type { CaseSink, EventRecord, Labels, LogRecord, SpanRecord } from "./types.js";

/**
 * Skips listed one by one per file: enough to show what kind of damage a file has, few enough that
 * 300,000 broken lines stay a short list (the rest are counted in one closing entry).
 */
export const LISTED_SKIPS_PER_FILE = 10;

/** A time that is there but cannot be a date; a missing time (NaN) is the reader's and builder's concern. */
function isGarbageTime(t: number): boolean {
  return !Number.isNaN(t) && !isRepresentableTime(t);
}

export class GuardedSink implements CaseSink {
  /** Records passed on to the Case: tells whether a file that later failed contributed anything. */
  records = 0;
  private skips = 0;

  constructor(private readonly inner: CaseSink) {}

  addSamples(labels: Labels, metric: string, t: ArrayLike<number>, v: ArrayLike<number>, unit?: string): void {
    let garbage = 0;
    for (let i = 0; i < t.length; i++) if (isGarbageTime(t[i])) garbage++;
    if (garbage === 0) {
      this.inner.addSamples(labels, metric, t, v, unit);
      this.records += t.length;
      return;
    }
    const keptT: number[] = [];
    const keptV: number[] = [];
    for (let i = 0; i < t.length; i++) {
      if (isGarbageTime(t[i])) continue;
      keptT.push(t[i]);
      keptV.push(v[i]);
    }
    this.skip(`series ${metric}`, `${garbage} samples with a time beyond any date dropped`);
    if (keptT.length > 0) this.inner.addSamples(labels, metric, keptT, keptV, unit);
    this.records += keptT.length;
  }

  addLog(record: LogRecord): void {
    if (isGarbageTime(record.t)) this.skip("a log line", `time ${record.t} is beyond any date`);
    else this.pass(() => this.inner.addLog(record));
  }

  addSpan(record: SpanRecord): void {
    if (isGarbageTime(record.start) || !(record.duration >= 0 && Number.isFinite(record.duration)))
      this.skip(`span ${record.spanId}`, `start ${record.start} or duration ${record.duration} is not a time`);
    else this.pass(() => this.inner.addSpan(record));
  }

  addEvent(record: EventRecord): void {
    if (isGarbageTime(record.t)) this.skip(`event ${record.reason}`, `time ${record.t} is beyond any date`);
    else this.pass(() => this.inner.addEvent(record));
  }

  addObject(...args: Parameters<CaseSink["addObject"]>): void {
    this.pass(() => this.inner.addObject(...args));
  }

  addRelation(...args: Parameters<CaseSink["addRelation"]>): void {
    this.pass(() => this.inner.addRelation(...args));
  }

  skip(where: string, reason: string): void {
    this.skips++;
    if (this.skips <= LISTED_SKIPS_PER_FILE) this.inner.skip(where, reason);
  }

  /** At the end of the file: one entry counting the skips that were not listed. */
  finish(): void {
    const unlisted = this.skips - LISTED_SKIPS_PER_FILE;
    if (unlisted > 0)
      this.inner.skip(
        `${unlisted} more`,
        `${this.skips} lines or records of this file were skipped in all; the first ${LISTED_SKIPS_PER_FILE} are listed`,
      );
  }

  private pass(add: () => void): void {
    add();
    this.records++;
  }
}
