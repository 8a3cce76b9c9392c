/**
 * Published figures on the benchmark's datasets, quoted (not re-measured) with their source, so the
 * report can print them beside ours. See ../shared/datasets/<dataset>/README.md.
 */

export interface QuotedRow {
  method: string;
  /** The telemetry the method used. */
  data: string;
  /** Service-level top-k accuracy in percent, as printed in the source. */
  as1: number;
  as3: number;
  as5: number;
}

export interface Published {
  source: string;
  protocol: string;
  rows: QuotedRow[];
  notes: string[];
}

export const PUBLISHED: Record<string, Published> = {
  "train-ticket": {
    source:
      'G. Yu et al., "Nezha: Interpretable Fine-Grained Root Causes Analysis for Microservices on Multi-modal Observability Data", ESEC/FSE 2023, Table 3 (IntelligentDDS/Nezha, FSE2023_Nezha.pdf)',
    protocol:
      "all 45 cases together, service level (AS@k = AC@k); injection time known; fault minute = the +2 file; normal reference = construct_data (08_50, 11_39)",
    rows: [
      { method: "MicroScope", data: "metrics", as1: 17.78, as3: 26.67, as5: 35.56 },
      { method: "MicroRCA", data: "metrics", as1: 20.0, as3: 31.11, as5: 44.44 },
      { method: "SBLD", data: "logs", as1: 15.56, as3: 22.22, as5: 24.44 },
      { method: "LogFaultFlagger", data: "logs", as1: 17.78, as3: 24.44, as5: 24.44 },
      { method: "MicroRank", data: "traces", as1: 15.56, as3: 24.44, as5: 35.56 },
      { method: "TraceAnomaly", data: "traces", as1: 13.33, as3: 28.89, as5: 33.33 },
      { method: "PDiagnose", data: "metrics+logs+traces", as1: 8.89, as3: 13.33, as5: 22.22 },
      { method: "Nezha w/o metrics & logs", data: "traces", as1: 6.67, as3: 8.89, as5: 11.11 },
      { method: "Nezha w/o metrics", data: "logs+traces", as1: 55.56, as3: 62.22, as5: 68.89 },
      { method: "Nezha w/o logs", data: "metrics+traces", as1: 42.22, as3: 44.44, as5: 44.44 },
      { method: "Nezha", data: "metrics+logs+traces", as1: 86.67, as3: 97.78, as5: 97.78 },
    ],
    notes: [
      "No per-fault-type split and no Avg@5 are published (AS@2 and AS@4 are not given).",
      "Comparable to our reference protocol (the same fault minute, construct_data's minute named as the baseline, the metrics before the time); per-case and hour-before are other baselines. BARO reads the metrics only, which are the same under all three.",
    ],
  },
  "sock-shop": {
    source:
      'M. A. Ikram et al., "Root Cause Analysis of Failures in Microservices through Causal Discovery" (RCD), NeurIPS 2022 (azamikram/rcd)',
    protocol: "these 50 cpu/mem cases",
    rows: [],
    notes: [
      "No numeric figures are published for these cases: the RCD paper shows top-k plots only.",
      "The BARO paper's Sock Shop table (Avg@5 0.95 for RobustScorer) is on a different 100-case dataset with other load and faults: not comparable.",
    ],
  },
};
