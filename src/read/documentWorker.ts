/**
 * A worker thread of parallelDocument: parses a JSON document with the named reader as its bytes arrive
 * from the main thread, and sends back what the reader gave its sink, in order, one batch per chunk
 * parsed (the batch is also the chunk's acknowledgement, which paces the main thread).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { DocumentReaderName, FromWorker, SinkCall, ToWorker, WorkerStart } from "./parallelDocument.js";
import { prometheusJsonReader } from "./prometheusJson.js";
import { type CaseSink, ReadError, type Reader, type ReaderInput } from "./types.js";

const READERS: Record<DocumentReaderName, Reader> = { "prometheus-json": prometheusJsonReader };

/** Room for a chunk's samples before the first growth; doubling after that. */
const INITIAL_SAMPLES = 64 * 1024;

/** A sink that records each call, with samples packed into one array, until the batch is sent. */
class BatchingSink implements CaseSink {
  private calls: SinkCall[] = [];
  private samples = new Float64Array(INITIAL_SAMPLES);
  private used = 0;

  addSamples(
    labels: Record<string, string>,
    metric: string,
    t: ArrayLike<number>,
    v: ArrayLike<number>,
    unit?: string,
  ) {
    const count = t.length;
    if (this.used + 2 * count > this.samples.length) {
      const grown = new Float64Array(Math.max(2 * this.samples.length, this.used + 2 * count));
      grown.set(this.samples.subarray(0, this.used));
      this.samples = grown;
    }
    this.samples.set(t, this.used);
    this.samples.set(v, this.used + count);
    this.calls.push({ method: "samples", labels, metric, offset: this.used, count, unit });
    this.used += 2 * count;
  }

  skip(where: string, reason: string): void {
    this.calls.push({ method: "skip", where, reason });
  }

  addLog(): void {
    throw new Error("a document read on a worker gave a log record");
  }

  addSpan(): void {
    throw new Error("a document read on a worker gave a span");
  }

  addEvent(): void {
    throw new Error("a document read on a worker gave an event");
  }

  addObject(): void {
    throw new Error("a document read on a worker gave a Kubernetes object");
  }

  addRelation(): void {
    throw new Error("a document read on a worker gave a relation");
  }

  /** Sends the calls so far; the samples array goes with them (transferred, not copied). */
  send(extra: Omit<FromWorker, "calls" | "samples"> = {}): void {
    const samples = this.samples.slice(0, this.used);
    const message: FromWorker = { calls: this.calls, samples, ...extra };
    parentPort?.postMessage(message, [samples.buffer]);
    this.calls = [];
    this.used = 0;
  }
}

/** The chunks the main thread sends, as an async stream; after each one is parsed, its calls go back. */
async function* chunksFrom(sink: BatchingSink): AsyncGenerator<Buffer> {
  const queue: ToWorker[] = [];
  let wake: (() => void) | undefined;
  parentPort?.on("message", (message: ToWorker) => {
    queue.push(message);
    wake?.();
  });
  for (;;) {
    if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const message = queue.shift() as ToWorker;
    if (!message.chunk) return;
    yield Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength);
    // The reader asks for the next chunk only once it has parsed this one.
    sink.send({ parsed: 1 });
  }
}

async function run({ reader, file, head }: WorkerStart): Promise<void> {
  const sink = new BatchingSink();
  const input: ReaderInput = {
    file,
    head,
    bytes: () => chunksFrom(sink),
    lines: () => {
      throw new Error("a document read on a worker is read as bytes");
    },
  };
  try {
    await READERS[reader].read(input, sink);
    sink.send({ done: true });
  } catch (error) {
    const failure =
      error instanceof ReadError
        ? { file: error.file, where: error.where, expected: error.expected }
        : { message: (error as Error).message, stack: (error as Error).stack };
    sink.send({ failure });
  }
}

void run(workerData as WorkerStart);
