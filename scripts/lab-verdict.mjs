#!/usr/bin/env node
// Judges a Diagnosis JSON (`analyze --format json`) against a lab run's truth.json with the lab's own
// rule (src/lab/verdict.ts) and prints one tab-separated line: "match" or "MISMATCH", then the top
// cause as "<entity> <kind> <confidence>" ("nothing" when no cause is reported).
// Usage: node scripts/lab-verdict.mjs <engine dir> <truth.json> <diagnosis.json>
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [engine, truthFile, diagnosisFile] = process.argv.slice(2);
if (!diagnosisFile) {
  process.stderr.write("usage: node scripts/lab-verdict.mjs <engine dir> <truth.json> <diagnosis.json>\n");
  process.exit(2);
}
const { judge } = await import(pathToFileURL(resolve(engine, "dist/src/lab/verdict.js")).href);
const truth = JSON.parse(readFileSync(truthFile, "utf8"));
const diagnosis = JSON.parse(readFileSync(diagnosisFile, "utf8"));
const top = diagnosis.causes[0];
const said = top ? `${top.entity} ${top.kind} ${top.confidence.toFixed(2)}` : "nothing";
process.stdout.write(`${judge(truth, diagnosis).matches ? "match" : "MISMATCH"}\t${said}\n`);
