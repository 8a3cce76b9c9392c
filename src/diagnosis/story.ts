/** Pieces of the incident story that every renderer tells the same way. */
import { describeGroup } from "./describe.js";
import { type EvidenceGroup, groupEvidence } from "./group.js";
import type { Cause, ChainLink, ResourceUsage } from "./types.js";
import { formatNumber, formatPair, formatQuantity } from "./units.js";

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

/** The link's effect without the evidence detail the engine may have appended to it (the report shows the evidence). */
export function linkEffect(link: ChainLink, cause: Cause): string {
  const lead = cause.evidence.find((e) => e.id === link.evidence[0]);
  const effect = lead && link.effect.includes(lead.detail) ? link.effect.split(lead.detail)[0] : link.effect;
  return effect.replace(/[\s:—-]+$/, "");
}

/** The group of the evidence a link cites first: the engine cites its best observation first. */
export function citedGroup(link: ChainLink, cause: Cause): EvidenceGroup | undefined {
  const cited = new Set(link.evidence);
  const groups = groupEvidence(cause.evidence.filter((e) => cited.has(e.id)));
  return groups.find((g) => g.items.some((e) => e.id === link.evidence[0])) ?? groups[0];
}

/** `02:58 UTC` from an ISO time: the clock time on-call people say. */
export function clockTime(iso: string): string {
  return `${iso.slice(11, 16)} UTC`;
}

/** "database:mysql max_connections: 648 of 648 connections (100%) since 02:58 UTC". */
export function usageLine(u: ResourceUsage): string {
  const since = u.since ? ` since ${clockTime(u.since)}` : "";
  // A limit of zero is an allowance counted in excess ("packets over the allowance"): there is no share of it.
  if (!(u.limit > 0)) return `${shortEntity(u.entity)} ${u.name}: ${formatQuantity(u.used, u.unit)}${since}`;
  const [used, limit] = formatPair(u.used, u.limit, u.unit);
  return `${shortEntity(u.entity)} ${u.name}: ${used} of ${limit} (${formatNumber((100 * u.used) / u.limit)}%)${since}`;
}

export interface TimelineEntry {
  /** ISO 8601. */
  time: string;
  entity: string;
  what: string;
}

/**
 * What happened when: the causes' starts, the resource reaching its limit, the alert, and each group of
 * evidence at its first item's start; an observation cited by several causes appears once.
 */
export function timeline(causes: Cause[], alertTime?: string): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  if (alertTime) entries.push({ time: alertTime, entity: "", what: "alert" });
  const seen = new Set<string>();
  for (const c of causes) {
    entries.push({ time: c.start, entity: c.entity, what: `cause #${c.rank} ${c.kind} starts` });
    const u = c.resource_usage;
    if (u?.since) entries.push({ time: u.since, entity: u.entity, what: `${u.name} reached its limit` });
    for (const g of groupEvidence(c.evidence)) {
      const first = g.items
        .map((e) => e.start)
        .filter((t): t is string => t !== undefined)
        .sort()[0];
      const what = describeGroup(g);
      const key = `${g.lead.entity}\u0000${what}`;
      if (!first || seen.has(key)) continue;
      seen.add(key);
      entries.push({ time: first, entity: g.lead.entity, what });
    }
  }
  return entries.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
}
