/**
 * What runs on every lab node besides its workloads: prometheus-node-exporter inside the node's
 * namespace, so its network counters (netdev, netstat, qdisc) are the node's own; and the node's end:
 * terminated without drain (cut off, then every process on it killed at once).
 */
import { join } from "node:path";
import { httpOk, waitUntil } from "./net.js";
import { cutOff, type LabNode, onNode } from "./netns.js";
import type { LabProcess, ProcessGroup } from "./processes.js";
import { BINARIES } from "./requirements.js";

/** node_exporter's usual port (the node has an address of its own). */
const NODE_EXPORTER_PORT = 9100;
const START_TIMEOUT_MS = 30_000;
/**
 * Collectors kept: the node's own network, which its namespace gives it — interface counters and drops
 * (netdev), TCP retransmits and timeouts (netstat), what its queueing disciplines dropped or held back
 * (qdisc). CPU and memory would be the whole host's, shared by every lab node and by other runs: not
 * the node's, so left out.
 */
const NODE_COLLECTORS = ["netdev", "netstat", "qdisc"];
/** netstat's default fields plus the TCP counters a dropping link moves. */
const NETSTAT_FIELDS =
  "^(Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|TcpExt_(TCPSynRetrans|TCPTimeouts|TCPLostRetransmit|TCPLossProbes))$";

export interface NodeExporter {
  proc: LabProcess;
  /** host:port */
  address: string;
}

export async function startNodeExporterOn(group: ProcessGroup, scratch: string, node: LabNode): Promise<NodeExporter> {
  const address = `${node.address}:${NODE_EXPORTER_PORT}`;
  const line = onNode(node, BINARIES.nodeExporter.command, [
    `--web.listen-address=${address}`,
    "--collector.disable-defaults",
    ...NODE_COLLECTORS.map((c) => `--collector.${c}`),
    // The exporter's own Go runtime series say nothing about the node.
    "--web.disable-exporter-metrics",
    `--collector.netstat.fields=${NETSTAT_FIELDS}`,
  ]);
  const logFile = join(scratch, `node-exporter-${node.name}.log`);
  const proc = group.start(`node-exporter on ${node.name}`, line.command, line.args, { logFile });
  await waitUntil(`node_exporter on ${node.name}`, () => httpOk(`http://${address}/metrics`), {
    timeoutMs: START_TIMEOUT_MS,
    alive: () => group.isRunning(proc),
    logFile,
  });
  return { proc, address };
}

/**
 * The instance is gone with no drain: first its network (every packet dropped, so the processes'
 * sockets close with no FIN or RST reaching anyone), then its processes, killed at once (no SIGTERM).
 */
export async function terminateWithoutDrain(group: ProcessGroup, node: LabNode, procs: LabProcess[]): Promise<void> {
  await cutOff(node);
  for (const proc of procs) proc.child.kill("SIGKILL");
  await Promise.all(procs.map((proc) => group.stop(proc)));
}
