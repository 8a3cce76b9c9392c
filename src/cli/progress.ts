/** A read-progress bar on stderr, shown only to a person at a terminal (DESIGN.md, "Commands"). */
import { Presets, SingleBar } from "cli-progress";

/** What the engine reports while reading one input file. */
export interface ReadProgress {
  file: string;
  bytesRead: number;
  bytesTotal: number;
}

export interface Progress {
  onProgress?: (p: ReadProgress) => void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WriteStream): Progress {
  if (!stream.isTTY) return { stop: () => {} };
  const bar = new SingleBar(
    { stream, format: "reading {file} [{bar}] {percentage}%", clearOnComplete: true, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  let currentFile = "";
  return {
    onProgress: ({ file, bytesRead, bytesTotal }) => {
      if (!started) {
        bar.start(bytesTotal, bytesRead, { file });
        started = true;
      } else if (file !== currentFile) {
        bar.setTotal(bytesTotal);
      }
      currentFile = file;
      bar.update(bytesRead, { file });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
