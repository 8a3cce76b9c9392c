/**
 * The AWS VPC CNI (aws-node's ipamd) on every node: ENIs attached on demand up to the instance's limit,
 * secondary IPs (or /28 prefixes with prefix delegation) kept warm, an address given to each pod
 * before its sandbox starts, released addresses cooling down before reuse. A pod that finds no free
 * address fails sandbox creation, as the plugin reports it, and ipamd logs the empty datastore.
 * Sources: aws/amazon-vpc-cni-k8s README, docs/prefix-and-ip-target.md, pkg/ipamd, pkg/ipamd/datastore.
 */
import { ec2Limits } from "../../catalogue/aws/instanceLimits.js";
import type { Rng } from "../rng.js";
import type { LogSource } from "../telemetry.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import type { Cluster, Node, Pod } from "./cluster.js";

/** WARM_ENI_TARGET's default: keep one ENI's worth of free addresses attached (secondary-IP mode). */
const WARM_ENI_TARGET = 1;
/** WARM_PREFIX_TARGET's default with prefix delegation: keep one free /28 prefix. */
const WARM_PREFIX_TARGET = 1;
/** Addresses in a /28 prefix. */
const PREFIX_ADDRESSES = 16;
/** IP_COOLDOWN_PERIOD's default: a released address is not handed out again for 30 s. */
const IP_COOLDOWN_SECONDS = 30;
/**
 * Seconds for ipamd to grow its pool: the reconcile loop notices the shortage, then EC2
 * CreateNetworkInterface, AttachNetworkInterface and AssignPrivateIpAddresses (an estimate).
 */
const POOL_GROW_SECONDS = 10;
/** ipamd serves its Prometheus metrics on this port of the node (aws-node is host-network). */
const METRICS_PORT = 61678;
/** One FailedCreatePodSandBox event per pod per kubelet sandbox retry, about every 15 s. */
const SANDBOX_RETRY_SECONDS = 15;

const JOB = "aws-node";

interface NodeIpam {
  node: Node;
  maxEnis: number;
  /** Secondary addresses (or prefixes) per ENI: the primary address is not given to pods. */
  slotsPerEni: number;
  enis: number;
  /** Prefixes attached (prefix delegation only). */
  prefixes: number;
  assigned: Set<Pod>;
  /** Release times of addresses still cooling down. */
  cooling: number[];
  /** When an ENI or prefix being added becomes usable. */
  growingUntil?: number;
  noAddress: number;
  addRequests: number;
  delRequests: number;
}

export class VpcCni implements Model {
  readonly name = "vpc-cni";
  readonly phase = PHASE.infrastructure;
  private readonly rng: Rng;
  private readonly nodes = new Map<Node, NodeIpam>();
  private readonly lastSandboxFailure = new Map<Pod, number>();

  constructor(
    private readonly cluster: Cluster,
    private readonly world: World,
  ) {
    this.rng = world.rng.fork("vpc-cni");
    cluster.addStartGate((pod, t) => this.assign(pod, t));
  }

  private ipam(node: Node): NodeIpam {
    let s = this.nodes.get(node);
    if (!s) {
      const limits = ec2Limits(node.instanceType);
      const maxEnis = limits?.max_enis ?? 1;
      const slotsPerEni = (limits?.ipv4_per_eni ?? 2) - 1;
      s = {
        node,
        maxEnis,
        slotsPerEni,
        enis: 1,
        prefixes: node.prefixDelegation ? WARM_PREFIX_TARGET : 0,
        assigned: new Set(),
        cooling: [],
        noAddress: 0,
        addRequests: 0,
        delRequests: 0,
      };
      this.nodes.set(node, s);
    }
    return s;
  }

  /** Addresses attached to the node's ENIs for pods (warm and used). */
  total(s: NodeIpam): number {
    return s.node.prefixDelegation ? s.prefixes * PREFIX_ADDRESSES : s.enis * s.slotsPerEni;
  }

  /** The most addresses the node can ever hold for pods (awscni_ip_max). */
  maxAddresses(s: NodeIpam): number {
    return s.maxEnis * s.slotsPerEni * (s.node.prefixDelegation ? PREFIX_ADDRESSES : 1);
  }

  private cooling(s: NodeIpam, t: number): number {
    while (s.cooling.length > 0 && t - s.cooling[0] >= IP_COOLDOWN_SECONDS) s.cooling.shift();
    return s.cooling.length;
  }

  /** What ipamd's warm target asks for: ENIs (or prefixes) so the free addresses reach the target. */
  private wanted(s: NodeIpam, t: number): { enis: number; prefixes: number } {
    const used = s.assigned.size + this.cooling(s, t);
    if (s.node.prefixDelegation) {
      const maxPrefixes = s.maxEnis * s.slotsPerEni;
      const prefixes = Math.min(maxPrefixes, Math.ceil(used / PREFIX_ADDRESSES) + WARM_PREFIX_TARGET);
      return { prefixes, enis: Math.max(1, Math.ceil(prefixes / s.slotsPerEni)) };
    }
    const enis = Math.min(s.maxEnis, Math.ceil((used + WARM_ENI_TARGET * s.slotsPerEni) / s.slotsPerEni));
    return { enis: Math.max(1, enis), prefixes: 0 };
  }

  /** Grows the pool to the warm target once the EC2 calls for it have finished. */
  private grow(s: NodeIpam, t: number): void {
    const want = this.wanted(s, t);
    if (want.enis <= s.enis && want.prefixes <= s.prefixes) return;
    s.growingUntil ??= t + POOL_GROW_SECONDS;
    if (t >= s.growingUntil) this.size(s, t);
  }

  private size(s: NodeIpam, t: number): void {
    const want = this.wanted(s, t);
    s.enis = Math.max(s.enis, want.enis);
    s.prefixes = Math.max(s.prefixes, want.prefixes);
    s.growingUntil = undefined;
  }

  /** The sandbox gate: a pod gets an address, or its sandbox fails this time. */
  private assign(pod: Pod, t: number): boolean {
    const node = pod.node;
    if (!node || pod.workload.hostNetwork) return true;
    const s = this.ipam(node);
    if (s.assigned.has(pod)) return true;
    s.addRequests++;
    if (this.total(s) - s.assigned.size - this.cooling(s, t) > 0) {
      s.assigned.add(pod);
      return true;
    }
    s.noAddress++;
    this.world.logs.line({
      t: t + this.rng.next(),
      level: "ERROR",
      message: "DataStore has no available IP/Prefix addresses",
      source: this.ipamdSource(node),
    });
    if (t - (this.lastSandboxFailure.get(pod) ?? Number.NEGATIVE_INFINITY) >= SANDBOX_RETRY_SECONDS) {
      this.lastSandboxFailure.set(pod, t);
      this.world.events.emit(
        t,
        { kind: "Pod", name: pod.name, namespace: pod.namespace },
        "Warning",
        "FailedCreatePodSandBox",
        `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "${this.rng.hex(32)}": plugin type="aws-cni" name="aws-cni" failed (add): add cmd: failed to assign an IP address to container`,
        "kubelet",
      );
    }
    return false;
  }

  /** ipamd's log goes to the aws-node pod of the node (AWS_VPC_K8S_CNI_LOG_FILE=stdout). */
  private ipamdSource(node: Node): LogSource {
    const pod = this.cluster.workloads.get("aws-node")?.pods.find((p) => p.node === node);
    return {
      workload: "aws-node",
      namespace: pod?.namespace ?? "kube-system",
      pod: pod?.name ?? `aws-node-${node.name.slice(3, 8)}`,
      container: "aws-node",
      node: node.name,
    };
  }

  /** Pods found running (at the start of the recording) hold their addresses; gone pods release theirs. */
  step(tick: Tick): void {
    const on = this.cluster.podsByNode();
    for (const node of this.cluster.nodes) {
      if (!node.present) {
        this.nodes.delete(node);
        continue;
      }
      const s = this.ipam(node);
      const pods = on.get(node) ?? [];
      // The fact a truth names as `{first-full-node}`: the node that first ran out of pod slots.
      if (pods.length >= node.maxPods && !this.world.facts.has("first-full-node")) {
        this.world.facts.set("first-full-node", node.name);
      }
      const here = new Set(pods.filter((p) => !p.workload.hostNetwork));
      for (const pod of s.assigned) {
        if (here.has(pod)) continue;
        s.assigned.delete(pod);
        s.cooling.push(tick.t);
        s.delRequests++;
      }
      let found = false;
      for (const pod of here) {
        if (pod.phase !== "Running" || s.assigned.has(pod)) continue;
        s.assigned.add(pod);
        found = true;
      }
      // Pods running when the recording starts got their addresses from a pool already that size.
      if (found) this.size(s, tick.t);
      else this.grow(s, tick.t);
    }
  }

  observe(): void {
    // ipamd's metrics are recorded when the topology scrapes aws-node (port 61678).
    if (!this.cluster.spec.bool("cni.metrics", false)) return;
    const m = this.world.metrics;
    for (const s of this.nodes.values()) {
      if (!s.node.present || !s.node.ready) continue;
      const labels = { instance: `${s.node.ip}:${METRICS_PORT}`, node: s.node.name };
      m.get(JOB, "awscni_eni_max", labels).set(s.maxEnis);
      m.get(JOB, "awscni_eni_allocated", labels).set(s.enis);
      m.get(JOB, "awscni_ip_max", labels).set(this.maxAddresses(s));
      m.get(JOB, "awscni_total_ip_addresses", labels).set(this.total(s));
      m.get(JOB, "awscni_assigned_ip_addresses", labels).set(s.assigned.size);
      if (s.node.prefixDelegation) m.get(JOB, "awscni_total_ipv4_prefixes", labels).set(s.prefixes);
      m.get(JOB, "awscni_add_ip_req_count", labels).set(s.addRequests);
      m.get(JOB, "awscni_del_ip_req_count", labels).set(s.delRequests);
      // ipamd counts each assignment that found the datastore empty (pkg/ipamd/datastore). At the ENI
      // limit it skips growing the pool without an error, so awscni_ipamd_error_count does not move here.
      if (s.noAddress > 0) m.get(JOB, "awscni_no_available_ip_addresses", labels).set(s.noAddress);
    }
  }
}
