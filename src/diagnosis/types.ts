/** The Diagnosis document, schema `beneath.diagnosis/v1` (DESIGN.md, step 5; schema/diagnosis.v1.json). */
import type { FoldedEntities, Skipped } from "../case/model.js";

export const DIAGNOSIS_SCHEMA = "beneath.diagnosis/v1";

export interface DiagnosisEvidence {
  id: string;
  entity: string;
  type: string;
  signal: string;
  detail: string;
  excerpt: string;
  /** ISO 8601, when the observation started; the Markdown timeline orders by it. */
  start?: string;
  /** 0..1, the evidence's strength. */
  score?: number;
  value?: number;
  baseline?: number;
  limit?: number;
  unit?: string;
  series?: { metric: string; labels: Record<string, string> };
  template?: string;
}

export interface ChainLink {
  entity: string;
  effect: string;
  evidence: string[];
  /** What the link is in the story: the root cause, the resource it exhausted, a victim, or the symptom users saw. */
  role?: "cause" | "resource" | "victim" | "symptom";
}

/** The exhausted resource with its numbers: `648 of 648 connections since 02:58`. */
export interface ResourceUsage {
  entity: string;
  name: string;
  used: number;
  limit: number;
  unit: string;
  /** ISO 8601, when usage first reached the limit. */
  since?: string;
  /** How the limit comes about, e.g. `648 = DBInstanceClassMemory / 12582880`. */
  arithmetic?: string;
}

/** A cause that made the root cause possible or worse, reported beside it. */
export interface ContributingCause {
  entity: string;
  kind: string;
  why: string;
  evidence: string[];
}

export interface Cause {
  rank: number;
  entity: string;
  kind: string;
  resource?: string;
  /** 0..1, calibrated: below 0.5 means "not confident". */
  confidence: number;
  /** What the confidence was computed from (see src/reason/confidence.ts). */
  calibration?: { score: number; separation: number; finding: number; fault: number };
  /** ISO 8601. */
  start: string;
  chain: ChainLink[];
  resource_usage?: ResourceUsage;
  contributing?: ContributingCause[];
  evidence: DiagnosisEvidence[];
  remediation: { now: string[]; fix: string[] };
  why: string;
}

/** Per input format: how many files were read and their size on disk. */
export interface SourceSummary {
  format: string;
  files: number;
  bytes: number;
}

export interface Diagnosis {
  schema: typeof DIAGNOSIS_SCHEMA;
  /** ISO 8601. */
  generated_at: string;
  input: {
    /** The files read: all of them when few (or on request), else the first few; `source_summary` counts them all. */
    sources: { file: string; format: string }[];
    source_summary?: SourceSummary[];
    skipped: Skipped[];
    /** Kinds with more distinct names than the cap (--max-entities): the rest were folded into one entity each. */
    folded?: FoldedEntities[];
    /** ISO 8601. */
    window: { start: string; end: string };
    alert_time?: string;
  };
  summary: string;
  /** True when the top cause reaches the confidence to be named (0.5); scripts read this, not the prose. */
  confident: boolean;
  /** Which stretch of time served as normal, and why. */
  baseline?: {
    start: string;
    end: string;
    why: string;
    /** Stretches left out of one entity's normal: it was itself unhealthy then (an earlier fault still active). */
    left_out?: { entity: string; start: string; end: string }[];
  };
  /** What changed but is not a fault: a traffic change the load explains, planned work, a scheduled job. */
  context?: string[];
  causes: Cause[];
  ruled_out: { entity: string; kind: string; why: string }[];
  missing_data: string[];
  timing: { read_ms: number; analyze_ms: number };
}
