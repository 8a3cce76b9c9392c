/**
 * The live source's HTTP behaviour against small local servers: an unreachable server, a slow one
 * (timeout), a flaky one (retries with backoff), refusals, credentials and headers, and TLS.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { discover, metricSelectors } from "../src/live/discover.js";
import { LiveError } from "../src/live/errors.js";
import { analyzeLive } from "../src/live/index.js";
import type { PrometheusApi } from "../src/live/prometheusApi.js";
import { type LiveSourceOptions, pullIncident } from "../src/live/pull.js";
import { chooseStep, MAX_POINTS_PER_SERIES } from "../src/live/step.js";
import { assertUsageError, beneathAsync, beneathWithEnv } from "./helpers/cli.js";
import { freePort, hasBinary } from "./helpers/tsdb.js";

const NOW = 1_767_225_600;
const STEP = 15;

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A local HTTP(S) server; every request is recorded with its headers and form. */
async function serve(handler: Handler, tls?: { key: string; cert: string }) {
  const requests: { path: string; headers: IncomingMessage["headers"]; form: URLSearchParams }[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      requests.push({ path: url.pathname, headers: req.headers, form: new URLSearchParams(body || url.search) });
      handler(req, res, body);
    });
  };
  const server: Server = tls ? createHttpsServer(tls, onRequest) : createHttpServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Runs `work` against a local server that is closed afterwards, whatever happens. */
async function withServer(
  handler: Handler,
  work: (server: Awaited<ReturnType<typeof serve>>) => Promise<void>,
  tls?: { key: string; cert: string },
) {
  const server = await serve(handler, tls);
  try {
    await work(server);
  } finally {
    await server.close();
  }
}

/** A key and a certificate for 127.0.0.1, valid a day, written into `dir` by openssl. */
function selfSignedCertificate(dir: string) {
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  const subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"];
  const made = spawnSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", ...subject],
    { encoding: "utf8" },
  );
  assert.equal(made.status, 0, made.stderr);
  return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8"), certFile };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** A Prometheus holding one series, `up{job="api"}`, scraped every STEP seconds over the last two hours. */
const fakePrometheus: Handler = (req, res, body) => {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const form = new URLSearchParams(body || new URL(req.url ?? "/", "http://localhost").search);
  const labels = { __name__: "up", job: "api" };
  const samples = (from: number, to: number, step: number) => {
    const values: [number, string][] = [];
    for (let t = Math.ceil(from / step) * step; t <= to; t += step) values.push([t, "1"]);
    return values;
  };
  if (path === "/api/v1/label/__name__/values") return json(res, 200, { status: "success", data: ["up"] });
  if (path === "/api/v1/series") return json(res, 200, { status: "success", data: [labels] });
  if (path === "/api/v1/query") {
    // Stored samples carry the milliseconds of scrape jitter real ones do.
    const stored = samples(NOW - 7200, NOW, STEP).map(([t, v], i) => [t + (i % 3) * 0.002, v]);
    const result = [{ metric: labels, values: stored }];
    return json(res, 200, { status: "success", data: { resultType: "matrix", result } });
  }
  if (path === "/api/v1/query_range") {
    const [start, end, step] = ["start", "end", "step"].map((k) => Number(form.get(k)));
    const result = [{ metric: labels, values: samples(start, end, step) }];
    return json(res, 200, { status: "success", data: { resultType: "matrix", result } });
  }
  json(res, 404, { status: "error", errorType: "not_found", error: `no ${path}` });
};

function source(url: string, http: Partial<LiveSourceOptions["http"]> = {}): LiveSourceOptions {
  return {
    url: new URL(url),
    http: { timeoutMs: 2000, retries: 2, backoffMs: 10, headers: {}, ...http },
    at: NOW - 600,
    window: 300,
    match: [],
    maxSeries: 100,
    now: NOW,
  };
}

test("an unreachable server is one error naming it and the attempts made", async () => {
  const port = await freePort();
  const result = await beneathAsync("analyze", "--prometheus", `http://127.0.0.1:${port}`, "--retries", "1");
  assertUsageError(result, `no answer from http://127.0.0.1:${port}/`);
  assert.match(result.stderr, /ECONNREFUSED.*\(2 attempts\)/);
});

/** Far beyond the --timeout given, so only giving up can end the run before the server answers. */
const SLOW_ANSWER_MS = 10_000;

test("a server slower than --timeout is abandoned after the retries, with one error", async () => {
  await withServer(
    (_req, res) => {
      setTimeout(() => json(res, 200, { status: "success", data: [] }), SLOW_ANSWER_MS).unref();
    },
    async (server) => {
      const began = Date.now();
      const result = await beneathAsync("analyze", "--prometheus", server.url, "--timeout", "200ms", "--retries", "1");
      assertUsageError(result, "no complete answer within 0.2 s (2 attempts)");
      assert.equal(server.requests.length, 2);
      assert.ok(Date.now() - began < SLOW_ANSWER_MS, "gave up before the server answered");
    },
  );
});

test("a server that stalls in the middle of its answer is abandoned at the deadline too", async () => {
  await withServer(
    (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"status":"success","data":[');
      setTimeout(() => res.end("]}"), SLOW_ANSWER_MS).unref();
    },
    async (server) => {
      const result = await beneathAsync("analyze", "--prometheus", server.url, "--timeout", "300ms", "--retries", "0");
      assertUsageError(result, "no complete answer within 0.3 s");
      assert.equal(server.requests.length, 1);
    },
  );
});

test("an answer cut off mid-body is retried, then one error that says so", async () => {
  await withServer(
    (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"status":"suc');
      setTimeout(() => res.destroy(), 20);
    },
    async (server) => {
      const result = await beneathAsync("analyze", "--prometheus", server.url, "--retries", "1");
      assertUsageError(result, "the connection closed before the answer was complete (2 attempts)");
      assert.equal(server.requests.length, 2);
    },
  );
});

test("a failure that may pass (HTTP 503) is retried with backoff, and the pull then succeeds", async () => {
  let failures = 2;
  await withServer(
    (req, res, body) => {
      if (failures-- > 0) return json(res, 503, { status: "error", errorType: "unavailable", error: "restarting" });
      fakePrometheus(req, res, body);
    },
    async (server) => {
      const pull = await pullIncident(source(server.url));
      assert.equal(server.requests.filter((r) => r.path === "/api/v1/label/__name__/values").length, 3);
      assert.deepEqual(
        pull.metrics.map((m) => [m.name, m.series]),
        [["up", 1]],
      );
      assert.equal(pull.step, STEP, "the stored interval, measured from raw (jittered) samples");
      assert.equal(pull.start % STEP, 0);
    },
  );
});

test("a server under a path prefix (Mimir's /prometheus) is asked under that prefix", async () => {
  await withServer(
    (req, res, body) => {
      if (!req.url?.startsWith("/prometheus/")) return json(res, 404, { status: "error", error: "not here" });
      req.url = req.url.slice("/prometheus".length);
      fakePrometheus(req, res, body);
    },
    async (server) => {
      const pull = await pullIncident(source(`${server.url}/prometheus`));
      assert.deepEqual(
        pull.metrics.map((m) => m.name),
        ["up"],
      );
      assert.ok(server.requests.every((r) => r.path.startsWith("/prometheus/api/v1/")));
    },
  );
});

test("a refusal (HTTP 4xx) is not retried, and its error quotes the server", async () => {
  await withServer(
    (_req, res) => {
      res.writeHead(403, { "content-type": "text/plain" });
      res.end("Forbidden: missing tenant\n");
    },
    async (server) => {
      const result = await beneathAsync("analyze", "--prometheus", server.url);
      assertUsageError(result, "HTTP 403, not a Prometheus API answer: Forbidden: missing tenant");
      assert.equal(server.requests.length, 1);
    },
  );
});

test("bearer token from the environment, basic auth and custom headers reach the server", async () => {
  await withServer(fakePrometheus, async (server) => {
    const env = { BENEATH_PROMETHEUS_TOKEN: "s3cret", BENEATH_PROMETHEUS_HEADERS: "X-Scope-OrgID: tenant-a" };
    const withToken = await beneathWithEnv(env, "analyze", "--prometheus", server.url, "--header", "X-Extra: 1");
    assert.equal(withToken.status, 0, withToken.stderr);
    const first = server.requests[0].headers;
    assert.equal(first.authorization, "Bearer s3cret");
    assert.equal(first["x-scope-orgid"], "tenant-a");
    assert.equal(first["x-extra"], "1");

    server.requests.length = 0;
    await beneathAsync("analyze", "--prometheus", server.url, "--basic-auth", "ops:pa:ss");
    assert.equal(server.requests[0].headers.authorization, `Basic ${Buffer.from("ops:pa:ss").toString("base64")}`);

    const both = await beneathWithEnv(env, "analyze", "--prometheus", server.url, "--basic-auth", "ops:x");
    assertUsageError(both, "either a bearer token or basic auth");
  });
});

test("TLS: a self-signed server is refused unless its CA is given or verification is skipped", {
  skip: !hasBinary("openssl") && "openssl is not installed",
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "beneath-tls-"));
  try {
    const { key, cert, certFile } = selfSignedCertificate(dir);
    await withServer(
      fakePrometheus,
      async (server) => {
        const refused = await beneathAsync("analyze", "--prometheus", server.url);
        assertUsageError(refused, "self-signed certificate");
        for (const flags of [["--ca-file", certFile], ["--insecure-skip-verify"]]) {
          const out = join(dir, flags[0]);
          const pull = await beneathAsync(
            "export",
            "--prometheus",
            server.url,
            "--at",
            String(NOW - 600),
            "--out",
            out,
            ...flags,
          );
          assert.equal(pull.status, 0, pull.stderr);
        }
      },
      { key, cert },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a partial answer's warnings, and files given beside the server, reach the Diagnosis", async () => {
  await withServer(
    (req, res, body) => {
      if (!req.url?.startsWith("/api/v1/query_range")) return fakePrometheus(req, res, body);
      const original = res.end.bind(res);
      res.end = ((chunk: string) => {
        const answer = JSON.parse(chunk) as Record<string, unknown>;
        return original(JSON.stringify({ ...answer, warnings: ["store eu-1 unavailable: partial response"] }));
      }) as typeof res.end;
      fakePrometheus(req, res, body);
    },
    async (server) => {
      const kube = fileURLToPath(new URL("../../test/fixtures/kube/pods.json", import.meta.url));
      const logs = fileURLToPath(new URL("../../test/fixtures/logs/checkout.jsonl", import.meta.url));
      const { diagnosis } = await analyzeLive(source(server.url), [kube, logs]);
      const warned = diagnosis.input.skipped.filter((s) => s.reason.startsWith("the server warned"));
      assert.deepEqual(
        warned.map((s) => s.reason),
        ["the server warned: store eu-1 unavailable: partial response"],
      );
      assert.deepEqual(
        diagnosis.input.sources.map((s) => s.format),
        ["prometheus-json", "kubectl json", "json-lines logs"],
      );
    },
  );
});

test("live flags without --prometheus, and an export into a folder holding files, are usage errors", async () => {
  const fixtures = fileURLToPath(new URL("../../test/fixtures/kube", import.meta.url));
  assertUsageError(await beneathAsync("analyze", fixtures, "--match", "up"), "--match only apply with --prometheus");
  await withServer(fakePrometheus, async (server) => {
    const result = await beneathAsync("export", "--prometheus", server.url, "--out", fixtures);
    assertUsageError(result, `${fixtures} is not empty`);
    assert.equal(server.requests.length, 0, "refused before asking the server");
  });
});

test("under the series limit, whole metrics are kept smallest first and histogram buckets last", async () => {
  const sizes: Record<string, number> = { big: 5, one: 1, three: 3, latency_bucket: 2 };
  const api = {
    labelValues: async () => Object.keys(sizes),
    series: async (match: string[]) =>
      match.flatMap((selector) => {
        const name = /"(.+)"/.exec(selector)?.[1] ?? "";
        return Array.from({ length: sizes[name] }, (_, i) => ({ __name__: name, pod: `p${i}` }));
      }),
  } as unknown as PrometheusApi;
  const found = await discover(api, { match: [], maxSeries: 6 }, 0, 3600);
  assert.deepEqual(
    found.metrics.map((m) => m.name),
    ["one", "three", "latency_bucket"],
  );
  assert.deepEqual(found.leftOut, [{ name: "big", series: 5 }]);
  assert.equal(found.discovered, 11);
  assert.match(found.skipped[0].reason, /^5 of 11 series \(1 metric\) left out to stay within --max-series 6: big;/);
});

test("a metric's selectors are the user's that can match it (pulled as their union), or the whole metric", () => {
  assert.deepEqual(metricSelectors("up", []), ['{__name__="up"}']);
  assert.deepEqual(metricSelectors("up", ['{namespace="shop"}', 'up{job="api"}', 'other{job="x"}']), [
    '{__name__="up", namespace="shop"}',
    '{__name__="up", job="api"}',
  ]);
  assert.deepEqual(metricSelectors("http_requests_total", ["other"]), ['{__name__="http_requests_total"}']);
});

test("the step is the stored interval, coarsened only to keep a long range within the points limit", () => {
  assert.equal(chooseStep(0, 3900, 15), 15);
  assert.equal(chooseStep(0, 3900, undefined), 15);
  const week = 7 * 86400;
  assert.equal(chooseStep(0, week, 15), Math.ceil(week / MAX_POINTS_PER_SERIES));
});

test("a server holding nothing in the window is a LiveError naming the range", async () => {
  await withServer(
    (req, res, body) => {
      if (req.url?.startsWith("/api/v1/label/")) return json(res, 200, { status: "success", data: [] });
      fakePrometheus(req, res, body);
    },
    async (server) => {
      await assert.rejects(pullIncident(source(server.url)), (error: Error) => {
        assert.ok(error instanceof LiveError);
        assert.match(error.message, /holds no series between 2025-12-31T22:50:00\.000Z and 2025-12-31T23:55:00\.000Z/);
        return true;
      });
    },
  );
});
