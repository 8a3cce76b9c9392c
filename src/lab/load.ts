/**
 * A bounded load generator: requests at a set rate against the shop's front door, for at most a
 * given duration and with at most a given number in flight, counting answers per second the way a
 * gateway's 5xx alert sees them.
 */
import { Agent, request } from "node:http";

/** Ticks per second: requests go out in small batches, not one burst a second. */
const TICKS_PER_SECOND = 10;
/** Requests in flight at most; beyond it a tick's requests are counted as shed, not sent. */
const MAX_IN_FLIGHT = 200;
/** A request unanswered after this long counts as a failure (a gateway's upstream timeout). */
const REQUEST_TIMEOUT_MS = 15_000;
/** Item ids requested: the shop's items table holds this many rows. */
const ITEM_IDS = 1000;

export interface SecondCounts {
  ok: number;
  failed: number;
  shed: number;
}

export class LoadGenerator {
  private rate: number;
  private inFlight = 0;
  private carry = 0;
  private timer?: NodeJS.Timeout;
  private stopAt = 0;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  /** Answers per unix second. */
  readonly perSecond = new Map<number, SecondCounts>();

  constructor(
    private readonly url: string,
    ratePerSecond: number,
  ) {
    this.rate = ratePerSecond;
  }

  /** Starts sending; stops by itself after `maxSeconds`. */
  start(maxSeconds: number): void {
    this.stopAt = Date.now() + maxSeconds * 1000;
    this.timer = setInterval(() => this.tick(), 1000 / TICKS_PER_SECOND);
  }

  setRate(ratePerSecond: number): void {
    this.rate = ratePerSecond;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Waits (at most the request timeout) for requests still in flight, then frees the sockets. */
  async drain(): Promise<void> {
    this.stop();
    const deadline = Date.now() + REQUEST_TIMEOUT_MS;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    this.close();
  }

  /** Stops at once, dropping requests in flight. */
  close(): void {
    this.stop();
    this.agent.destroy();
  }

  /** The share of failed answers over the `seconds` whole seconds before `now` (unix s), with how many answers it is over. */
  failureShare(now: number, seconds: number): { share: number; answers: number } {
    let ok = 0;
    let failed = 0;
    for (let s = Math.floor(now) - seconds; s < Math.floor(now); s++) {
      const c = this.perSecond.get(s);
      if (!c) continue;
      ok += c.ok;
      failed += c.failed;
    }
    const answers = ok + failed;
    return { share: answers ? failed / answers : 0, answers };
  }

  private tick(): void {
    if (Date.now() >= this.stopAt) {
      this.stop();
      return;
    }
    this.carry += this.rate / TICKS_PER_SECOND;
    const n = Math.floor(this.carry);
    this.carry -= n;
    for (let i = 0; i < n; i++) {
      if (this.inFlight >= MAX_IN_FLIGHT) this.count("shed");
      else this.send();
    }
  }

  private send(): void {
    this.inFlight++;
    const id = 1 + Math.floor(Math.random() * ITEM_IDS);
    let settled = false;
    // An error can follow the end of a response (a reset socket): each request is counted once.
    const done = (outcome: "ok" | "failed") => {
      if (settled) return;
      settled = true;
      this.inFlight--;
      this.count(outcome);
    };
    const req = request(`${this.url}/${id}`, { agent: this.agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on("end", () => done((res.statusCode ?? 0) < 500 ? "ok" : "failed"));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => done("failed"));
    req.end();
  }

  private count(outcome: keyof SecondCounts): void {
    const second = Math.floor(Date.now() / 1000);
    const c = this.perSecond.get(second) ?? { ok: 0, failed: 0, shed: 0 };
    c[outcome]++;
    this.perSecond.set(second, c);
  }
}
