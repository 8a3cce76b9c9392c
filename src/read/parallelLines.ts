/**
 * Readers whose lines parse independently of each other (JSON-lines logs) read a large plain file in
 * chunks on worker threads and take the parsed lines back in file order: the Case is the same as from
 * one thread, while the costly part (JSON parsing, field extraction) runs on every core and the main
 * thread only builds the Case.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { fileSizeError, fileTimeError, lineLengthError } from "./fileCaps.js";
import { type LogBatch, unpackLines } from "./logBatch.js";
import { type LogRecord, ReadError, type ReaderInput } from "./types.js";

/** A parsed line: its record, why it is not one, or undefined for a blank line. */
export type LineResult = LogRecord | string | undefined;

/** The line parsers a worker knows, by name (a function cannot cross to a worker; its name can). */
export type LineParserName = "json-lines";

/** Which parser a worker runs and its arguments: plain data, as it is copied to the worker. */
export interface LineParserSpec {
  parser: LineParserName;
  fallbackLabels: Record<string, string>;
}

/** A chunk for a worker: the lines that start in [start, end) of the file, none longer than maxLineBytes. */
export interface ChunkRequest {
  path: string;
  start: number;
  end: number;
  maxLineBytes: number;
  spec: LineParserSpec;
}

/** A chunk's lines parsed; or a line over the cap (where it starts); or the file could not be read. */
export type ChunkReply = { batch: LogBatch; bytes: number } | { longLineAt: number } | { error: string };

/** Below this size, a file is read before workers would have started (tens of ms each): one thread reads it. */
const PARALLEL_MIN_BYTES = 16 * 1024 * 1024;
/**
 * Bytes per chunk: large enough that handing a chunk over costs little beside parsing it (256 KiB
 * takes the same CPU time as 1 MiB), small enough that a chunk's parsed lines mostly die in the
 * workers' young generation and the chunks in flight stay within a few MB (measured: 33 MB less
 * peak memory than 1 MiB chunks on 100 MB of logs).
 */
const CHUNK_BYTES = 256 * 1024;
/** Chunks given to a worker at once: one parsing and one waiting, so that no worker idles between chunks. */
const CHUNKS_PER_WORKER = 2;
/** Workers beyond four would wait on the main thread, which adds every line to the Case alone. */
const MAX_WORKERS = 4;
/**
 * A worker's young generation, in MB. V8's default (tens of MB per thread) is what made memory grow
 * with the workers; a chunk's garbage is short-lived and small, so a few MB collect it as cheaply
 * (measured: the same CPU time on 100 MB of logs, 80 MB less peak memory with two workers).
 */
const WORKER_YOUNG_GENERATION_MB = 4;

export interface ParallelOptions {
  /** Smallest file read in parallel (default 16 MiB). */
  minBytes?: number;
  /** Bytes per chunk (default 256 KiB). */
  chunkBytes?: number;
  /** Worker threads (default: one per core, at most four; none on one core). */
  workers?: number;
}

/** A line's record, or why it is not one. */
export type ParsedLine = LogRecord | string;

/** Parses every line of the input in file order and gives each result but blank lines to `take` with its line number. */
export async function forEachParsedLine(
  input: ReaderInput,
  spec: LineParserSpec,
  parse: (line: string, fallbackLabels: Record<string, string>) => LineResult,
  take: (result: ParsedLine, lineNumber: number) => void,
  options: ParallelOptions = {},
): Promise<void> {
  const workers = options.workers ?? Math.min(MAX_WORKERS, availableParallelism());
  const plain = input.plainFile;
  if (!plain || workers < 2 || plain.size < (options.minBytes ?? PARALLEL_MIN_BYTES)) {
    let lineNumber = 0;
    for await (const line of input.lines()) {
      const result = parse(line, spec.fallbackLabels);
      lineNumber++;
      if (result !== undefined) take(result, lineNumber);
    }
    return;
  }
  const { limits } = plain;
  // The streamed read stops when the content passes the cap; here the size is known before reading.
  if (plain.size > limits.maxFileBytes) throw fileSizeError(input.file, limits);
  const started = performance.now();
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  const chunks = Math.ceil(plain.size / chunkBytes);
  const pool = new WorkerPool(Math.min(workers, chunks));
  try {
    const replies: Promise<ChunkReply>[] = [];
    const send = () => {
      const index = replies.length;
      const start = index * chunkBytes;
      const end = Math.min(start + chunkBytes, plain.size);
      replies.push(pool.run(index, { path: plain.path, start, end, maxLineBytes: limits.maxLineBytes, spec }));
    };
    while (replies.length < Math.min(chunks, pool.size * CHUNKS_PER_WORKER)) send();
    let lineNumber = 0;
    let bytesRead = 0;
    for (let index = 0; index < chunks; index++) {
      const reply = await replies[index];
      // Let the reply go once taken: chunks ahead of the one being added hold the memory in flight.
      delete replies[index];
      if ("error" in reply) throw new ReadError(input.file, "content", `a readable file (${reply.error})`);
      if ("longLineAt" in reply) throw lineLengthError(input.file, limits, reply.longLineAt);
      if (performance.now() - started > limits.maxFileSeconds * 1000)
        throw fileTimeError(input.file, limits, bytesRead);
      if (replies.length < chunks) send();
      unpackLines(reply.batch, lineNumber + 1, take);
      lineNumber += reply.batch.kind.length;
      bytesRead += reply.bytes;
      plain.onBytes?.(reply.bytes);
    }
  } finally {
    await pool.close();
  }
}

/** Workers that each take chunks in turn and answer them in the order given. */
class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly waiting: { resolve: (reply: ChunkReply) => void; reject: (error: Error) => void }[][] = [];

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL("./lineWorker.js", import.meta.url), {
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      });
      const queue: (typeof this.waiting)[number] = [];
      worker.on("message", (reply: ChunkReply) => queue.shift()?.resolve(reply));
      worker.on("error", (error) => {
        for (const pending of queue.splice(0)) pending.reject(error);
      });
      this.workers.push(worker);
      this.waiting.push(queue);
    }
  }

  /** Chunk `index` goes to worker `index mod size`, so that each worker's answers come back in order. */
  run(index: number, request: ChunkRequest): Promise<ChunkReply> {
    const slot = index % this.size;
    const reply = new Promise<ChunkReply>((resolve, reject) => {
      this.waiting[slot].push({ resolve, reject });
    });
    // A chunk ahead of one that failed is never awaited; its own failure must not end the process.
    reply.catch(() => undefined);
    this.workers[slot].postMessage(request);
    return reply;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
