/** The caps on one file (content size, reading time) and hostile JSON documents: a clear message, bounded memory. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createGzip } from "node:zlib";
import { readCaseWithFormats } from "../src/read/index.js";
import { ReadError } from "../src/read/types.js";
import { assertUsageError, beneath, MAIN } from "./helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "beneath-limits-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const PROBE = fileURLToPath(new URL("../bench/scaleProbe.js", import.meta.url));

/** A gzip of `head` followed by `megabytes` MiB of spaces: a few hundred KB on disk. */
async function spacesBomb(name: string, head: string, megabytes: number): Promise<string> {
  const file = join(dir, name);
  const gzip = createGzip();
  const done = pipeline(gzip, createWriteStream(file));
  gzip.write(head);
  const spaces = Buffer.alloc(1024 * 1024, 0x20);
  for (let i = 0; i < megabytes; i++) if (!gzip.write(spaces)) await once(gzip, "drain");
  gzip.end();
  await done;
  return file;
}

test("a gzip of an OTLP header and 300 MiB of spaces ends with a clear exit 2 in bounded memory", async () => {
  const bomb = await spacesBomb("bomb.json.gz", '{"resourceSpans": [{"resource": ', 300);
  const probeFile = join(dir, "probe.json");
  const run = spawnSync(process.execPath, ["--import", PROBE, MAIN, "analyze", bomb], {
    encoding: "utf8",
    env: { ...process.env, BENEATH_DEBUG: "", BENEATH_SCALE_PROBE: probeFile },
  });
  assertUsageError({ status: run.status, stdout: run.stdout, stderr: run.stderr }, "bomb.json.gz: line 1, column ");
  assert.match(run.stderr, /ends early|over 128 MiB/);
  const { peakRssBytes } = JSON.parse(readFileSync(probeFile, "utf8"));
  // The spaces are skipped, never held: memory stays near node's own, far below the 300 MiB expanded.
  assert.ok(peakRssBytes < 250 * 2 ** 20, `peak RSS ${peakRssBytes}`);
});

test("--max-file-size: content beyond it, once un-gzipped, skips the file and names the flag", async () => {
  const bomb = await spacesBomb("big.json.gz", '{"resourceSpans": ', 20);
  await assert.rejects(readCaseWithFormats([bomb], { limits: { maxFileBytes: 8 * 2 ** 20 } }), (error: unknown) => {
    assert.ok(error instanceof ReadError, String(error));
    assert.match(error.message, /big\.json\.gz: content: at most 8 MiB of content \(--max-file-size\)/);
    return true;
  });
  assertUsageError(beneath("analyze", bomb, "--max-file-size", "4M"), "--max-file-size");
  assertUsageError(beneath("analyze", bomb, "--max-file-size", "lots"), "--max-file-size");
});

test("--max-file-time: a file still being read after it is skipped and listed; the other files are read", async () => {
  const good = join(dir, "good.json");
  writeFileSync(
    good,
    JSON.stringify({
      status: "success",
      data: { resultType: "matrix", result: [{ metric: { __name__: "up", job: "a" }, values: [[1e9, "1"]] }] },
    }),
  );
  const slow = await spacesBomb("slow.json.gz", '{"resourceSpans": ', 64);
  // The small file is read in one chunk, well within the cap; un-gzipping 64 MiB takes longer.
  const limits = { maxFileSeconds: 0.02 };
  const { case: read } = await readCaseWithFormats([good, slow], { limits });
  assert.equal(read.series.length, 1);
  const skipped = read.skipped.find((s) => s.file === slow);
  assert.match(skipped?.reason ?? "", /a file read within 0.02 s \(--max-file-time\)/);
  await assert.rejects(readCaseWithFormats([slow], { limits }), ReadError);
});
