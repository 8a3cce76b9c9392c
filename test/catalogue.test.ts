/** The catalogue's checked kinds end to end on small Cases: each seed's signature, and its look-alike. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { analyze } from "../src/analyze.js";
import { buildCase, constant, counter, minute, ramp, type SeriesSpec } from "./helpers/caseBuilder.js";

const DB = { job: "mysql", instance: "db.internal:3306" };

function mysqlCase(connected: (m: number) => number, sleeping: (m: number) => number, running: number) {
  const series: SeriesSpec[] = [
    { metric: "mysql_global_status_threads_connected", labels: DB, at: connected },
    { metric: "mysql_global_variables_max_connections", labels: DB, at: constant(100) },
    { metric: "mysql_global_status_threads_running", labels: DB, at: constant(running) },
    { metric: "mysql_info_schema_processlist_threads", labels: { ...DB, command: "sleep", state: "" }, at: sleeping },
    {
      metric: "mysql_info_schema_processlist_processes_by_user",
      labels: { ...DB, mysql_user: "shipping" },
      at: (m) => connected(m) - 10,
    },
    {
      metric: "mysql_info_schema_processlist_processes_by_user",
      labels: { ...DB, mysql_user: "ratings" },
      at: constant(10),
    },
    {
      metric: "hikaricp_connections",
      labels: { job: "shipping", service: "shipping", pod: "shipping-7d9f8c6b5-x2x9q", pool: "HikariPool-1" },
      at: (m) => connected(m) - 10,
    },
    {
      metric: "hikaricp_connections",
      labels: { job: "ratings", service: "ratings", pod: "ratings-5d8f7c9b4-k2l4m", pool: "HikariPool-1" },
      at: constant(10),
    },
  ];
  return buildCase({
    minutes: 60,
    series,
    logs: [
      {
        labels: { service: "ratings" },
        level: "error",
        message: "SQLTransientConnectionException: HikariPool-1 - Connection is not available: Too many connections",
        perMinute: (m) => (connected(m) >= 100 ? 40 : 0),
      },
    ],
  });
}

test("connections at max_connections, held idle by one client: that client's pool is the root, the database the resource", async () => {
  const c = mysqlCase(ramp(30, 100, 15, 35), ramp(25, 97, 15, 35), 2);
  const d = await analyze(c, { at: minute(45) });
  const top = d.causes[0];
  assert.equal(top.entity, "service:shipping");
  assert.equal(top.kind, "db.connection-hoarding");
  assert.ok(top.confidence >= 0.5, `confidence ${top.confidence}`);
  assert.equal(top.resource_usage?.used, 100);
  assert.equal(top.resource_usage?.limit, 100);
  assert.deepEqual(
    top.chain.slice(0, 2).map((l) => [l.entity, l.role]),
    [
      ["service:shipping", "cause"],
      ["service:mysql", "resource"],
    ],
  );
  assert.ok(!top.remediation.now.some((line) => /rollout undo/.test(line)), "no rollback without a rollout");
  assert.ok(
    top.remediation.now.some((line) => line.includes("shipping")),
    "remediation names the holder",
  );
  // The victim that echoes the refusal ranks below the root.
  const ratings = d.causes.findIndex((x) => x.entity === "service:ratings");
  assert.ok(ratings === -1 || ratings > 0);
});

test("connections that grow with load and stay under the limit are not hoarding", async () => {
  const c = mysqlCase(ramp(30, 70, 15, 35), constant(10), 40);
  const d = await analyze(c, { at: minute(45) });
  assert.ok(!d.causes.some((x) => x.kind === "db.connection-hoarding"));
});

function nodeCase(planned: boolean) {
  const pod = { namespace: "app", pod: "pgbouncer-7d9f8c6b5-x2x9q" };
  const worker = { namespace: "app", pod: "worker-6c8d7f5b9-p2q4r", service: "worker" };
  const gone = 30;
  return buildCase({
    minutes: 50,
    series: [
      {
        metric: "kube_pod_info",
        labels: {
          job: "kube-state-metrics",
          ...pod,
          node: "ip-10-0-16-13",
          created_by_kind: "ReplicaSet",
          created_by_name: "pgbouncer-7d9f8c6b5",
        },
        at: (m) => (m <= gone ? 1 : Number.NaN),
      },
      { metric: "ruby_sidekiq_process_busy", labels: worker, at: (m) => (m < gone || planned ? 3 : 10) },
      { metric: "ruby_sidekiq_process_concurrency", labels: worker, at: constant(10) },
      {
        metric: "container_cpu_usage_seconds_total",
        labels: worker,
        at: counter((m) => (m < gone || planned ? 0.09 : 0.03)),
      },
      { metric: "ruby_sidekiq_queue_backlog", labels: worker, at: (m) => (m < gone || planned ? 0 : (m - gone) * 100) },
    ],
    events: [
      ...(planned
        ? [
            {
              minute: gone - 2,
              reason: "NodeNotSchedulable",
              message: "Node ip-10-0-16-13 status is now: NodeNotSchedulable",
              labels: { node: "ip-10-0-16-13" },
            },
            { minute: gone - 1.5, reason: "Killing", message: "Stopping container pgbouncer", labels: pod },
          ]
        : []),
      {
        minute: gone,
        reason: "NodeNotReady",
        message: "Node ip-10-0-16-13 status is now: NodeNotReady",
        labels: { node: "ip-10-0-16-13" },
      },
      { minute: gone, reason: "NodeNotReady", message: "Node is not ready", labels: pod },
      {
        minute: gone + 0.25,
        reason: "DeletingNode",
        message: "Deleting node ip-10-0-16-13 because it does not exist in the cloud provider",
        labels: { node: "ip-10-0-16-13" },
      },
    ],
  });
}

test("a node that vanished with no cordon or drain is the root; clients hung on it are a contributing no-timeout", async () => {
  const d = await analyze(nodeCase(false), { at: minute(40) });
  const top = d.causes[0];
  assert.equal(top.entity, "node:ip-10-0-16-13");
  assert.equal(top.kind, "node.terminated-without-drain");
  assert.ok(top.confidence >= 0.5);
  assert.deepEqual(
    top.contributing?.map((x) => [x.entity, x.kind]),
    [["service:worker", "client.no-timeout"]],
  );
});

test("a node cordoned and drained before it went is planned work: context, not a cause", async () => {
  const d = await analyze(nodeCase(true), { at: minute(40) });
  assert.ok(!d.causes.some((x) => x.kind === "node.terminated-without-drain"));
  assert.ok(
    d.context?.some((line) => line.includes("drained")),
    JSON.stringify(d.context),
  );
});

test("FailedScheduling 'Too many pods' with a node at its pod limit: the node that filled first, with the ENI arithmetic", async () => {
  const series: SeriesSpec[] = [
    {
      metric: "kube_node_status_allocatable",
      labels: { job: "kube-state-metrics", node: "ip-10-0-16-11", resource: "pods", unit: "integer" },
      at: constant(17),
    },
    {
      metric: "kube_node_labels",
      labels: { job: "kube-state-metrics", node: "ip-10-0-16-11", label_node_kubernetes_io_instance_type: "t3.medium" },
      at: constant(1),
    },
  ];
  for (let i = 0; i < 17; i++) {
    series.push({
      metric: "kube_pod_info",
      labels: {
        job: "kube-state-metrics",
        namespace: "analytics",
        pod: `ingest-7d9f8c6b5-p${"bcdfghjklmnpqrstvwxz"[i]}x2x`,
        node: "ip-10-0-16-11",
        created_by_kind: "ReplicaSet",
        created_by_name: "ingest-7d9f8c6b5",
      },
      at: (m) => (m >= 5 + i ? 1 : Number.NaN),
    });
  }
  const events = [0, 1, 2, 3, 4, 5].map((k) => ({
    minute: 25 + k,
    reason: "FailedScheduling",
    type: "Warning",
    message: "0/1 nodes are available: 1 Too many pods.",
    labels: { namespace: "analytics", pod: `ingest-7d9f8c6b5-z${"bcdfgh"[k]}q2w` },
  }));
  const d = await analyze(buildCase({ minutes: 40, series, events }), { at: minute(32) });
  const top = d.causes[0];
  assert.equal(top.entity, "node:ip-10-0-16-11");
  assert.equal(top.kind, "node.pod-ip-exhaustion");
  assert.match(top.resource_usage?.arithmetic ?? "", /17 = 3 ENIs × \(6 − 1\)/);
});

function floodCase(harmful: boolean) {
  const broker = { job: "chronik", namespace: "streaming", pod: "chronik-0" };
  const lines = (level: string, perSecond: (m: number) => number): SeriesSpec => ({
    metric: "log_metric_counter_log_lines_total",
    labels: { job: "fluent-bit", namespace_name: "streaming", pod_name: "chronik-0", app: "chronik", level },
    at: counter(perSecond),
  });
  return buildCase({
    minutes: 60,
    series: [
      lines("INFO", constant(5)),
      lines("DEBUG", (m) => (m >= 20 && m < (harmful ? 60 : 30) ? 60000 : 0)),
      {
        metric: "process_resident_memory_bytes",
        labels: broker,
        at: harmful ? ramp(1e9, 16e9, 20, 44) : constant(1e9),
      },
    ],
    events: harmful
      ? [
          {
            minute: 44,
            reason: "OOMKilling",
            type: "Warning",
            message: "Memory cgroup out of memory: Killed process 39788 (chronik-server)",
            labels: { node: "ip-10-0-16-12" },
          },
        ]
      : [],
  });
}

test("a DEBUG flood whose lines pile up in memory until the process is killed is the root", async () => {
  const d = await analyze(floodCase(true), { at: minute(46) });
  assert.equal(d.causes[0]?.entity, "service:chronik");
  assert.equal(d.causes[0]?.kind, "logging.flood");
});

test("a short DEBUG window the writer keeps up with is context, not a cause", async () => {
  const d = await analyze(floodCase(false), { at: minute(28) });
  assert.ok(!d.causes.some((x) => x.kind === "logging.flood"));
  assert.equal(d.confident, false);
  assert.ok(d.context?.some((line) => line.includes("DEBUG")));
});

test("a Job's pods fold to their Job by the owner the cluster recorded, whatever their suffix looks like", async () => {
  const c = buildCase({
    minutes: 10,
    series: [
      {
        metric: "kube_pod_info",
        labels: {
          job: "kube-state-metrics",
          namespace: "pending-orders",
          pod: "pending-orders-recreation-bcdfg",
          created_by_kind: "Job",
          created_by_name: "pending-orders-recreation",
        },
        at: constant(1),
      },
      {
        metric: "container_memory_working_set_bytes",
        labels: {
          job: "kubelet",
          namespace: "pending-orders",
          pod: "pending-orders-recreation-bcdfg",
          container: "main",
        },
        at: constant(1e8),
      },
    ],
  });
  const entities = new Set(c.series.map((s) => s.entity));
  assert.deepEqual([...entities], ["service:pending-orders-recreation"]);
});

test("a broker at its memory alarm after a new workload opened most of its connections: that workload is the root", async () => {
  const broker = { job: "rabbitmq", namespace: "shop", pod: "rabbitmq-server-0" };
  const opened = (source: string, namespace: string, perSecond: (m: number) => number): SeriesSpec => ({
    metric: "istio_tcp_connections_opened_total",
    labels: {
      job: "envoy-stats",
      namespace: "shop",
      pod: "rabbitmq-server-0",
      source_workload: source,
      source_workload_namespace: namespace,
    },
    at: counter(perSecond),
  });
  const series: SeriesSpec[] = [
    { metric: "rabbitmq_process_resident_memory_bytes", labels: broker, at: ramp(1e8, 2.2e8, 20, 32) },
    { metric: "rabbitmq_resident_memory_limit_bytes", labels: broker, at: constant(2e8) },
    { metric: "rabbitmq_alarms_memory_used_watermark", labels: broker, at: (m) => (m >= 31 ? 1 : 0) },
    { metric: "rabbitmq_connections", labels: broker, at: (m) => (m >= 20 ? 400 : 6) },
    opened("payment", "shop", constant(0.01)),
    opened("batch-recreate", "batch", (m) => (m >= 20 && m < 22 ? 3 : 0)),
  ];
  for (let i = 0; i < 5; i++) {
    series.push({
      metric: "kube_pod_info",
      labels: {
        job: "kube-state-metrics",
        namespace: "batch",
        pod: `batch-recreate-x${"bcdfg"[i]}k2m`,
        created_by_kind: "Job",
        created_by_name: "batch-recreate",
      },
      at: (m) => (m >= 20 ? 1 : Number.NaN),
    });
  }
  const d = await analyze(buildCase({ minutes: 45, series }), { at: minute(35) });
  const top = d.causes[0];
  assert.equal(top.entity, "service:batch-recreate");
  assert.equal(top.kind, "broker.connection-storm");
  assert.equal(top.resource_usage?.entity, "service:rabbitmq-server");
  assert.ok(
    top.remediation.now.some((line) => line.includes("delete job batch-recreate")),
    top.remediation.now.join("\n"),
  );
});

test("an alert 20 minutes after the onset: saturation is measured against the normal before the onset", async () => {
  // Connections start climbing at minute 10, reach the limit at 25; the alert fires at 30.
  const c = mysqlCase(ramp(30, 100, 10, 25), ramp(25, 97, 10, 25), 2);
  const d = await analyze(c, { at: minute(30) });
  const top = d.causes[0];
  assert.equal(top.kind, "db.connection-hoarding");
  const holder = top.evidence.find((e) => e.entity === "service:shipping" && e.limit === 100);
  assert.equal(holder?.baseline, 20, "shipping's connections before the onset, not the saturated level");
  assert.ok(d.baseline, "the Diagnosis says which baseline it used");
  assert.ok(Date.parse(d.baseline.end) < minute(30) * 1000, `baseline ends before the alert: ${d.baseline.end}`);
  assert.ok(Date.parse(d.baseline.end) <= minute(25) * 1000 + 1, "and no later than the limit was reached");
});
