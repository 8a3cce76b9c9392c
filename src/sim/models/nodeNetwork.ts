/**
 * The network allowance of each EC2 node (its ENA): traffic the node's pods want against the instance's
 * baseline bandwidth per direction, with bursts up to the "up to" figure paid for from a network I/O
 * credit bucket. Past the allowance AWS queues, then drops, packets: the ENA's `*_allowance_exceeded`
 * counters count them (node_exporter's ethtool collector), TCP retransmits, throughput flat-tops at the
 * allowance, and a kubelet whose API-server connection stalls long enough loses its node (NotReady).
 * Sources: ../shared/knowledge/aws/ec2-network-limits.md; EC2 User Guide, "Amazon EC2 instance network
 * bandwidth" and "Monitor network performance for ENA settings"; prometheus/node_exporter ethtool_linux.go.
 */
import type { Rng } from "../rng.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import { BYTES_PER_PACKET, type Cluster, NODE_EXPORTER, type Node, type Pod } from "./cluster.js";

/**
 * Size of the network I/O credit bucket, as seconds of full burst. AWS publishes no bucket size: the EC2
 * guide says instances can burst "for a limited time, typically from 5 to 60 minutes, depending on the
 * instance size"; small sizes such as t3.medium sit at the low end.
 */
const FULL_BURST_SECONDS = 300;
/**
 * AWS publishes no PPS allowance (ec2-network-limits.md). Assumed: it scales with the bandwidth allowance
 * in force as if packets averaged this size, so the PPS counter moves only well past the bandwidth allowance.
 */
const PPS_ALLOWANCE_PACKET_BYTES = 500;
/** Of the packets over the allowance, the share the shaper drops rather than queues (an estimate). */
const DROPPED_SHARE = 0.3;
/**
 * Above this share of undelivered traffic, the kubelet's single HTTP/2 connection to the API server sits
 * in growing retransmission timeouts; the hazard of it stalling grows with the share (a model choice).
 */
const KUBELET_STALL_SEVERITY = 0.35;
/** Mean seconds to a stall when nothing gets through. */
const KUBELET_STALL_MEAN_SECONDS = 90;

/** Each ENA allowance statistic becomes `node_ethtool_<name>`; all five are exported, quiet ones stay 0. */
const ALLOWANCE_STATS = [
  "bw_in_allowance_exceeded",
  "bw_out_allowance_exceeded",
  "pps_allowance_exceeded",
  "conntrack_allowance_exceeded",
  "linklocal_allowance_exceeded",
] as const;
type AllowanceStat = (typeof ALLOWANCE_STATS)[number];

/** What the node's network did with its pods' traffic this tick. */
export interface NodeLink {
  /** Share of the wanted traffic that got through in the worse direction (1: all of it). */
  delivered: number;
}

interface LinkState {
  creditsIn: number;
  creditsOut: number;
  exceeded: Record<AllowanceStat, number>;
  link: NodeLink;
  /** Whether the kubelet's connection to the API server is stalled. */
  stalled: boolean;
}

/** One direction through the shaper: what got through, and the credits left. */
function shape(
  demand: number,
  baseline: number,
  burst: number,
  credits: number,
  maxCredits: number,
  dt: number,
): { delivered: number; allowance: number; credits: number } {
  const allowance = Math.min(burst, baseline + credits / dt);
  if (demand <= baseline) {
    return { delivered: demand, allowance, credits: Math.min(maxCredits, credits + (baseline - demand) * dt) };
  }
  const delivered = Math.min(demand, allowance);
  return { delivered, allowance, credits: Math.max(0, credits - (delivered - baseline) * dt) };
}

export class NodeNetwork implements Model {
  readonly name = "node-network";
  /** After every workload has said what traffic it wants this tick. */
  readonly phase = PHASE.observer;
  private readonly rng: Rng;
  private readonly links = new Map<Node, LinkState>();

  constructor(
    private readonly cluster: Cluster,
    private readonly world: World,
  ) {
    this.rng = world.rng.fork("node-network");
  }

  private maxCredits(node: Node): number {
    return (node.burstBytesPerSecond - node.baselineBytesPerSecond) * FULL_BURST_SECONDS;
  }

  /**
   * A node running since before the recording has a full bucket. One launched during it starts empty and
   * earns while under its baseline: AWS documents no launch credits for network I/O (an assumption, as
   * T3 instances in their default unlimited mode get no launch CPU credits either).
   */
  private state(node: Node): LinkState {
    let s = this.links.get(node);
    if (!s) {
      const credits = node.created < this.world.scenario.start ? this.maxCredits(node) : 0;
      s = {
        creditsIn: credits,
        creditsOut: credits,
        exceeded: Object.fromEntries(ALLOWANCE_STATS.map((k) => [k, 0])) as Record<AllowanceStat, number>,
        link: { delivered: 1 },
        stalled: false,
      };
      this.links.set(node, s);
    }
    return s;
  }

  /** How the node's network treated its pods last tick (the pods feel it on their next requests). */
  link(node: Node | undefined): NodeLink {
    return (node && this.links.get(node)?.link) ?? { delivered: 1 };
  }

  /** Share of the network I/O credit bucket left, worse direction (for tests and checks). */
  creditShare(node: Node): number {
    const s = this.state(node);
    return Math.min(s.creditsIn, s.creditsOut) / this.maxCredits(node);
  }

  /** Allowance-exceeded packets counted on the node so far, all ENA counters together. */
  exceededPackets(node: Node): number {
    const e = this.state(node).exceeded;
    return ALLOWANCE_STATS.reduce((sum, k) => sum + e[k], 0);
  }

  /**
   * The fact a truth names as `{most-saturated-node}`: the node whose ENA has counted the most
   * allowance-exceeded packets so far (recorded up to the alert).
   */
  private recordMostSaturated(): void {
    let best: [Node, number] | undefined;
    for (const node of this.links.keys()) {
      const n = this.exceededPackets(node);
      if (!best || n > best[1]) best = [node, n];
    }
    if (best && best[1] > 0) this.world.facts.set("most-saturated-node", best[0].name);
  }

  step(tick: Tick): void {
    const on = this.cluster.podsByNode();
    for (const node of this.cluster.nodes) {
      if (!node.present) {
        this.links.delete(node);
        continue;
      }
      this.shapeNode(
        node,
        (on.get(node) ?? []).filter((p) => p.phase === "Running"),
        tick,
      );
    }
    if (tick.offset <= this.world.scenario.alert) this.recordMostSaturated();
  }

  private shapeNode(node: Node, pods: Pod[], tick: Tick): void {
    const s = this.state(node);
    const { dt } = tick;
    const wantIn = pods.reduce((sum, p) => sum + p.usage.rxBytes, 0);
    const wantOut = pods.reduce((sum, p) => sum + p.usage.txBytes, 0);
    const max = this.maxCredits(node);
    const base = node.baselineBytesPerSecond;
    const burst = node.burstBytesPerSecond;
    const rx = shape(wantIn, base, burst, s.creditsIn, max, dt);
    const tx = shape(wantOut, base, burst, s.creditsOut, max, dt);
    s.creditsIn = rx.credits;
    s.creditsOut = tx.credits;
    // The pods only moved what got through.
    const inShare = wantIn > 0 ? rx.delivered / wantIn : 1;
    const outShare = wantOut > 0 ? tx.delivered / wantOut : 1;
    const overIn = (wantIn - rx.delivered) / BYTES_PER_PACKET;
    const overOut = (wantOut - tx.delivered) / BYTES_PER_PACKET;
    for (const p of pods) {
      // Each pod's TCP stack resends its share of what the shaper dropped on the way out (node_netstat
      // counts them); what was dropped on the way in is resent by the peers' stacks.
      if (wantOut > 0) p.usage.retransmits += overOut * DROPPED_SHARE * (p.usage.txBytes / wantOut);
      p.usage.rxBytes *= inShare;
      p.usage.txBytes *= outShare;
    }
    const ppsAllowance = (rx.allowance + tx.allowance) / PPS_ALLOWANCE_PACKET_BYTES;
    const overPps = Math.max(0, (wantIn + wantOut) / BYTES_PER_PACKET - ppsAllowance);
    s.exceeded.bw_in_allowance_exceeded += this.rng.poisson(overIn * dt);
    s.exceeded.bw_out_allowance_exceeded += this.rng.poisson(overOut * dt);
    s.exceeded.pps_allowance_exceeded += this.rng.poisson(overPps * dt);
    const delivered = Math.min(inShare, outShare);
    s.link = { delivered };
    this.kubelet(node, s, 1 - delivered, tick);
  }

  /**
   * The kubelet's status updates share the link: once its connection stalls, the API server stops
   * hearing from it (NotReady after the grace period, see NodeLifecycle); it recovers when the link does.
   */
  private kubelet(node: Node, s: LinkState, severity: number, tick: Tick): void {
    const lifecycle = this.cluster.lifecycle;
    if (severity < KUBELET_STALL_SEVERITY) {
      s.stalled = false;
      lifecycle.reconnect(node, tick.t);
      return;
    }
    if (s.stalled) return;
    const hazard = (severity - KUBELET_STALL_SEVERITY) / (1 - KUBELET_STALL_SEVERITY) / KUBELET_STALL_MEAN_SECONDS;
    if (this.rng.next() >= 1 - Math.exp(-hazard * tick.dt)) return;
    s.stalled = true;
    lifecycle.cutOff(node, tick.t + this.rng.next() * tick.dt);
  }

  /**
   * The ENA statistics through node_exporter's ethtool collector, off by default (`--collector.ethtool`),
   * so only when the topology enables it; and only from nodes Prometheus can reach.
   */
  observe(): void {
    if (!this.cluster.spec.bool("nodeExporter.ethtool", false)) return;
    const m = this.world.metrics;
    for (const [node, s] of this.links) {
      if (!node.ready) continue;
      const labels = { instance: `${node.ip}:9100`, node: node.name, device: "eth0" };
      for (const stat of ALLOWANCE_STATS) m.get(NODE_EXPORTER, `node_ethtool_${stat}`, labels).set(s.exceeded[stat]);
    }
  }
}
