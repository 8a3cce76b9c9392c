/**
 * A pod's JSON-lines log: one object per line with time, level, service, pod, namespace and msg. Its
 * level can be changed while it runs (as Spring Boot's /actuator/loggers does), and the file is rotated
 * as the kubelet rotates a container's log (`containerLogMaxSize`, one rotated file kept), so a flood
 * keeps only its last lines on disk.
 */
import { createWriteStream, openSync, renameSync, type WriteStream } from "node:fs";

export const LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"] as const;
export type Level = (typeof LEVELS)[number];

export interface PodIdentity {
  service: string;
  pod: string;
  namespace: string;
}

/** Bytes a log file reaches before it is rotated: the kubelet's default containerLogMaxSize (10Mi). */
const ROTATE_BYTES = 10 * 1024 * 1024;

export class JsonLogger {
  private out: WriteStream;
  private written = 0;

  constructor(
    private readonly file: string,
    private readonly identity: PodIdentity,
    /** Lines below this level are not written (a service's configured log level). */
    private threshold: Level,
    /** Called with the level of every line written (a per-level counter, as Micrometer's logback_events). */
    private readonly onLine: (level: Level) => void = () => {},
    private readonly rotateBytes = ROTATE_BYTES,
  ) {
    this.out = JsonLogger.open(file);
  }

  /** Opened at once, not when the stream gets to it: a rotation right after must find the file to rename. */
  private static open(file: string): WriteStream {
    return createWriteStream("", { fd: openSync(file, "a") });
  }

  get level(): Level {
    return this.threshold;
  }

  setLevel(level: Level): void {
    this.threshold = level;
  }

  enabled(level: Level): boolean {
    return LEVELS.indexOf(level) >= LEVELS.indexOf(this.threshold);
  }

  log(level: Level, msg: string, extra: Record<string, unknown> = {}): void {
    if (!this.enabled(level)) return;
    const line = `${JSON.stringify({ time: new Date().toISOString(), level, ...this.identity, msg, ...extra })}\n`;
    this.out.write(line);
    this.onLine(level);
    this.written += line.length;
    if (this.written >= this.rotateBytes) this.rotate();
  }

  /** The current file becomes `<file>.1` (replacing the previous one) and a new file is started. */
  private rotate(): void {
    this.out.end();
    renameSync(this.file, `${this.file}.1`);
    this.out = JsonLogger.open(this.file);
    this.written = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}
