/**
 * The processes a lab run starts, tracked by PID so that exactly those (and nothing else) are stopped:
 * SIGTERM first, SIGKILL for whatever has not exited after a grace period. Each is started as the
 * leader of its own process group and signalled through it, so what a server forks (a start script's
 * Erlang VM and its helpers) stops with it, and a Ctrl-C reaches only the lab, which stops them in order.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { openSync, readdirSync, readFileSync } from "node:fs";

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
    // Helpers that moved to a session of their own (Erlang's erl_child_setup does) are outside the group.
    const helpers = descendants(proc.pid);
    const anyLeft = () => groupAlive(proc.pid) || helpers.some(isRunning);
    signalGroup(proc.pid, "SIGTERM");
    // The whole group gets the grace period: a start script may exit before the server it started.
    const deadline = Date.now() + graceMs;
    while (anyLeft() && Date.now() < deadline) await sleep(EXIT_POLL_MS);
    if (anyLeft()) {
      signalGroup(proc.pid, "SIGKILL");
      for (const pid of helpers.filter(isRunning)) signal(pid, "SIGKILL");
      const killDeadline = Date.now() + KILL_WAIT_MS;
      while (anyLeft() && Date.now() < killDeadline) await sleep(EXIT_POLL_MS);
    }
    await proc.exited;
  }

  /**
   * Stops every process still running, one after the other, newest first: clients before the servers
   * they use (a RabbitMQ node's shutdown still needs the epmd started before it; stopped together,
   * its stop command starts a daemon epmd of its own that escapes the group).
   */
  async stopAll(graceMs = STOP_GRACE_MS): Promise<void> {
    for (const proc of [...this.running.values()].reverse()) await this.stop(proc, graceMs);
  }
}

/** State letter, parent PID and process group of a process, from /proc/<pid>/stat (its name may hold spaces and parentheses). */
function procStat(pid: number): { state: string; ppid: number; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: state ?? "", ppid: Number(ppid), pgrp: Number(pgrp) };
  } catch {
    return undefined;
  }
}

/** Running, not gone and not a zombie waiting to be reaped (an orphan's reaper may be slow). */
function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== "Z";
}

/** Every process descended from `pid`, whatever group or session it moved to. */
function descendants(pid: number): number[] {
  const childrenOf = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat) childrenOf.set(stat.ppid, [...(childrenOf.get(stat.ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const next = queue.shift() as number;
    const children = childrenOf.get(next) ?? [];
    found.push(...children);
    queue = queue.concat(children);
  }
  return found;
}

/** Whether any process of the group `pid` leads still exists (zombies aside). */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
  } catch {
    return false;
  }
  // kill(2) counts zombies; a group of zombies has nothing left to stop.
  return readdirSync("/proc").some((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    const stat = procStat(Number(entry));
    return stat !== undefined && stat.state !== "Z" && stat.pgrp === pid;
  });
}

/** Signals the process group `pid` leads (the negative PID addresses the group). */
function signalGroup(pid: number, sig: NodeJS.Signals): void {
  signal(-pid, sig);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    // ESRCH: it exited between the check and the signal, which is what we wanted.
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
