/** Validates a Diagnosis against schema/diagnosis.v1.json, the published contract for JSON output. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";

const SCHEMA_PATH = join("schema", "diagnosis.v1.json");

/** Source runs from src/diagnosis/, compiled code from dist/src/diagnosis/: the package root is where package.json is. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(join(packageRoot(), SCHEMA_PATH), "utf8"));
    compiled = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
  }
  return compiled;
}

function describe(error: ErrorObject): string {
  const path = error.instancePath === "" ? "/" : error.instancePath;
  if (error.keyword === "additionalProperties") {
    return `${path}: unexpected property "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  }
  if (error.keyword === "required") {
    return `${path}: missing required property "${(error.params as { missingProperty: string }).missingProperty}"`;
  }
  if (error.keyword === "enum") {
    return `${path}: must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(", ")}`;
  }
  return `${path}: ${error.message ?? error.keyword}`;
}

/** Problems with `d` as a Diagnosis v1, each naming its JSON path; empty when valid. */
export function validateDiagnosis(d: unknown): string[] {
  const validate = validator();
  if (validate(d)) return [];
  return (validate.errors ?? []).map(describe);
}
