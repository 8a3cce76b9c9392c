import type { FaultKind } from "./types.js";

export const codeError: FaultKind = {
  id: "code.error",
  title: "Code error",
  root: ["service"],
  signature: { errors: 1, log: 1, processing: 0.3 },
  // A bug fails requests; it does not drop packets or force retransmissions. Drops that rose with the
  // errors say the errors are timeouts on a lossy path. Errors beside memory that doubled or was
  // OOM-killed are what the restarts do to requests: the leak is the cause to name.
  forbids: { "packet-loss": 1, memory: 1 },
  resource: "application code",
  effectOnCallers: "errors or wrong results returned to its callers",
  lookAlikes: [
    { kind: "network.latency", differs: "new error templates or error spans appear, not only time" },
    { kind: "deploy.bad-change", differs: "no rollout or config change precedes it in the data" },
  ],
  remediation: {
    now: [
      "Roll back the service's last change (kubectl rollout undo deployment/<name>)",
      "Read the new error lines' stack traces below",
    ],
    fix: ["Add a test for the failing path and alert on the error rate per endpoint"],
  },
};
