/**
 * A by-hand speed check of the template miner (not a test: tests never assert wall time).
 * Run: `npm run bench:miner`. The target is >= 200k short lines/s on one core.
 */
import { TemplateMiner } from "../src/case/templateMiner.js";

const LINES = 200_000;
const ROUNDS = 3;

/** A deterministic random generator, so runs are comparable. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
}

const random = lcg(7);
const int = (n: number) => Math.floor(random() * n);
const hex = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[int(16)]).join("");

const shapes: (() => string)[] = [
  () =>
    `16:42:${10 + int(49)}.${int(999)} INFO  t.s.TravelServiceImpl#532 TraceID: ${hex(32)} SpanID: ${hex(16)} [getRouteByRouteId][Get Route By Id]`,
  () => `dial tcp 10.0.${int(255)}.17:5432: i/o timeout`,
  () => `GET /api/v1/orders/${int(1e6)} 200 ${int(100)}ms`,
  () => `level=info msg="request served" user=u${int(100)} latency=${random().toFixed(3)}s`,
  () => "Too many connections",
  () => `2023-01-29T08:42:22.383Z WARN worker ${hex(8)}-${hex(4)}-4456-8eed-${hex(12)} retry ${int(9)}`,
  () =>
    `2023-01-29 08:42:22.383 [warning] <0.${int(999)}.0> memory resource limit alarm set on node rabbit@rabbitmq-${int(3)}`,
];

const lines = Array.from({ length: LINES }, (_, i) => shapes[i % shapes.length]());
const meanChars = lines.reduce((sum, line) => sum + line.length, 0) / lines.length;

for (let round = 1; round <= ROUNDS; round++) {
  const miner = new TemplateMiner();
  const start = performance.now();
  for (const line of lines) miner.add(line);
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `round ${round}: ${Math.round(LINES / seconds).toLocaleString("en")} lines/s ` +
      `(${meanChars.toFixed(0)} chars/line, ${miner.templates().length} templates)`,
  );
}
