/**
 * An EKS managed node group update, as it runs when a node's launch settings change: here, enabling
 * VPC CNI prefix delegation, which only takes effect with a new kubelet `--max-pods` on new nodes. The
 * update surges new nodes, then drains and cordons the old ones one at a time (maxUnavailable 1) and
 * terminates each a minute later, launching replacements until every node runs the new settings. Pods
 * evicted from an old node land on whichever new nodes have joined; nothing moves them again.
 * Source: EKS User Guide, "Understand each phase of node updates".
 */
import type { Rng } from "../rng.js";
import { type Model, PHASE, type Tick, type World } from "../world.js";
import type { Cluster, Node } from "./cluster.js";
import { groupMembers, groupSize, launchInGroup } from "./nodeGroups.js";

/** The update waits 60 s after a node is drained and cordoned before terminating it. */
const DRAIN_WAIT_SECONDS = 60;
/** The surge: up to twice the number of Availability Zones of the group. */
const SURGE_PER_ZONE = 2;

interface Update {
  /** Nodes the group had when the update started: the count it returns to. */
  size: number;
  draining?: { node: Node; since: number };
}

export class NodeGroupUpdate implements Model {
  readonly name = "node-group-update";
  readonly phase = PHASE.infrastructure;
  private readonly rng: Rng;
  private readonly updates = new Map<string, Update>();

  constructor(
    private readonly cluster: Cluster,
    world: World,
  ) {
    this.rng = world.rng.fork("node-group-update");
  }

  step(tick: Tick): void {
    const prefixDelegation = this.cluster.prefixDelegation();
    for (const spec of this.cluster.spec.list("nodeGroups")) {
      const group = spec.str("name");
      const members = groupMembers(this.cluster, group);
      const old = members.filter((n) => n.prefixDelegation !== prefixDelegation);
      let update = this.updates.get(group);
      if (!update) {
        if (old.length === 0) continue;
        update = { size: members.length };
        this.updates.set(group, update);
        const surge = Math.min(old.length, SURGE_PER_ZONE * spec.strings("zones", ["us-east-1a"]).length);
        for (let k = 0; k < surge; k++) launchInGroup(this.cluster, spec, tick.t);
      }
      if (update.draining) {
        if (tick.t - update.draining.since < DRAIN_WAIT_SECONDS) continue;
        this.cluster.lifecycle.loseInstance(update.draining.node, tick.t);
        update.draining = undefined;
        // The Auto Scaling group keeps its size: a terminated old node is replaced by a new one.
        const fresh = groupSize(this.cluster, group) - (old.length - 1);
        if (fresh < update.size) launchInGroup(this.cluster, spec, tick.t);
        continue;
      }
      if (old.length === 0) {
        this.updates.delete(group);
        continue;
      }
      // Only once a node with the new settings is Ready is there somewhere for the evicted pods to go.
      if (!members.some((n) => n.ready && !old.includes(n))) continue;
      const node = this.rng.pick(old);
      this.cluster.lifecycle.cordon(node, tick.t);
      this.cluster.lifecycle.drain(node, tick.t);
      update.draining = { node, since: tick.t };
    }
  }
}
