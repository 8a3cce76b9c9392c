/** A pod's JSON-lines log: one object per line with time, level, service, pod, namespace and msg. */
import { createWriteStream, type WriteStream } from "node:fs";

export const LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"] as const;
export type Level = (typeof LEVELS)[number];

export interface PodIdentity {
  service: string;
  pod: string;
  namespace: string;
}

export class JsonLogger {
  private readonly out: WriteStream;

  constructor(
    file: string,
    private readonly identity: PodIdentity,
    /** Lines below this level are not written (a service's configured log level). */
    private readonly threshold: Level,
  ) {
    this.out = createWriteStream(file, { flags: "a" });
  }

  log(level: Level, msg: string, extra: Record<string, unknown> = {}): void {
    if (LEVELS.indexOf(level) < LEVELS.indexOf(this.threshold)) return;
    const record = { time: new Date().toISOString(), level, ...this.identity, msg, ...extra };
    this.out.write(`${JSON.stringify(record)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}
