/** How long a lab run lasts, phase by phase: a module of its own so the CLI can show the defaults without loading the lab. */
export interface LabTimings {
  /** Healthy traffic before the fault. */
  baselineSeconds: number;
  /** How long after the fault the alert may take before the run gives up. */
  maxFaultSeconds: number;
  /** Traffic kept running after the alert, so the incident window holds data. */
  afterAlertSeconds: number;
  scrapeSeconds: number;
}

export const DEFAULT_TIMINGS: LabTimings = {
  baselineSeconds: 180,
  maxFaultSeconds: 300,
  afterAlertSeconds: 90,
  scrapeSeconds: 2,
};
