/**
 * What a lab run could leave on the host: network namespaces, iptables rules, scratch directories
 * and processes. A snapshot before the run and one after; whatever is new afterwards was left behind.
 * Namespaces and rules belong to the whole host: while another lab run (another checkout's, on a shared
 * machine) is going, new ones cannot be told apart from it, and are reported as not checked instead.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SCRATCH_PREFIX } from "../../src/lab/run.js";
import { isAlive, pidsMentioning } from "./processes.js";

export interface HostState {
  netns: string[];
  iptables: string[];
  scratch: string[];
}

/** The lines a command prints, or none when it is not installed or not allowed (no root). */
function linesOf(command: string, args: string[]): string[] {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.status !== 0) return [];
  return result.stdout.split("\n").filter((line) => line.trim() !== "");
}

export function hostState(scratchRoot = tmpdir()): HostState {
  return {
    // `ip netns list` prints "name (id: N)" once a namespace has an id; the name is what stays.
    netns: linesOf("ip", ["netns", "list"]).map((line) => line.split(" ")[0] as string),
    iptables: linesOf("iptables", ["-S"]),
    scratch: readdirSync(scratchRoot)
      .filter((name) => name.startsWith(SCRATCH_PREFIX))
      .map((name) => join(scratchRoot, name)),
  };
}

/**
 * One line per thing left behind: namespaces, rules and scratch directories present after but not
 * before, the started PIDs still running, and any process whose command line or environment names one
 * of the run's scratch directories (what a server forked outside the PIDs the run holds).
 */
export function leftovers(
  before: HostState,
  after: HostState,
  run: { startedPids: number[]; scratchDirs: string[] },
  others = otherLabRuns(run.scratchDirs),
): { found: string[]; unchecked?: string } {
  const added = (key: keyof HostState) => after[key].filter((item) => !before[key].includes(item));
  const own = [
    ...added("scratch").map((dir) => `scratch directory ${dir}`),
    ...run.startedPids.filter(isAlive).map((pid) => `process ${pid} (started by the run)`),
    ...run.scratchDirs.flatMap((dir) => pidsMentioning(dir).map((pid) => `process ${pid} (names ${dir})`)),
  ];
  const host = [
    ...added("netns").map((name) => `network namespace ${name}`),
    ...added("iptables").map((rule) => `iptables rule ${rule}`),
  ];
  if (others.length > 0 && host.length > 0)
    return {
      found: own,
      unchecked: `${host.join(", ")} appeared while other lab runs were going (${others.join(", ")})`,
    };
  return { found: [...own, ...host] };
}

/** Processes of lab runs other than these (their command line or environment names another scratch directory). */
function otherLabRuns(ownScratch: string[]): number[] {
  return pidsMentioning(SCRATCH_PREFIX).filter((pid) => !ownScratch.some((dir) => pidsMentioning(dir).includes(pid)));
}
