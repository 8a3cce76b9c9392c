/**
 * Which signal family a metric belongs to, and which direction of change is bad, from its name alone.
 * General rules over the words real exporters use (cAdvisor, node_exporter, Istio, Micrometer, ...).
 */
import { HOST_METRIC } from "../case/entity.js";
import type { SignalFamily } from "./types.js";

export type BadDirection = "up" | "down" | "either";

export interface MetricClass {
  family: SignalFamily;
  bad: BadDirection;
  /** Host-level metrics reported beside a workload's (node CPU in a pod's file) describe the node, not it. */
  hostScoped: boolean;
  /**
   * Client-side measurements (Istio `reporter="source"`, `*ClientLatency*`) time the calls a workload
   * makes: they describe its callees more than itself.
   */
  callerSide: boolean;
}

/** Ordered: the first matching rule wins, so specific words come before generic ones. */
const RULES: { pattern: RegExp; family: SignalFamily; bad: BadDirection }[] = [
  // A container that restarts, crash-loops or is not ready fails the calls sent to it: lost availability.
  { pattern: /restart|crashloop|unavailable|terminated_reason|waiting_reason/i, family: "errors", bad: "up" },
  { pattern: /success|availability|available$|status_ready$|up$/i, family: "errors", bad: "down" },
  { pattern: /error|fail|5xx|exception|timeout|refused|reject/i, family: "errors", bad: "up" },
  { pattern: /drop|retrans|loss|allowance_exceeded/i, family: "packet-loss", bad: "up" },
  { pattern: /cpu|throttl|load1|load5/i, family: "cpu", bad: "up" },
  // Memory still free or available falling is the pressure, not it rising.
  { pattern: /mem\w*(avail|free)|(avail|free)\w*mem/i, family: "memory", bad: "down" },
  // The kernel's page cache and reclaimable memory (node_exporter's meminfo) fill whatever is idle and
  // are given back on demand: their growth is room in use, not a leak.
  {
    pattern: /^node_memory_(Cached|Buffers|Active_file|Inactive(_file)?|SReclaimable|Mapped|Dirty|Writeback)_bytes$/,
    family: "other",
    bad: "either",
  },
  { pattern: /mem|rss|heap|working_set|oom|swap/i, family: "memory", bad: "up" },
  {
    pattern: /lat|duration|response_?time|delay|wait|_seconds(_bucket|_sum)?$|\(s\)$|p9\d|p50/i,
    family: "latency",
    bad: "up",
  },
  // System-call counts measure how much work a process does, not whether its disk is saturated.
  { pattern: /syscall/i, family: "throughput", bad: "either" },
  { pattern: /disk|_fs_|io_time|iowait|blkio|read_bytes|write_bytes/i, family: "disk", bad: "up" },
  { pattern: /network|receive|transmit|_rx|_tx|bytes_(in|out)|packets/i, family: "network", bad: "either" },
  {
    pattern: /lod|load|workload|ops|requests|rps|qps|throughput|rate|count|total$/i,
    family: "throughput",
    bad: "either",
  },
];

/** Host-scoped metrics (a node's CPU in a pod's file) are weaker evidence about the workload itself. */
export const HOST_SCOPED_WEIGHT = 0.5;

const CALLER_SIDE = /client|outbound|upstream/i;

/**
 * Classes already worked out, by metric name: a metric is asked about once per series and alert lag
 * (hundreds of thousands of times at scale), while a system has a few thousand names at most.
 */
const classified = new Map<string, MetricClass>();

export function classifyMetric(metric: string): MetricClass {
  let known = classified.get(metric);
  if (!known) {
    known = classify(metric);
    classified.set(metric, known);
  }
  return known;
}

function classify(metric: string): MetricClass {
  const hostScoped = HOST_METRIC.test(metric);
  const callerSide = CALLER_SIDE.test(metric);
  for (const rule of RULES) {
    if (rule.pattern.test(metric)) return { family: rule.family, bad: rule.bad, hostScoped, callerSide };
  }
  return { family: "other", bad: "either", hostScoped, callerSide };
}
