/**
 * A pulled incident as a Case, through the same Prometheus JSON reader and Case builder a folder of
 * exported files goes through, in the same order, so both give the same diagnosis.
 */
import { CaseBuilder } from "../case/builder.js";
import type { Case } from "../case/model.js";
import { readInto } from "../read/index.js";
import { prometheusJsonReader } from "../read/prometheusJson.js";
import type { ReaderInput } from "../read/types.js";
import type { Pull } from "./pull.js";

/** As much of a file as a reader's sniff sees (the reader here is chosen, not sniffed). */
const HEAD_CHARS = 64 * 1024;

/** An answer already in memory as a reader's input. */
function answerInput(file: string, text: string): ReaderInput {
  return {
    file,
    head: text.slice(0, HEAD_CHARS),
    async *lines() {
      yield* text.split("\n");
    },
    async *bytes() {
      yield Buffer.from(text);
    },
  };
}

export interface LiveCase {
  case: Case;
  formats: { file: string; format: string }[];
}

/** The pulled metrics plus any files given beside them (logs, Kubernetes objects). */
export async function buildLiveCase(pull: Pull, paths: string[] = [], maxEntities?: number): Promise<LiveCase> {
  const builder = new CaseBuilder({ maxEntities });
  const formats: LiveCase["formats"] = [];
  for (const metric of pull.metrics) {
    const file = `${pull.source} ${metric.name}`;
    await prometheusJsonReader.read(answerInput(file, metric.text), builder.sinkFor(file));
    formats.push({ file, format: prometheusJsonReader.format });
  }
  for (const note of pull.skipped) builder.skip({ file: pull.source, ...note });
  formats.push(...(await readInto(builder, paths)));
  return { case: builder.build(), formats };
}
