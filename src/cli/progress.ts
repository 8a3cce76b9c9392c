/** A read-progress bar on stderr, shown only to a person at a terminal (DESIGN.md, "Commands"). */
import type { ReadProgress } from "../read/index.js";

/** The bar library, loaded only for a person at a terminal: piped and scripted runs start faster without it. */
async function barLibrary() {
  return await import("cli-progress");
}

export interface Progress {
  onProgress?: (p: ReadProgress) => void;
  stop(): void;
}

export async function createProgress(stream: NodeJS.WriteStream): Promise<Progress> {
  if (!stream.isTTY) return { stop: () => {} };
  const { Presets, SingleBar } = await barLibrary();
  const bar = new SingleBar(
    { stream, format: "reading {file} [{bar}] {percentage}%", clearOnComplete: true, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  let currentFile = "";
  return {
    onProgress: ({ file, bytesDone, bytesTotal }) => {
      if (!started) {
        bar.start(bytesTotal, bytesDone, { file });
        started = true;
      } else if (file !== currentFile) {
        bar.setTotal(bytesTotal);
      }
      currentFile = file;
      bar.update(bytesDone, { file });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/** A progress bar for work counted in steps (simulated ticks), on a terminal only. */
export async function createStepProgress(stream: NodeJS.WriteStream, label: string) {
  if (!stream.isTTY) return { onStep: undefined, stop: () => {} };
  const { Presets, SingleBar } = await barLibrary();
  const bar = new SingleBar(
    { stream, format: `${label} [{bar}] {percentage}%`, clearOnComplete: true, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    onStep: (done: number, total: number) => {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else bar.update(done);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
