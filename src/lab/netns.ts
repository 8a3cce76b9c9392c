/**
 * Machines of the lab's own: a network namespace that stands for a cluster node, joined to this host by
 * a veth pair with addresses in a private range the lab owns (10.213.<slot>.0/30: the host side .1, the
 * node .2). Processes started "on" the node run inside the namespace, so everything they listen on is
 * reachable only through that link; cutting the node off (every packet dropped inside it) and deleting
 * it are single steps, and deleting the namespace takes its veth pair and firewall rules with it.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Every namespace the lab creates is named with this prefix (the leftovers test looks for it). */
export const NETNS_PREFIX = "beneath-lab-";
/** The lab's address range: 10.213.<slot>.0/30 per node, a /16 no cluster network defaults to. */
export const LAB_NET = "10.213.0.0/16";
const slotNet = (slot: number) => `10.213.${slot}`;
/** The host's ends of the lab's veth pairs are named with this prefix and the slot. */
export const HOST_DEVICE_PREFIX = "bnl";
/** Slots tried: one /30 per node in the /16's first octet-sized block. */
const SLOTS = 256;

export interface LabNode {
  /** The node's name in the recording (the `node` label of what runs on it). */
  name: string;
  netns: string;
  /** The node's own address (inside the namespace). */
  address: string;
  /** The host's end of the link: servers on the host that the node must reach listen here too. */
  hostAddress: string;
  /** The node's interface (inside the namespace), where a traffic shaper goes. */
  device: string;
  /** The host's end of the veth pair. */
  hostDevice: string;
}

/** The lab's nodes are named by their place in the run (`lab-node-1`, ...), so a scenario's truth can name one. */
export function nodeName(index: number): string {
  return `lab-node-${index + 1}`;
}

/** Whether a command that fails when what it creates already exists succeeded. */
function succeeds(command: string, args: string[]): Promise<boolean> {
  return run(command, args).then(
    () => true,
    () => false,
  );
}

/** Runs `ip`, `iptables` or `tc`; a failure names the command and what it said. */
async function sh(command: string, args: string[]): Promise<void> {
  await run(command, args).catch((err: Error & { stderr?: string }) => {
    throw new Error(`${command} ${args.join(" ")} failed: ${(err.stderr ?? err.message).trim()}`);
  });
}

/**
 * The namespace of a run's node in a slot: named after the run's process as well as the slot, so a
 * run never mistakes another run's namespace (or one a crashed run left) for its own.
 */
export function nodeNamespace(slot: number, pid: number = process.pid): string {
  return `${NETNS_PREFIX}${pid}-node-${slot}`;
}

/**
 * Creates a node in the first free slot. The slot (its addresses) is claimed by creating its host link
 * (`ip link add` fails when the name exists, so two runs at once never share a slot; a slot whose link a
 * crashed run left is skipped), the namespace is the run's own.
 */
export async function createNode(name: string): Promise<LabNode> {
  for (let slot = 0; slot < SLOTS; slot++) {
    const node: LabNode = {
      name,
      netns: nodeNamespace(slot),
      address: `${slotNet(slot)}.2`,
      hostAddress: `${slotNet(slot)}.1`,
      device: "eth0",
      hostDevice: `${HOST_DEVICE_PREFIX}${slot}`,
    };
    // Taken: this run's other node, or one a dead run with the same PID left.
    if (!(await succeeds("ip", ["netns", "add", node.netns]))) continue;
    const link = ["link", "add", node.hostDevice, "type", "veth", "peer", "name", node.device, "netns", node.netns];
    if (!(await succeeds("ip", link))) {
      await run("ip", ["netns", "delete", node.netns]).catch(() => {});
      continue;
    }
    try {
      await sh("ip", ["addr", "add", `${node.hostAddress}/30`, "dev", node.hostDevice]);
      await sh("ip", ["link", "set", node.hostDevice, "up"]);
      await inNodeSh(node, "ip", ["addr", "add", `${node.address}/30`, "dev", node.device]);
      await inNodeSh(node, "ip", ["link", "set", node.device, "up"]);
      await inNodeSh(node, "ip", ["link", "set", "lo", "up"]);
      return node;
    } catch (err) {
      await deleteNode(node);
      throw err;
    }
  }
  throw new Error(`no free lab network slot: ${SLOTS} links named ${HOST_DEVICE_PREFIX}* exist`);
}

/** The command line that runs `command` on the node (ip netns exec replaces itself with it: same PID). */
export function onNode(node: LabNode, command: string, args: string[]): { command: string; args: string[] } {
  return { command: "ip", args: ["netns", "exec", node.netns, command, ...args] };
}

export function inNodeSh(node: LabNode, command: string, args: string[]): Promise<void> {
  const line = onNode(node, command, args);
  return sh(line.command, line.args);
}

/**
 * The node drops off the network as a terminated instance does: every packet in or out is dropped
 * inside it, so nothing it had open sends a FIN or an RST; its peers' packets go unanswered.
 */
export async function cutOff(node: LabNode): Promise<void> {
  for (const chain of ["INPUT", "OUTPUT", "FORWARD"]) await inNodeSh(node, "iptables", ["-w", "-P", chain, "DROP"]);
}

/**
 * Deletes the node's link and namespace (its firewall rules go with it); a node already gone is fine.
 * The link goes explicitly: a namespace lives on while sockets of its killed processes still retry
 * (a cut-off node's FINs, for minutes), and its veth pair with it.
 */
export async function deleteNode(node: LabNode): Promise<void> {
  await run("ip", ["link", "delete", node.hostDevice]).catch(() => {});
  await run("ip", ["netns", "delete", node.netns]).catch(() => {});
}

/** The lab's namespaces that exist now (for the leftovers test and for a clear error). */
export async function labNamespaces(): Promise<string[]> {
  const { stdout } = await run("ip", ["netns", "list"]);
  return stdout
    .split("\n")
    .map((line) => line.split(" ")[0])
    .filter((name) => name?.startsWith(NETNS_PREFIX));
}

export interface ShaperSpec {
  /** The rate the node may send at (kbit/s), as a cloud's per-instance bandwidth allowance caps it. */
  rateKbit: number;
  /** Bytes it may send at once above the rate (the token bucket). */
  burstBytes: number;
  /** How long a packet may wait in the queue before it is dropped (ms): the queue's length in time. */
  latencyMs: number;
}

/** Caps what the node sends with a token-bucket filter on its interface: beyond the rate, packets queue, then drop. */
export async function shape(node: LabNode, spec: ShaperSpec): Promise<void> {
  await inNodeSh(node, "tc", [
    "qdisc",
    "replace",
    "dev",
    node.device,
    "root",
    "tbf",
    "rate",
    `${spec.rateKbit}kbit`,
    "burst",
    String(spec.burstBytes),
    "latency",
    `${spec.latencyMs}ms`,
  ]);
}
