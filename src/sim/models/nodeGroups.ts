/** A node group's members and its Auto Scaling group's launches, for the models that grow or roll it. */
import type { Spec } from "../spec.js";
import type { Cluster, Node } from "./cluster.js";

/** The scenario's node group `name`. */
export function nodeGroupSpec(cluster: Cluster, name: string): Spec | undefined {
  return cluster.spec.list("nodeGroups").find((g) => g.str("name") === name);
}

/** In-service nodes of a group: present, their instance not gone. */
export function groupMembers(cluster: Cluster, group: string): Node[] {
  return cluster.nodes.filter((n) => n.group === group && n.present && n.lostAt === undefined);
}

/** Members plus instances launched and not yet Ready: the group's current size. */
export function groupSize(cluster: Cluster, group: string): number {
  return groupMembers(cluster, group).length + cluster.lifecycle.pendingIn(group).length;
}

/** The Auto Scaling group launches an instance in its zone with the fewest (AZ balancing). */
export function launchInGroup(cluster: Cluster, group: Spec, t: number): void {
  const name = group.str("name");
  const counts = new Map(group.strings("zones", ["us-east-1a"]).map((z) => [z, 0]));
  const zones = [...groupMembers(cluster, name).map((n) => n.zone), ...cluster.lifecycle.pendingIn(name)];
  for (const z of zones) if (counts.has(z)) counts.set(z, (counts.get(z) ?? 0) + 1);
  const zone = [...counts].sort((a, b) => a[1] - b[1])[0][0];
  cluster.lifecycle.launch(name, group.str("instanceType"), zone, t);
}
