/** Ports and readiness: everything the lab starts listens on 127.0.0.1 at a port the kernel picked. */
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { sleep } from "./processes.js";

export const LOOPBACK = "127.0.0.1";

/** A port free on 127.0.0.1 right now (the kernel's pick; released before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}

/** How often readiness is polled. */
const READY_POLL_MS = 250;

/**
 * Waits until `ready()` resolves true, for at most `timeoutMs`; `alive()` false (the process died)
 * or the timeout fails with a message naming what did not come up and the tail of its log.
 */
export async function waitUntil(
  what: string,
  ready: () => Promise<boolean>,
  options: { timeoutMs: number; alive: () => boolean; logFile: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await ready().catch(() => false)) return;
    if (!options.alive()) throw new Error(`${what} exited while starting; ${await logTail(options.logFile)}`);
    await sleep(READY_POLL_MS);
  }
  throw new Error(`${what} was not ready after ${options.timeoutMs / 1000}s; ${await logTail(options.logFile)}`);
}

/** Lines of a server's log quoted in an error: enough to show why it failed. */
const TAIL_LINES = 3;

async function logTail(file: string): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  const lines = text.trim().split("\n").slice(-TAIL_LINES).join(" | ");
  return lines ? `last log lines (${file}): ${lines}` : `nothing in its log (${file})`;
}

/** True when GET url answers 200 within a second. */
export async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await response.arrayBuffer();
  return response.ok;
}
