/** Pieces of the incident story that every renderer tells the same way. */
import type { ChainLink, ResourceUsage } from "./types.js";
import { formatNumber, formatPair } from "./units.js";

/** Services are what people name first; other kinds keep their kind so `node:` and `database:` stay clear. */
export function shortEntity(id: string): string {
  return id.startsWith("service:") ? id.slice("service:".length) : id;
}

/** A link's role: the engine's when it says, else by position (root first, users' symptom last). */
export function roleOf(link: ChainLink, index: number, length: number): NonNullable<ChainLink["role"]> {
  if (link.role) return link.role;
  if (index === 0) return "cause";
  return index === length - 1 ? "symptom" : "victim";
}

/** `02:58 UTC` from an ISO time: the clock time on-call people say. */
export function clockTime(iso: string): string {
  return `${iso.slice(11, 16)} UTC`;
}

/** "database:mysql max_connections: 648 of 648 connections (100%) since 02:58 UTC". */
export function usageLine(u: ResourceUsage): string {
  const [used, limit] = formatPair(u.used, u.limit, u.unit);
  const share = u.limit > 0 ? ` (${formatNumber((100 * u.used) / u.limit)}%)` : "";
  const since = u.since ? ` since ${clockTime(u.since)}` : "";
  return `${shortEntity(u.entity)} ${u.name}: ${used} of ${limit}${share}${since}`;
}
