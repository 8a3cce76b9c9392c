/**
 * EC2 and RDS limits (../shared/knowledge/aws, with their sources in the JSON's `_meta`): pods per
 * node with and without VPC CNI prefix delegation, network bandwidth, and RDS MySQL's default
 * `max_connections = {DBInstanceClassMemory/12582880}`.
 */
import limits from "./instance-limits.json" with { type: "json" };

export interface Ec2Limits {
  type: string;
  vcpu: number;
  memory_gib: number;
  max_enis: number;
  ipv4_per_eni: number;
  max_pods: number;
  max_pods_prefix_delegation: number;
  baseline_gbps: number;
  burst_gbps: number;
}

export interface RdsMysqlLimits {
  class: string;
  vcpu: number;
  memory_gib: number;
  max_connections_estimate: number;
}

export function ec2Limits(instanceType: string): Ec2Limits | undefined {
  return (limits.ec2 as Ec2Limits[]).find((e) => e.type === instanceType);
}

export function rdsMysqlLimits(instanceClass: string): RdsMysqlLimits | undefined {
  return (limits.rds_mysql as RdsMysqlLimits[]).find((e) => e.class === instanceClass);
}

export function ec2InstanceTypes(): string[] {
  return (limits.ec2 as Ec2Limits[]).map((e) => e.type);
}

export function rdsInstanceClasses(): string[] {
  return (limits.rds_mysql as RdsMysqlLimits[]).map((e) => e.class);
}
