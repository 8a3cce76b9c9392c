/** The Diagnosis document, schema `beneath.diagnosis/v1` (DESIGN.md, step 5; schema/diagnosis.v1.json). */
import type { Skipped } from "../case/model.js";

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
}

export interface ChainLink {
  entity: string;
  effect: string;
  evidence: string[];
}

export interface Cause {
  rank: number;
  entity: string;
  kind: string;
  resource?: string;
  /** 0..1, calibrated: below 0.5 means "not confident". */
  confidence: number;
  /** ISO 8601. */
  start: string;
  chain: ChainLink[];
  evidence: DiagnosisEvidence[];
  remediation: { now: string[]; fix: string[] };
  why: string;
}

export interface Diagnosis {
  schema: typeof DIAGNOSIS_SCHEMA;
  /** ISO 8601. */
  generated_at: string;
  input: {
    sources: { file: string; format: string }[];
    skipped: Skipped[];
    /** ISO 8601. */
    window: { start: string; end: string };
    alert_time?: string;
  };
  summary: string;
  causes: Cause[];
  ruled_out: { entity: string; kind: string; why: string }[];
  missing_data: string[];
  timing: { read_ms: number; analyze_ms: number };
}
