/**
 * `RUST_LOG` as tracing-subscriber's `EnvFilter` (and env_logger) read it: comma-separated directives,
 * each `level` (the default) or `target=level`; the directive with the longest matching target wins,
 * a target matching itself and its submodules (`chronik_wal` covers `chronik_wal::group_commit`).
 * Span-field and regex directives are not modelled.
 */
import { ScenarioError } from "../scenario.js";

export type RustLevel = "error" | "warn" | "info" | "debug" | "trace";

/** Verbosity order; `off` enables nothing. */
const VERBOSITY: Record<RustLevel | "off", number> = { off: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 };
/** With no bare level among the directives, EnvFilter enables only ERROR. */
const DEFAULT_LEVEL = "error";

function isLevel(text: string): text is RustLevel | "off" {
  return text in VERBOSITY;
}

export class RustLogFilter {
  private readonly fallback: number;
  /** Target directives, longest target first. */
  private readonly targets: { target: string; verbosity: number }[] = [];

  /** `where` names the scenario value for the error on a directive that does not parse. */
  constructor(
    readonly spec: string,
    where: string,
  ) {
    let fallback: number = VERBOSITY[DEFAULT_LEVEL];
    for (const raw of spec.split(",")) {
      const directive = raw.trim();
      if (directive === "") continue;
      const eq = directive.indexOf("=");
      const target = eq < 0 ? directive : directive.slice(0, eq).trim();
      const level =
        eq < 0
          ? undefined
          : directive
              .slice(eq + 1)
              .trim()
              .toLowerCase();
      if (level === undefined && isLevel(target.toLowerCase())) {
        fallback = VERBOSITY[target.toLowerCase() as RustLevel];
        continue;
      }
      // A bare target enables everything it logs.
      const verbosity = level === undefined ? VERBOSITY.trace : isLevel(level) ? VERBOSITY[level] : Number.NaN;
      if (!/^[A-Za-z_][\w:]*$/.test(target) || Number.isNaN(verbosity)) {
        throw new ScenarioError(`${where}: "${directive}" is not a RUST_LOG directive (level or target=level)`);
      }
      this.targets.push({ target, verbosity });
    }
    this.fallback = fallback;
    this.targets.sort((a, b) => b.target.length - a.target.length);
  }

  /** Whether an event of `level` from `target` (a module path) is written. */
  enabled(target: string, level: RustLevel): boolean {
    const match = this.targets.find((d) => target === d.target || target.startsWith(`${d.target}::`));
    return VERBOSITY[level] <= (match?.verbosity ?? this.fallback);
  }
}
