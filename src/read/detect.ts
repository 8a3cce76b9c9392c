/** Chooses a reader by content (DESIGN.md, step 1): every reader sniffs the first bytes; the surest wins. */
import { callGraphCsvReader } from "./callGraphCsv.js";
import { csvLogsReader } from "./csvLogs.js";
import { exportIndexReader } from "./exportIndex.js";
import { jaegerJsonReader } from "./jaegerJson.js";
import { jsonLinesReader } from "./jsonLines.js";
import { kubectlJsonReader } from "./kubectlJson.js";
import { longCsvReader } from "./longCsv.js";
import { otlpLogsReader } from "./otlpLogs.js";
import { otlpTracesReader } from "./otlpTraces.js";
import { plainLogsReader } from "./plainLogs.js";
import { prometheusJsonReader } from "./prometheusJson.js";
import { promTextReader } from "./promText.js";
import { spanCsvReader } from "./spanCsv.js";
import type { Reader } from "./types.js";
import { wideCsvReader } from "./wideCsv.js";

/** In order of precedence when two readers are equally sure: specific formats before generic ones. */
export const READERS: readonly Reader[] = [
  prometheusJsonReader,
  exportIndexReader,
  otlpTracesReader,
  otlpLogsReader,
  jaegerJsonReader,
  kubectlJsonReader,
  spanCsvReader,
  csvLogsReader,
  callGraphCsvReader,
  longCsvReader,
  wideCsvReader,
  promTextReader,
  jsonLinesReader,
  plainLogsReader,
];

export function chooseReader(head: string): Reader | undefined {
  let best: Reader | undefined;
  let bestScore = 0;
  for (const reader of READERS) {
    const score = reader.sniff(head);
    if (score > bestScore) {
      best = reader;
      bestScore = score;
    }
  }
  return best;
}

export function knownFormats(): string {
  return READERS.map((r) => r.format).join(", ");
}
