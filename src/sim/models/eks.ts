/**
 * The node-level machinery of an EKS cluster on EC2, added to every world: the VPC CNI, managed node
 * group updates, and each instance's network allowance.
 */
import type { Model, World } from "../world.js";
import type { Cluster } from "./cluster.js";
import { NodeGroupUpdate } from "./nodeGroupUpdate.js";
import { NodeNetwork } from "./nodeNetwork.js";
import { VpcCni } from "./vpcCni.js";

export function eksNodeModels(world: World): Model[] {
  const cluster = world.get<Cluster>("cluster", "EKS node models");
  return [new VpcCni(cluster, world), new NodeGroupUpdate(cluster, world), new NodeNetwork(cluster, world)];
}
