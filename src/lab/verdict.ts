/** Whether a diagnosis matches a lab run's truth: the right root entity and kind, or (for a look-alike) nothing blamed with confidence. */
import { CONFIDENT_AT } from "../diagnosis/present.js";
import type { Diagnosis } from "../diagnosis/types.js";

export interface Truth {
  root_cause: { entity: string; kind: string } | null;
}

export interface Verdict {
  matches: boolean;
  line: string;
}

export function judge(truth: Truth, d: Diagnosis): Verdict {
  const top = d.causes[0];
  if (truth.root_cause === null) {
    const blamed = top !== undefined && top.confidence >= CONFIDENT_AT;
    const said = blamed
      ? `blamed ${top.entity} (${top.kind}) at ${top.confidence.toFixed(2)}`
      : `blamed nothing at ${CONFIDENT_AT} or above`;
    return { matches: !blamed, line: `truth: no fault to find; beneath ${said} (${blamed ? "MISMATCH" : "match"})` };
  }
  const { entity, kind } = truth.root_cause;
  const found = top ? `${top.entity} ${top.kind} at ${top.confidence.toFixed(2)}` : "no cause";
  const matches = top?.entity === entity && top.kind === kind;
  return {
    matches,
    line: `truth: ${entity} ${kind}; beneath's top cause: ${found} (${matches ? "match" : "MISMATCH"})`,
  };
}
