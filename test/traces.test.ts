import assert from "node:assert/strict";
import { test } from "node:test";
import type { Case, LogLevel, LogTemplate, Span } from "../src/case/model.js";
import { SpanTable } from "../src/case/spanTable.js";
import { detectTraceChanges } from "../src/detect/traces.js";
import type { Evidence, Window } from "../src/detect/types.js";

const WINDOW: Window = { baselineStart: 0, at: 600, end: 1200 };

function template(entity: string, text: string, level: LogLevel): LogTemplate {
  return { entity, template: text, level, counts: new Map(), traced: new Map(), samples: [], total: 0 };
}

function caseOf(spans: Span[], templates: LogTemplate[] = []): Case {
  return {
    entities: new Map(),
    relations: [],
    series: [],
    logs: { bucketSeconds: 10, templates },
    spans: SpanTable.of(spans),
    events: [],
    objects: [],
    sources: [],
    skipped: [],
  };
}

interface Call {
  service: string;
  operation: string;
  /** Seconds the caller waits beyond the callee's own span (network, queueing). */
  overhead: number;
  logTemplates?: number[];
}

/** One request: `front /checkout` calling each callee once; span durations are 10 ms plus the overhead. */
function request(id: string, start: number, calls: Call[], rootLogs?: number[]): Span[] {
  const root: Span = {
    traceId: id,
    spanId: `${id}-root`,
    service: "service:front",
    operation: "/checkout",
    start,
    duration: 0,
    error: false,
    logTemplates: rootLogs,
  };
  const spans: Span[] = [root];
  for (const [n, call] of calls.entries()) {
    const client: Span = {
      traceId: id,
      spanId: `${id}-client-${n}`,
      parent: root.spanId,
      service: "service:front",
      operation: `HTTP POST ${call.service}`,
      start,
      duration: 0.01 + call.overhead,
      error: false,
    };
    const server: Span = {
      traceId: id,
      spanId: `${id}-server-${n}`,
      parent: client.spanId,
      service: call.service,
      operation: call.operation,
      start,
      duration: 0.01,
      error: false,
      logTemplates: call.logTemplates,
    };
    spans.push(client, server);
    root.duration += client.duration;
  }
  return spans;
}

function evidenceOf(c: Case, entity: string): Evidence[] {
  let n = 0;
  return detectTraceChanges(c, WINDOW, () => `e${++n}`).filter((e) => e.entity === entity);
}

/** Twenty calls to back's `price` before the alert writing template 0, and twenty after writing template 1. */
function priceCalls(): Span[] {
  const spans: Span[] = [];
  for (let i = 0; i < 20; i++) {
    spans.push(
      ...request(`b${i}`, 10 + i * 25, [
        { service: "service:back", operation: "price", overhead: 0.001, logTemplates: [0] },
      ]),
    );
    spans.push(
      ...request(`i${i}`, 610 + i * 25, [
        { service: "service:back", operation: "price", overhead: 0.001, logTemplates: [1] },
      ]),
    );
  }
  return spans;
}

test("a failure that stops is a recovery: neither it nor the service's return to its usual path is evidence", () => {
  const templates = [
    template("service:back", "ERROR request failed", "error"),
    template("service:back", "INFO order priced", "info"),
  ];
  // Before: the tail of an earlier incident, every call to back failing before it prices the order.
  const spans = priceCalls();
  const back = evidenceOf(caseOf(spans, templates), "service:back");
  assert.deepEqual(
    back.map((e) => e.detail),
    [],
  );
});

test("a failure that starts is evidence even when the baseline invocations were failing otherwise", () => {
  const templates = [
    template("service:back", "ERROR request failed", "error"),
    template("service:back", "ERROR price list unreadable", "error"),
  ];
  const spans = priceCalls();
  const back = evidenceOf(caseOf(spans, templates), "service:back");
  assert.equal(back.length, 1);
  assert.match(back[0].detail, /started doing error log "ERROR price list unreadable"/);
});

test("calls into a service that were slow from the start are found against calls into the other services", () => {
  const spans: Span[] = [];
  for (let i = 0; i < 20; i++) {
    for (const [phase, start] of [
      ["b", 10 + i * 25],
      ["i", 610 + i * 25],
    ] as const) {
      spans.push(
        ...request(`${phase}${i}`, start, [
          { service: "service:slow", operation: "get", overhead: 1 + (i % 3) * 0.5 },
          { service: "service:cart", operation: "get", overhead: 0.002 + (i % 4) * 0.001 },
          { service: "service:user", operation: "get", overhead: 0.001 + (i % 5) * 0.001 },
        ]),
      );
    }
  }
  const c = caseOf(spans);
  const slow = evidenceOf(c, "service:slow");
  assert.equal(slow.length, 1);
  assert.equal(slow[0].signal, "latency of calls into it against calls into other services");
  assert.equal(slow[0].own, true);
  assert.ok(slow[0].strength > 0.5, `strength ${slow[0].strength}`);
  assert.deepEqual(evidenceOf(c, "service:cart"), []);
  assert.deepEqual(evidenceOf(c, "service:user"), []);
});

test("a caller's new failure inside requests whose call to a callee turned slow is mostly the callee's", () => {
  const templates = [template("service:front", "ERROR upstream timed out", "error")];
  const spans: Span[] = [];
  for (let i = 0; i < 20; i++) {
    spans.push(...request(`b${i}`, 10 + i * 25, [{ service: "service:back", operation: "get", overhead: 0.002 }]));
    // In the incident half the requests wait 2 s for back, and those fail.
    const slow = i % 2 === 0;
    spans.push(
      ...request(
        `i${i}`,
        610 + i * 25,
        [{ service: "service:back", operation: "get", overhead: slow ? 2 : 0.002 }],
        slow ? [0] : [],
      ),
    );
  }
  const front = evidenceOf(caseOf(spans, templates), "service:front").find((e) => e.signal.includes("ERROR"));
  assert.ok(front, "the failure is still reported");
  assert.match(front.detail, /explained by changes of service:back in the same requests/);
  assert.ok(front.strength < 0.3, `strength ${front.strength}`);
});

/** A request from front's `client` span into `service`'s `operation`, which writes `logTemplates`. */
function call(id: string, start: number, client: string, service: string, operation: string, logs: number[]): Span[] {
  return [
    {
      traceId: id,
      spanId: `${id}-c`,
      service: "service:front",
      operation: client,
      start,
      duration: 0.02,
      error: false,
    },
    {
      traceId: id,
      spanId: `${id}-s`,
      parent: `${id}-c`,
      service,
      operation,
      start,
      duration: 0.01,
      error: false,
      logTemplates: logs,
    },
  ];
}

test("a line's switch from always to never is judged among the callers that see it, not diluted by others", () => {
  const templates = [template("service:price", "INFO price list queried", "info")];
  const spans: Span[] = [];
  for (let i = 0; i < 20; i++) {
    // The same operation name serves two endpoints; only the one asked with POST writes the line.
    spans.push(...call(`bp${i}`, 10 + i * 25, "HTTP POST", "service:price", "query", [0]));
    spans.push(...call(`bg${i}`, 20 + i * 25, "HTTP GET", "service:price", "query", []));
    spans.push(...call(`ip${i}`, 610 + i * 25, "HTTP POST", "service:price", "query", []));
    spans.push(...call(`ig${i}`, 620 + i * 25, "HTTP GET", "service:price", "query", []));
  }
  const price = evidenceOf(caseOf(spans, templates), "service:price");
  assert.equal(price.length, 1);
  assert.match(
    price[0].detail,
    /stopped doing info log "INFO price list queried": 0% of 20 invocations vs 100% before/,
  );
  assert.ok(price[0].strength > 0.6, `strength ${price[0].strength}`);
});

test("where the baseline's other requests were failing, its one healthy request still shows the usual path", () => {
  const templates = [
    template("service:travel", "ERROR no instances available", "error"),
    template("service:travel", "INFO trips read", "info"),
    template("service:travel", "INFO distance calculated", "info"),
  ];
  const spans: Span[] = [];
  for (let i = 0; i < 12; i++) {
    // Before: the tail of an earlier incident, all but one call failing; the healthy one writes both lines.
    spans.push(...call(`b${i}`, 10 + i * 25, "HTTP POST", "service:travel", "query", i === 0 ? [1, 2] : [0]));
    // Now: no call fails, but none writes the line after the trips are read.
    spans.push(...call(`i${i}`, 610 + i * 25, "HTTP POST", "service:travel", "query", [1]));
  }
  const travel = evidenceOf(caseOf(spans, templates), "service:travel");
  assert.equal(travel.length, 1);
  assert.match(
    travel[0].detail,
    /stopped doing info log "INFO distance calculated": 0% of 12 invocations vs 100% before/,
  );
});
