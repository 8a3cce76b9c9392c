/**
 * The processes a lab run starts, tracked by PID so that exactly those (and nothing else) are stopped:
 * SIGTERM first, SIGKILL for whatever has not exited after a grace period. Each is started as the
 * leader of its own process group and signalled through it, so what a server forks (a start script's
 * Erlang VM and its helpers) stops with it, and a Ctrl-C reaches only the lab, which stops them in order.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { openSync } from "node:fs";

/** How long a server gets to exit after SIGTERM before it is killed: MariaDB flushes InnoDB in a few seconds. */
const STOP_GRACE_MS = 15_000;
/** How long processes killed with SIGKILL may take to disappear (to be reaped). */
const KILL_WAIT_MS = 5_000;
/** How often a stopping process is checked for exit. */
const EXIT_POLL_MS = 100;

export interface StartOptions {
  /** stdout and stderr are appended here, so a server that fails to start can be diagnosed. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface LabProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Set once the process has exited (by itself or stopped). */
  exited: Promise<void>;
  /** The last lines of its log file, for error messages. */
  logFile: string;
}

export class ProcessGroup {
  private readonly running = new Map<number, LabProcess>();
  private readonly started: number[] = [];

  start(name: string, command: string, args: string[], options: StartOptions): LabProcess {
    const out = openSync(options.logFile, "a");
    const child = spawn(command, args, {
      stdio: ["ignore", out, out],
      env: options.env ?? process.env,
      cwd: options.cwd,
      detached: true,
    });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    const pid = child.pid;
    const exited = new Promise<void>((resolve) => {
      child.once("exit", () => {
        this.running.delete(pid);
        resolve();
      });
      child.once("error", () => {
        this.running.delete(pid);
        resolve();
      });
    });
    const proc: LabProcess = { name, pid, child, exited, logFile: options.logFile };
    this.running.set(pid, proc);
    this.started.push(pid);
    return proc;
  }

  /** The PIDs still running. */
  pids(): number[] {
    return [...this.running.keys()];
  }

  /** Every PID this group started, running or not (tests check each is gone). */
  startedPids(): number[] {
    return [...this.started];
  }

  isRunning(proc: LabProcess): boolean {
    return this.running.has(proc.pid);
  }

  /** Stops one process by its PID: SIGTERM, then SIGKILL after the grace period. */
  async stop(proc: LabProcess, graceMs = STOP_GRACE_MS): Promise<void> {
    if (!this.running.has(proc.pid)) return;
    signalGroup(proc.pid, "SIGTERM");
    // The whole group gets the grace period: a start script may exit before the server it started.
    const deadline = Date.now() + graceMs;
    while (groupAlive(proc.pid) && Date.now() < deadline) await sleep(EXIT_POLL_MS);
    if (groupAlive(proc.pid)) {
      signalGroup(proc.pid, "SIGKILL");
      const killDeadline = Date.now() + KILL_WAIT_MS;
      while (groupAlive(proc.pid) && Date.now() < killDeadline) await sleep(EXIT_POLL_MS);
    }
    await proc.exited;
  }

  /** Stops every process still running, newest first (clients before the servers they use). */
  async stopAll(graceMs = STOP_GRACE_MS): Promise<void> {
    const procs = [...this.running.values()].reverse();
    await Promise.all(procs.map((proc) => this.stop(proc, graceMs)));
  }
}

/** Whether any process of the group `pid` leads still exists. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signals the process group `pid` leads (the negative PID addresses the group). */
function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch (err) {
    // ESRCH: it exited between the check and the signal, which is what we wanted.
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
