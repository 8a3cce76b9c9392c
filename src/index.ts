/** The library: `import { analyze } from "beneath"`. */
export { type AnalyzeOptions, analyze } from "./analyze.js";
export type { Case, Span } from "./case/model.js";
export { SpanTable } from "./case/spanTable.js";
export type { Diagnosis } from "./diagnosis/types.js";
export {
  analyzeLive,
  type LiveAnalysis,
  LiveError,
  type LiveSourceOptions,
  type Pull,
  pullIncident,
  writeExport,
} from "./live/index.js";
export { readCase } from "./read/index.js";
export { NoDataError, ReadError } from "./read/types.js";
