import assert from "node:assert/strict";
import { test } from "node:test";
import { CaseBuilder } from "../src/case/builder.js";
import { dependencyEvidence } from "../src/detect/dependencyLogs.js";
import type { Evidence } from "../src/detect/types.js";

function caseWith(...services: string[]) {
  const builder = new CaseBuilder();
  const sink = builder.sinkFor("test");
  for (const service of services) sink.addSamples({ service }, "up", [0], [1]);
  return builder.build();
}

function logEvidence(entity: string, excerpt: string): Evidence {
  return {
    id: "e1",
    entity,
    signal: "template",
    type: "log",
    family: "log",
    start: 100,
    strength: 0.8,
    detail: "new error log template",
    excerpt,
  };
}

test("a caller's connection failure that names its peer is evidence of lost availability on the peer", () => {
  const c = caseWith("web", "cart", "payment");
  let n = 0;
  const next = () => `d${++n}`;
  const found = dependencyEvidence(
    c,
    [
      logEvidence("service:web", "Error: connect ECONNREFUSED cart:8080 (×799)"),
      logEvidence(
        "service:payment",
        "requests.exceptions.ConnectionError: HTTPConnectionPool(host='cart', port=8080): Max retries exceeded",
      ),
    ],
    next,
  );
  assert.deepEqual(
    found.map((e) => [e.entity, e.family, e.strength]),
    [
      ["service:cart", "errors", 0.8],
      ["service:cart", "errors", 0.8],
    ],
  );
  assert.match(found[0].detail, /^web cannot reach it/);
});

test("an error the peer returned, or a name that is not a network peer, testifies nothing about it", () => {
  const c = caseWith("web", "cart", "user");
  const next = () => "d";
  assert.deepEqual(
    dependencyEvidence(
      c,
      [logEvidence("service:web", "Request failed with status code 500 from http://cart:8080")],
      next,
    ),
    [],
  );
  assert.deepEqual(dependencyEvidence(c, [logEvidence("service:web", "timed out waiting for user input")], next), []);
  assert.deepEqual(dependencyEvidence(c, [logEvidence("service:cart", "connect ECONNREFUSED cart:8080")], next), []);
});
