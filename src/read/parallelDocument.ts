/**
 * A large JSON document (a Prometheus query_range answer of a gigabyte) parsed on a worker thread while
 * this thread builds the Case: the bytes are read here (so the caps and the progress apply as for any
 * file) and handed over in chunks; what the reader gives its sink comes back in the same order and is
 * given to the real sink, so the Case is the one a read on one thread makes. Tokenising and parsing,
 * most of a read's cost, then run beside the building instead of before it.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { type CaseSink, ReadError, type ReaderInput } from "./types.js";

/** The readers a worker knows, by name (a function cannot cross to a worker; its name can). */
export type DocumentReaderName = "prometheus-json";

export interface WorkerStart {
  reader: DocumentReaderName;
  file: string;
  head: string;
}

/** A chunk of the document, or (without one) its end. */
export interface ToWorker {
  chunk?: Uint8Array;
}

/** One call the reader made on its sink; a series' samples are t then v at `offset` in the batch's array. */
export type SinkCall =
  | { method: "samples"; labels: Record<string, string>; metric: string; offset: number; count: number; unit?: string }
  | { method: "skip"; where: string; reason: string };

export interface FromWorker {
  calls: SinkCall[];
  samples: Float64Array;
  /** Chunks parsed with this batch (1, or absent for the last batch). */
  parsed?: number;
  done?: boolean;
  /** Why reading stopped: a ReadError's parts, or an internal error's message and stack. */
  failure?: { file: string; where: string; expected: string } | { message: string; stack?: string };
}

/** Below this size a file is read before a worker would have started and loaded its modules. */
const PARALLEL_MIN_BYTES = 32 * 1024 * 1024;
/**
 * Bytes handed over at a time: large enough that messages are few (a thousand for a gigabyte), small
 * enough that the worker starts soon and the chunks in flight stay a few MB.
 */
const CHUNK_BYTES = 1024 * 1024;
/** Chunks handed over and not yet parsed: enough that the worker never waits for this thread. */
const CHUNKS_IN_FLIGHT = 4;

/** Whether a document is worth a worker: a plain file large enough, on a machine with a second core. */
export function worthAWorker(input: ReaderInput): boolean {
  return (input.plainFile?.size ?? 0) >= PARALLEL_MIN_BYTES && availableParallelism() >= 2;
}

/** Reads the document with the named reader on a worker thread, giving its sink calls to `sink`. */
export async function readOnWorker(input: ReaderInput, sink: CaseSink, reader: DocumentReaderName): Promise<void> {
  const start: WorkerStart = { reader, file: input.file, head: input.head };
  const worker = new Worker(new URL("./documentWorker.js", import.meta.url), { workerData: start });
  const replies = new Replies(worker, sink);
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const send = async () => {
      if (pendingBytes === 0) return;
      const chunk = new Uint8Array(Buffer.concat(pending, pendingBytes));
      pending = [];
      pendingBytes = 0;
      worker.postMessage({ chunk } satisfies ToWorker, [chunk.buffer]);
      await replies.sent();
    };
    try {
      for await (const bytes of input.bytes()) {
        pending.push(bytes);
        pendingBytes += bytes.length;
        if (pendingBytes >= CHUNK_BYTES) await send();
      }
    } catch (error) {
      // What was read before the input failed is parsed and kept, as on one thread; a parse error in it comes first.
      await send();
      await replies.drained();
      throw error;
    }
    await send();
    worker.postMessage({} satisfies ToWorker);
    await replies.finished();
  } finally {
    await worker.terminate();
  }
}

/** The worker's replies: each given to the sink as it arrives; a failure ends every wait with its error. */
class Replies {
  private inFlight = 0;
  private done = false;
  private error?: Error;
  private waiter?: () => void;

  constructor(
    worker: Worker,
    private readonly sink: CaseSink,
  ) {
    worker.on("message", (reply: FromWorker) => this.take(reply));
    worker.on("error", (error) => this.fail(error));
    worker.on("exit", () => this.fail(new Error("the document's worker thread stopped")));
  }

  /** A chunk was handed over: waits while too many are in flight. */
  async sent(): Promise<void> {
    this.inFlight++;
    await this.until(() => this.inFlight < CHUNKS_IN_FLIGHT);
  }

  /** Waits until every chunk handed over is parsed (or reading stopped). */
  async drained(): Promise<void> {
    await this.until(() => this.inFlight === 0).catch(() => undefined);
    if (this.error) throw this.error;
  }

  /** Waits until the reader is done with the whole document. */
  async finished(): Promise<void> {
    await this.until(() => this.done);
  }

  private async until(condition: () => boolean): Promise<void> {
    while (!condition()) {
      if (this.error) throw this.error;
      if (this.done) return;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    if (this.error) throw this.error;
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private take(reply: FromWorker): void {
    try {
      this.replay(reply);
    } catch (error) {
      // The sink failing here is the read failing, as it would on one thread, not the event loop.
      this.fail(error as Error);
      return;
    }
    this.inFlight -= reply.parsed ?? 0;
    if (reply.failure) this.fail(failureError(reply.failure));
    if (reply.done) this.done = true;
    this.wake();
  }

  private replay(reply: FromWorker): void {
    for (const call of reply.calls) {
      if (call.method === "skip") this.sink.skip(call.where, call.reason);
      else {
        const { offset, count } = call;
        const t = reply.samples.subarray(offset, offset + count);
        const v = reply.samples.subarray(offset + count, offset + 2 * count);
        this.sink.addSamples(call.labels, call.metric, t, v, call.unit);
      }
    }
  }

  private fail(error: Error): void {
    if (this.done || this.error) return;
    this.error = error;
    this.wake();
  }
}

function failureError(failure: NonNullable<FromWorker["failure"]>): Error {
  if ("where" in failure) return new ReadError(failure.file, failure.where, failure.expected);
  const error = new Error(failure.message);
  if (failure.stack) error.stack = failure.stack;
  return error;
}
