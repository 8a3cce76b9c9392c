import type { FaultKind } from "./types.js";

export const badDeploy: FaultKind = {
  id: "deploy.bad-change",
  title: "Bad deploy",
  root: ["service"],
  // A code error that arrived with a rollout: the same symptoms, plus the rollout recorded before them.
  signature: { errors: 1, log: 1, change: 1 },
  // Like a code error, a bad version fails requests but drops no packets (see code.error).
  forbids: { "packet-loss": 1 },
  requires: ["change"],
  resource: "the latest rollout",
  effectOnCallers: "errors returned to its callers since the new version went out",
  lookAlikes: [
    { kind: "code.error", differs: "no rollout or config change precedes the errors in the data" },
    { kind: "network.latency", differs: "errors come from the new ReplicaSet's pods only, old pods stay healthy" },
  ],
  remediation: {
    now: [
      "Roll back: kubectl rollout undo deployment/<name> (or revert the Git change if Argo CD or Flux manages it)",
      "Pause the rollout if it is still in progress: kubectl rollout pause deployment/<name>",
    ],
    fix: [
      "Ship changes as canaries with automated analysis (Argo Rollouts, Flagger) so a bad version stops at a few pods",
      "Gate readiness on the dependencies the new version needs, and alert on the error rate per version label",
    ],
  },
};
