import assert from "node:assert/strict";
import { test } from "node:test";
import { classifyMetric } from "../src/detect/metricFamily.js";

test("metric names map to families and bad directions by general words; memory available falls, page cache is not use", () => {
  assert.deepEqual(
    [
      "container_cpu_usage_seconds_total",
      "CpuUsageRate(%)",
      "container_memory_working_set_bytes",
      "PodServerLatencyP90(s)",
      "PodSuccessRate(%)",
      "node_netstat_Tcp_RetransSegs",
      "carts_lod",
      "SyscallWrite",
      "node_disk_io_time_seconds_total",
      "kube_pod_container_status_restarts_total",
      "kube_deployment_status_replicas_unavailable",
      "kube_pod_status_ready",
      "kube_deployment_status_replicas_available",
      "node_memory_MemAvailable_bytes",
      "node_memory_Cached_bytes",
      "node_memory_Inactive_file_bytes",
      "node_memory_Committed_AS_bytes",
    ].map((m) => {
      const c = classifyMetric(m);
      return `${c.family}/${c.bad}`;
    }),
    [
      "cpu/up",
      "cpu/up",
      "memory/up",
      "latency/up",
      "errors/down",
      "packet-loss/up",
      "throughput/either",
      "throughput/either",
      "disk/up",
      "errors/up",
      "errors/up",
      "errors/down",
      "errors/down",
      "memory/down",
      "other/either",
      "other/either",
      "memory/up",
    ],
  );
});

test("host-level metrics are recognised in snake_case and CamelCase; client-side timings are caller-side", () => {
  assert.equal(classifyMetric("node_cpu_seconds_total").hostScoped, true);
  assert.equal(classifyMetric("NodeCpuUsageRate(%)").hostScoped, true);
  assert.equal(classifyMetric("CpuUsageRate(%)").hostScoped, false);
  assert.equal(classifyMetric("nodejs_heap_size_used_bytes").hostScoped, false);
  assert.equal(classifyMetric("PodClientLatencyP90(s)").callerSide, true);
  assert.equal(classifyMetric("PodServerLatencyP90(s)").callerSide, false);
});
