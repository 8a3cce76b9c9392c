/**
 * A Diagnosis the way the engine states a resource exhaustion: a cause holding a resource, with roles on
 * its chain, numbers on its evidence, the same metric on three pods and a histogram's buckets.
 */
import { DIAGNOSIS_SCHEMA, type Diagnosis, type DiagnosisEvidence } from "../../src/diagnosis/types.js";

/** A selector as long as real exporters write them (the issue saw 317 characters). */
const LONG_INSTANCE = `robot-shop-mysql.${"c9akciq32".repeat(12)}.us-east-1.rds.amazonaws.com:3306`;

function latencyBucket(id: string, le: string, value: number): DiagnosisEvidence {
  return {
    id,
    entity: "service:web",
    type: "anomaly",
    signal: `http_request_duration_seconds_bucket{le="${le}",pod="web-1"}`,
    detail: `http_request_duration_seconds_bucket moved from 2.03e-12 per second to ${value} per second (977σ against its baseline)`,
    excerpt: "",
    start: "2026-01-16T02:50:00.000Z",
    score: 0.8,
    value,
    baseline: 2.03e-12,
    unit: "per second",
    series: { metric: "http_request_duration_seconds_bucket", labels: { le, pod: "web-1" } },
  };
}

function shippingPool(id: string, pod: string, value: number, score: number): DiagnosisEvidence {
  return {
    id,
    entity: "service:shipping",
    type: "anomaly",
    signal: `hikaricp_connections_idle{pod="${pod}"}`,
    detail: `hikaricp_connections_idle moved from 10 to ${value}`,
    excerpt: "",
    start: "2026-01-16T02:48:00.000Z",
    score,
    value,
    baseline: 10,
    unit: "connections",
    series: { metric: "hikaricp_connections_idle", labels: { pod, pool: "HikariPool-1" } },
  };
}

export function storyDiagnosis(): Diagnosis {
  return {
    schema: DIAGNOSIS_SCHEMA,
    generated_at: "2026-01-16T03:10:00.000Z",
    input: {
      sources: [{ file: "case/metrics.json", format: "prometheus-query-range" }],
      skipped: [],
      window: { start: "2026-01-16T02:50:00.000Z", end: "2026-01-16T02:55:00.000Z" },
      alert_time: "2026-01-16T02:50:00.000Z",
    },
    summary: "shipping's pool holds 611 of MySQL's 648 connections; ratings and web fail.",
    confident: true,
    causes: [
      {
        rank: 1,
        entity: "service:shipping",
        kind: "db.connection-hoarding",
        resource: "MySQL connections",
        confidence: 0.82,
        start: "2026-01-16T02:48:00.000Z",
        resource_usage: {
          entity: "database:mysql",
          name: "max_connections",
          used: 648,
          limit: 648,
          unit: "connections",
          since: "2026-01-16T02:58:00.000Z",
          arithmetic: "648 = DBInstanceClassMemory / 12582880",
        },
        chain: [
          {
            entity: "service:shipping",
            effect: "its pool holds idle connections",
            evidence: ["e1", "e2", "e3"],
            role: "cause",
          },
          { entity: "database:mysql", effect: "connections at max_connections", evidence: ["e4"], role: "resource" },
          { entity: "service:ratings", effect: "cannot connect", evidence: ["e5"], role: "victim" },
          { entity: "service:web", effect: "users get errors", evidence: ["e6", "e7", "e8"], role: "symptom" },
        ],
        contributing: [
          { entity: "service:shipping", kind: "client.no-timeout", why: "no idle timeout", evidence: ["e1"] },
        ],
        evidence: [
          shippingPool("e1", "shipping-a", 61, 0.9),
          shippingPool("e2", "shipping-b", 60, 0.85),
          shippingPool("e3", "shipping-c", 58, 0.8),
          {
            id: "e4",
            entity: "database:mysql",
            type: "limit",
            signal: `mysql_global_status_threads_connected{instance="${LONG_INSTANCE}"}`,
            detail: "threads connected reached max_connections",
            excerpt: "",
            start: "2026-01-16T02:58:00.000Z",
            score: 0.95,
            value: 648,
            baseline: 210,
            limit: 648,
            unit: "connections",
            series: { metric: "mysql_global_status_threads_connected", labels: { instance: LONG_INSTANCE } },
          },
          {
            id: "e5",
            entity: "service:ratings",
            type: "log",
            signal: "SQLSTATE[HY000] [1040] Too many connections",
            detail: "new error log template: 4785 lines in the incident vs 0.0 expected from the baseline",
            excerpt: "SQLSTATE[HY000] [1040] Too many connections (×4785)",
            start: "2026-01-16T02:58:10.000Z",
            score: 0.9,
            value: 4785,
            baseline: 0,
            unit: "lines",
            template: "SQLSTATE[HY000] [1040] Too many connections",
          },
          latencyBucket("e6", "+Inf", 17.2),
          latencyBucket("e7", "10", 12.5),
          latencyBucket("e8", "2.5", 2.51e-5),
        ],
        remediation: {
          now: ["Restart shipping to release its idle connections", "Lower shipping's maximumPoolSize"],
          fix: ["Set idleTimeout and maximumPoolSize so Σ pools × replicas < max_connections"],
        },
        why: "shipping's connections rise first and account for the exhausted limit",
      },
      {
        rank: 2,
        entity: "service:ratings",
        kind: "code.error",
        confidence: 0.12,
        start: "2026-01-16T02:58:10.000Z",
        chain: [{ entity: "service:ratings", effect: "errors", evidence: ["e5"] }],
        evidence: [],
        remediation: { now: [], fix: [] },
        why: "its errors are explained by the exhausted connections (2.5e-3 of its own)",
      },
    ],
    ruled_out: [{ entity: "service:mysql", kind: "cpu.saturation", why: "CPU stayed at 12% (3.2σ)" }],
    missing_data: [],
    timing: { read_ms: 900, analyze_ms: 300 },
  };
}
