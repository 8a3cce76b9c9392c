/** Reads files and folders into one Case: folders recursively, `.gz` unwrapped by its magic bytes. */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, open, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createGunzip, gunzipSync } from "node:zlib";
import { CaseBuilder } from "../case/builder.js";
import type { Case } from "../case/model.js";
import { chooseReader, knownFormats } from "./detect.js";
import { fileSizeError, fileTimeError, lineLengthError, longLineIn } from "./fileCaps.js";
import { GuardedSink } from "./guardedSink.js";
import { DEFAULT_READ_LIMITS, NoDataError, ReadError, type ReaderInput, type ReadLimits, STDIN_NAME } from "./types.js";

/** Enough of a file to recognise any supported format from its first record. */
const HEAD_BYTES = 64 * 1024;
const GZIP_MAGIC = [0x1f, 0x8b];

export interface ReadProgress {
  file: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface ReadOptions {
  onProgress?: (progress: ReadProgress) => void;
  limits?: Partial<ReadLimits>;
  /** Distinct entities of a kind the Case keeps before folding the rest (DEFAULT_MAX_ENTITIES when absent). */
  maxEntities?: number;
}

export interface ReadResult {
  case: Case;
  formats: { file: string; format: string; bytes: number }[];
}

/** One input file: `name` is what messages call it, `path` where its bytes are (a spool for a stream). */
interface InputFile {
  name: string;
  path: string;
  size: number;
  /** Why it cannot be read at all (a terminal, a device); it is skipped and listed. */
  unreadable?: string;
}

export { STDIN_NAME };

/**
 * Every file under the given paths, in a stable order; a missing path is a ReadError. Standard input
 * (`-`), FIFOs and process substitutions (`<(zcat x.gz)`) can be read only once and not sniffed in
 * place, so their content is copied to `spoolDir` first.
 */
async function listFiles(paths: string[], spoolDir: () => Promise<string>): Promise<InputFile[]> {
  const files: InputFile[] = [];
  // Something found but not readable is listed with the reason and skipped later, like a corrupt file.
  const unreadable = (name: string, reason: string) => files.push({ name, path: name, size: 0, unreadable: reason });
  const spool = async (name: string, stream: Readable): Promise<void> => {
    const path = join(await spoolDir(), `input-${files.length}`);
    try {
      await pipeline(stream, createWriteStream(path));
      files.push({ name, path, size: (await stat(path)).size });
    } catch (error) {
      unreadable(name, `a readable stream (${(error as Error).message})`);
    }
  };
  const walk = async (path: string, given: boolean): Promise<void> => {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch {
      // A path the user gave must exist; one found in a folder (a dangling symlink) is only listed.
      if (given) throw new ReadError(path, "path", "an existing file or folder (nothing is there)");
      return void unreadable(path, "an existing file (a link to nothing)");
    }
    if (info.isDirectory()) {
      let names: string[];
      try {
        names = (await readdir(path)).filter((n) => !n.startsWith(".")).sort();
      } catch (error) {
        return void unreadable(path, `a readable folder (${(error as Error).message})`);
      }
      for (const name of names) await walk(join(path, name), false);
    } else if (info.isFile()) files.push({ name: path, path, size: info.size });
    else if (info.isFIFO() || info.isSocket()) await spool(path, createReadStream(path));
    // A terminal or device has no end to wait for (`/dev/stdin` at a prompt, `/dev/zero`).
    else unreadable(path, "a file, folder or pipe (this is a device)");
  };
  for (const path of paths) {
    if (path === STDIN_NAME) await spool(STDIN_NAME, process.stdin);
    else await walk(path, true);
  }
  return files;
}

async function readHeadBytes(file: string): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function isGzip(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** Bytes of the file as they are read: progress moves within a large file, not only when it ends. */
type OnBytes = (bytes: number) => void;

function counted(stream: Readable, onBytes: OnBytes | undefined): Readable {
  if (!onBytes) return stream;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  stream.on("error", (e) => counter.destroy(e));
  return stream.pipe(counter);
}

/** Passes the content on until it exceeds the file's caps, then fails with a ReadError naming the cap and its flag. */
function limited(stream: Readable, file: string, limits: ReadLimits): Readable {
  const started = performance.now();
  let bytes = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > limits.maxFileBytes) return done(fileSizeError(file, limits));
      if (performance.now() - started > limits.maxFileSeconds * 1000) return done(fileTimeError(file, limits, bytes));
      done(null, chunk);
    },
  });
  stream.on("error", (e) => limiter.destroy(e));
  return stream.pipe(limiter);
}

/**
 * Fails with a ReadError naming --max-line-length when a line grows beyond it, before readline holds
 * it whole: a file of one endless line (10 GB without a line break) ends there, in bounded memory.
 * A line break is LF or CR, as readline takes them.
 */
function lineLimited(stream: Readable, file: string, limits: ReadLimits): Readable {
  const max = limits.maxLineBytes;
  let offset = 0;
  let lineStart = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const lf = chunk.indexOf(0x0a);
      const cr = chunk.indexOf(0x0d);
      const first = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      const last = Math.max(chunk.lastIndexOf(0x0a), chunk.lastIndexOf(0x0d));
      const runEnd = offset + (first < 0 ? chunk.length : first);
      if (runEnd - lineStart > max) return done(lineLengthError(file, limits, lineStart));
      // Lines that begin and end within the chunk are no longer than it: looked at only when it exceeds the cap.
      if (first >= 0 && chunk.length > max) {
        const long = longLineIn(chunk, first + 1, last, max);
        if (long >= 0) return done(lineLengthError(file, limits, offset + long));
      }
      if (last >= 0) lineStart = offset + last + 1;
      offset += chunk.length;
      if (offset - lineStart > max) return done(lineLengthError(file, limits, lineStart));
      done(null, chunk);
    },
  });
  stream.on("error", (e) => limiter.destroy(e));
  return stream.pipe(limiter);
}

function contentStream(file: InputFile, gzip: boolean, limits: ReadLimits, onBytes?: OnBytes): Readable {
  const raw = counted(createReadStream(file.path), onBytes);
  if (!gzip) return limited(raw, file.name, limits);
  const gunzip = createGunzip();
  raw.on("error", (e) => gunzip.destroy(e));
  return limited(raw.pipe(gunzip), file.name, limits);
}

/** A stream's failure as a ReadError: the caps' own, or a file that could not be read to its end. */
function streamError(file: string, error: unknown): ReadError {
  if (error instanceof ReadError) return error;
  return new ReadError(file, "content", `a complete file (${(error as Error).message})`);
}

/** Text without the byte-order mark some Windows tools put first: it is no part of the first field. */
function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The first HEAD_BYTES of content; a truncated gzip still yields what it holds. */
function decodeHead(file: string, bytes: Buffer): string {
  if (!isGzip(bytes)) return withoutBom(bytes.toString("utf8"));
  try {
    const text = gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH /* the head is a prefix of the stream */ })
      .subarray(0, HEAD_BYTES)
      .toString("utf8");
    return withoutBom(text);
  } catch {
    throw new ReadError(file, "gzip header", "a valid gzip stream");
  }
}

function makeInput(input: InputFile, head: string, gzip: boolean, limits: ReadLimits, onBytes?: OnBytes): ReaderInput {
  const { name: file, path, size } = input;
  return {
    file,
    head,
    plainFile: gzip ? undefined : { path, size, limits, onBytes },
    async *lines() {
      const stream = lineLimited(contentStream(input, gzip, limits, onBytes), file, limits);
      const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
      try {
        let first = true;
        for await (const line of lines) {
          yield first ? withoutBom(line) : line;
          first = false;
        }
      } catch (error) {
        throw streamError(file, error);
      }
    },
    async *bytes() {
      try {
        for await (const chunk of contentStream(input, gzip, limits, onBytes)) yield chunk as Buffer;
      } catch (error) {
        throw streamError(file, error);
      }
    },
  };
}

/** What one file gave: its format, or the error that made it unreadable (and a shorter reason for lists). */
type FileOutcome = { format: string } | { error: ReadError; reason?: string };

/** Input-layer failures that make one file unreadable (permissions, a folder where a file was), not beneath broken. */
function asReadError(name: string, error: unknown): ReadError | undefined {
  if (error instanceof ReadError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code))
    return new ReadError(name, "file", `a readable file (${(error as Error).message})`);
  return undefined;
}

async function readFile(
  file: InputFile,
  sink: GuardedSink,
  limits: ReadLimits,
  onBytes?: OnBytes,
): Promise<FileOutcome> {
  if (file.unreadable) return { error: new ReadError(file.name, "path", file.unreadable) };
  const bytes = await readHeadBytes(file.path);
  const gzip = isGzip(bytes);
  const head = decodeHead(file.name, bytes);
  if (head.trim() === "") return { error: new ReadError(file.name, "line 1", "telemetry data, but the file is empty") };
  const reader = chooseReader(head);
  if (!reader)
    return {
      error: new ReadError(file.name, "line 1", `a known format (${knownFormats()})`),
      reason: "not a known telemetry format",
    };
  await reader.read(makeInput(file, head, gzip, limits, onBytes), sink);
  return { format: reader.format };
}

/** Files listed in a "nothing readable" message: enough to see the pattern, short enough for one line. */
const NAMED_FAILURES = 3;

/** The error when no file could be read: the file's own error when there was one, else what was found. */
function nothingReadable(paths: string[], failures: { error: ReadError; reason: string }[]): Error {
  if (failures.length === 0) return new NoDataError(`no files to read in ${paths.join(", ")} (empty folders)`);
  if (failures.length === 1) return failures[0].error;
  const named = failures.slice(0, NAMED_FAILURES).map((f) => `${f.error.file}: ${f.reason}`);
  const more = failures.length > NAMED_FAILURES ? `; and ${failures.length - NAMED_FAILURES} more` : "";
  return new NoDataError(`none of the ${failures.length} files is readable telemetry: ${named.join("; ")}${more}`);
}

/**
 * Reads every path into `builder` (which may already hold another source's pieces, such as a live
 * Prometheus case) and returns each file's format. A file that cannot be read (unknown format, corrupt,
 * unreadable) is skipped and listed; only when no file is readable is that an error.
 */
export async function readInto(
  builder: CaseBuilder,
  paths: string[],
  options: ReadOptions = {},
): Promise<ReadResult["formats"]> {
  let spoolDir: string | undefined;
  const makeSpoolDir = async () => {
    spoolDir ??= await mkdtemp(join(tmpdir(), "beneath-stdin-"));
    return spoolDir;
  };
  const limits = { ...DEFAULT_READ_LIMITS, ...options.limits };
  try {
    const files = await listFiles(paths, makeSpoolDir);
    const formats: ReadResult["formats"] = [];
    const failures: { error: ReadError; reason: string }[] = [];
    const bytesTotal = files.reduce((sum, f) => sum + f.size, 0);
    let bytesDone = 0;
    for (const [index, file] of files.entries()) {
      const sink = new GuardedSink(builder.sinkFor(file.name));
      const report = (fileBytes: number, filesDone: number) =>
        options.onProgress?.({
          file: file.name,
          filesDone,
          filesTotal: files.length,
          bytesDone: bytesDone + fileBytes,
          bytesTotal,
        });
      let fileBytes = 0;
      // Capped at the listed size: a log still being written grows while it is read.
      const onBytes =
        options.onProgress &&
        ((n: number) => {
          fileBytes = Math.min(fileBytes + n, file.size);
          report(fileBytes, index);
        });
      let outcome: FileOutcome;
      try {
        outcome = await readFile(file, sink, limits, onBytes);
      } catch (error) {
        const readError = asReadError(file.name, error);
        if (!readError) throw error;
        outcome = { error: readError };
      }
      if ("format" in outcome) formats.push({ file: file.name, format: outcome.format, bytes: file.size });
      else {
        const reason = outcome.reason ?? outcome.error.expected;
        failures.push({ error: outcome.error, reason });
        const kept = sink.records > 0 ? `; the ${sink.records} records read before it are kept` : "";
        builder.skip({ file: file.name, where: outcome.error.where, reason: `${reason}${kept}` });
      }
      sink.finish();
      report(file.size, index + 1);
      bytesDone += file.size;
    }
    // Files added to a case read elsewhere (a live pull) may be none at all.
    if (formats.length === 0 && paths.length > 0) throw nothingReadable(paths, failures);
    return formats;
  } finally {
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  }
}

/** Reads every path into one Case (see readInto). */
export async function readCaseWithFormats(paths: string[], options: ReadOptions = {}): Promise<ReadResult> {
  const builder = new CaseBuilder({ maxEntities: options.maxEntities });
  const formats = await readInto(builder, paths, options);
  return { case: builder.build(), formats };
}

export async function readCase(paths: string[], options: ReadOptions = {}): Promise<Case> {
  return (await readCaseWithFormats(paths, options)).case;
}
