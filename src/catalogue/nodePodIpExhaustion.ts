import { entityName } from "../case/entity.js";
import { ec2Limits } from "./aws/instanceLimits.js";
import { withCheck } from "./fill.js";
import type { CheckedKind, FindContext, Finding } from "./types.js";

/** `17 = 3 ENIs × (6 − 1) + 2` for the instance type's pod limit, with or without prefix delegation. */
export function maxPodsArithmetic(instanceType: string, maxPods: number): string | undefined {
  const limits = ec2Limits(instanceType);
  if (!limits) return undefined;
  if (maxPods === limits.max_pods)
    return `${maxPods} = ${limits.max_enis} ENIs × (${limits.ipv4_per_eni} − 1) IPv4 addresses + 2 on ${instanceType} (VPC CNI secondary-IP mode)`;
  if (maxPods === limits.max_pods_prefix_delegation)
    return `${maxPods} pods on ${instanceType} with VPC CNI prefix delegation (max-pods calculator cap)`;
  return undefined;
}

function find({ evidence }: FindContext): Finding[] {
  return withCheck(evidence, "node.pods-at-limit").map((full) => {
    const instanceType = String(full.facts?.instanceType ?? "");
    const maxPods = Number(full.facts?.maxPods ?? full.limit ?? 0);
    const pending = evidence.filter((e) => e.type === "lifecycle" || e.family === "errors").map((e) => e.entity);
    return {
      kind: nodePodIpExhaustion,
      entity: full.entity,
      score: full.strength,
      evidence: [full],
      resource: {
        entity: full.entity,
        name: "pods per node",
        used: Number(full.value ?? maxPods),
        limit: maxPods,
        unit: "pods",
        since: full.start,
        arithmetic: instanceType ? maxPodsArithmetic(instanceType, maxPods) : undefined,
      },
      explains: pending,
      facts: { ...(full.facts ?? {}), entity: entityName(full.entity) },
      contributing: [],
    } satisfies Finding;
  });
}

export const nodePodIpExhaustion: CheckedKind = {
  id: "node.pod-ip-exhaustion",
  title: "Pod IP exhaustion",
  root: ["node"],
  signature: {},
  checks: ["node.pods-at-limit"],
  verdict:
    "{entity} ({instanceType}) filled its {maxPods} pod slots first; {fullNodes} of {nodes} nodes filled and {refusals} pods could not be placed (Too many pods)",
  resource: "pod slots and pod IP addresses per node",
  effectOnCallers: "pods stay Pending, so replicas are missing and the service is short of capacity",
  lookAlikes: [
    {
      kind: "cpu or memory shortage",
      differs: "the scheduler says Too many pods, not Insufficient cpu or memory, while CPU and memory have room",
    },
    { kind: "adding nodes fixes it", differs: "each new node of the same type fills at the same small pod count" },
  ],
  remediation: {
    now: [
      "Enable VPC CNI prefix delegation: kubectl set env daemonset aws-node -n kube-system ENABLE_PREFIX_DELEGATION=true, then replace the nodes so max-pods is recomputed",
      "Or move the workload to a node group of a larger instance type (more ENIs and addresses per ENI)",
    ],
    fix: [
      "Size node groups by pod density as well as CPU and memory: max pods = ENIs × (IPv4 per ENI − 1) + 2",
      "Alert on kube_pod_status_unschedulable and on awscni_assigned_ip_addresses / awscni_ip_max",
    ],
  },
  find,
};
