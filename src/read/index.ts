/** Reads files and folders into one Case: folders recursively, `.gz` unwrapped by its magic bytes. */
import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { constants, createGunzip, gunzipSync } from "node:zlib";
import { CaseBuilder } from "../case/builder.js";
import type { Case } from "../case/model.js";
import { chooseReader, knownFormats } from "./detect.js";
import { ReadError, type ReaderInput } from "./types.js";

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
}

export interface ReadResult {
  case: Case;
  formats: { file: string; format: string; bytes: number }[];
}

/** Every file under the given paths, in a stable order; a missing path is a ReadError. */
async function listFiles(paths: string[]): Promise<{ file: string; size: number; explicit: boolean }[]> {
  const files: { file: string; size: number; explicit: boolean }[] = [];
  const walk = async (path: string, explicit: boolean): Promise<void> => {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch {
      throw new ReadError(path, "path", "an existing file or folder (nothing is there)");
    }
    if (info.isDirectory()) {
      const names = (await readdir(path)).filter((n) => !n.startsWith(".")).sort();
      for (const name of names) await walk(join(path, name), false);
    } else if (info.isFile()) files.push({ file: path, size: info.size, explicit });
  };
  for (const path of paths) await walk(path, true);
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

function contentStream(file: string, gzip: boolean): Readable {
  const raw = createReadStream(file);
  if (!gzip) return raw;
  const gunzip = createGunzip();
  raw.on("error", (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

/** The first HEAD_BYTES of content; a truncated gzip still yields what it holds. */
function decodeHead(file: string, bytes: Buffer): string {
  if (!isGzip(bytes)) return bytes.toString("utf8");
  try {
    return gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH /* the head is a prefix of the stream */ })
      .subarray(0, HEAD_BYTES)
      .toString("utf8");
  } catch {
    throw new ReadError(file, "gzip header", "a valid gzip stream");
  }
}

function makeInput(file: string, head: string, gzip: boolean): ReaderInput {
  return {
    file,
    head,
    async *lines() {
      const stream = contentStream(file, gzip);
      const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
      try {
        for await (const line of lines) yield line;
      } catch (error) {
        throw new ReadError(file, "content", `a complete file (${(error as Error).message})`);
      }
    },
    async text() {
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of contentStream(file, gzip)) chunks.push(chunk as Buffer);
      } catch (error) {
        throw new ReadError(file, "content", `a complete file (${(error as Error).message})`);
      }
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}

/**
 * Reads every path into `builder` (which may already hold another source's pieces) and returns each
 * file's format. Unknown files inside a folder are skipped and listed; an unknown file named explicitly is an error.
 */
export async function readInto(
  builder: CaseBuilder,
  paths: string[],
  options: ReadOptions = {},
): Promise<ReadResult["formats"]> {
  const files = await listFiles(paths);
  const formats: ReadResult["formats"] = [];
  const bytesTotal = files.reduce((sum, f) => sum + f.size, 0);
  let bytesDone = 0;
  for (const [index, { file, size, explicit }] of files.entries()) {
    const bytes = await readHeadBytes(file);
    const gzip = isGzip(bytes);
    const head = decodeHead(file, bytes);
    if (head.trim() === "") {
      if (explicit) throw new ReadError(file, "line 1", "telemetry data, but the file is empty");
      builder.skip({ file, where: "line 1", reason: "empty file" });
    } else {
      const reader = chooseReader(head);
      if (!reader) {
        if (explicit) throw new ReadError(file, "line 1", `a known format (${knownFormats()})`);
        builder.skip({ file, where: "line 1", reason: "not a known telemetry format" });
      } else {
        await reader.read(makeInput(file, head, gzip), builder.sinkFor(file));
        formats.push({ file, format: reader.format, bytes: size });
      }
    }
    bytesDone += size;
    options.onProgress?.({ file, filesDone: index + 1, filesTotal: files.length, bytesDone, bytesTotal });
  }
  return formats;
}

/** Reads every path into one Case (see readInto). */
export async function readCaseWithFormats(paths: string[], options: ReadOptions = {}): Promise<ReadResult> {
  const builder = new CaseBuilder();
  const formats = await readInto(builder, paths, options);
  return { case: builder.build(), formats };
}

export async function readCase(paths: string[], options: ReadOptions = {}): Promise<Case> {
  return (await readCaseWithFormats(paths, options)).case;
}
