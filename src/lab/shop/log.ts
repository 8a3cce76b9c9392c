/** A pod's JSON-lines log: one object per line with time, level, service, pod, namespace and msg. */
import { createWriteStream, type WriteStream } from "node:fs";

export type Level = "DEBUG" | "INFO" | "WARN" | "ERROR";

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
  ) {
    this.out = createWriteStream(file, { flags: "a" });
  }

  log(level: Level, msg: string, extra: Record<string, unknown> = {}): void {
    const record = { time: new Date().toISOString(), level, ...this.identity, msg, ...extra };
    this.out.write(`${JSON.stringify(record)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}
