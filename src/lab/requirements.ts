/** The Debian binaries a lab scenario runs, and one clear error when any is missing. */
import { accessSync, constants, readdirSync, readFileSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

export interface Binary {
  /** The executable's name on PATH (Debian's names). */
  command: string;
  /** The Debian package that installs it. */
  pkg: string;
}

/** Debian installs PostgreSQL's server binaries per major version, off PATH: the newest installed. */
const POSTGRES_LIB = "/usr/lib/postgresql";

export function postgresBinary(name: string): string {
  let versions: string[] = [];
  try {
    versions = readdirSync(POSTGRES_LIB).filter((v) => /^\d+$/.test(v));
  } catch {
    // Not installed: the path below does not exist and requireBinaries names the package.
  }
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0] ?? "<version>";
  return join(POSTGRES_LIB, newest, "bin", name);
}

export const BINARIES = {
  mariadbInstallDb: { command: "mariadb-install-db", pkg: "mariadb-server" },
  mariadbd: { command: "mariadbd", pkg: "mariadb-server" },
  mysqldExporter: { command: "prometheus-mysqld-exporter", pkg: "prometheus-mysqld-exporter" },
  nodeExporter: { command: "prometheus-node-exporter", pkg: "prometheus-node-exporter" },
  prometheus: { command: "prometheus", pkg: "prometheus" },
  // The script itself, not /usr/sbin's wrapper, which switches to the rabbitmq user and forks away from the PID we hold.
  rabbitmqServer: { command: "/usr/lib/rabbitmq/bin/rabbitmq-server", pkg: "rabbitmq-server" },
  rabbitmqctl: { command: "/usr/lib/rabbitmq/bin/rabbitmqctl", pkg: "rabbitmq-server" },
  epmd: { command: "epmd", pkg: "erlang-base (a dependency of rabbitmq-server)" },
  initdb: { command: postgresBinary("initdb"), pkg: "postgresql" },
  postgres: { command: postgresBinary("postgres"), pkg: "postgresql" },
  postgresExporter: { command: "prometheus-postgres-exporter", pkg: "prometheus-postgres-exporter" },
  pgbouncer: { command: "pgbouncer", pkg: "pgbouncer" },
  setpriv: { command: "setpriv", pkg: "util-linux" },
  ip: { command: "ip", pkg: "iproute2" },
  tc: { command: "tc", pkg: "iproute2" },
  iptables: { command: "iptables", pkg: "iptables" },
} satisfies Record<string, Binary>;

/** A system user's ids, from /etc/passwd. */
export function systemUser(name: string): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new LabSetupError(`the lab needs the system user ${name} (created by its Debian package)`);
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/** The command line that runs `command` as a system user (servers that refuse root); setpriv execs it, so the PID is the server's. */
export function asUser(user: string, command: string, args: string[]): { command: string; args: string[] } {
  return { command: "setpriv", args: [`--reuid=${user}`, `--regid=${user}`, "--init-groups", command, ...args] };
}

/** A lab cannot run here: something it needs is not installed. Reported as bad usage (exit 2). */
export class LabSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabSetupError";
  }
}

/** The full path of `command` on PATH (or `command` itself when it is an absolute path to an executable), or undefined. */
export function which(command: string, path = process.env.PATH ?? ""): string | undefined {
  if (isAbsolute(command)) return isExecutable(command) ? command : undefined;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
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
