/** A checkout service's JSON-lines logs, one INFO line a second and an ERROR line in the seconds asked for. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export const ERROR_MESSAGE = "payment refused by gateway";

export function writeCheckoutLogs(
  dir: string,
  name: string,
  from: number,
  to: number,
  failing: (t: number) => boolean,
): string {
  const lines: string[] = [];
  for (let t = from; t < to; t++) {
    lines.push(JSON.stringify({ time: t * 1000, level: "info", msg: "order placed", service: "checkout" }));
    if (failing(t))
      lines.push(JSON.stringify({ time: t * 1000, level: "error", msg: ERROR_MESSAGE, service: "checkout" }));
  }
  const file = join(dir, name);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}
