/** The Debian binaries a lab scenario runs, and one clear error when any is missing. */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export interface Binary {
  /** The executable's name on PATH (Debian's names). */
  command: string;
  /** The Debian package that installs it. */
  pkg: string;
}

export const BINARIES = {
  mariadbInstallDb: { command: "mariadb-install-db", pkg: "mariadb-server" },
  mariadbd: { command: "mariadbd", pkg: "mariadb-server" },
  mysqldExporter: { command: "prometheus-mysqld-exporter", pkg: "prometheus-mysqld-exporter" },
  nodeExporter: { command: "prometheus-node-exporter", pkg: "prometheus-node-exporter" },
  prometheus: { command: "prometheus", pkg: "prometheus" },
} satisfies Record<string, Binary>;

/** A lab cannot run here: something it needs is not installed. Reported as bad usage (exit 2). */
export class LabSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabSetupError";
  }
}

/** The full path of `command` on PATH, or undefined. */
export function which(command: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Throws one LabSetupError naming every missing binary, its package and the install script. */
export function requireBinaries(binaries: Binary[], path = process.env.PATH ?? ""): void {
  const missing = binaries.filter((b) => which(b.command, path) === undefined);
  if (missing.length === 0) return;
  const names = missing.map((b) => `${b.command} (Debian package ${b.pkg})`).join(", ");
  const pkgs = [...new Set(missing.map((b) => b.pkg))].join(" ");
  throw new LabSetupError(
    `the lab needs ${names}, not found on PATH; install with scripts/lab-install.sh (or apt-get install ${pkgs})`,
  );
}
