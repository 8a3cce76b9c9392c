/** Presentation rules shared by the text and Markdown renderers, so both say the same thing. */
import type { Cause, Diagnosis } from "./types.js";

/** DESIGN.md principle 3: a calibrated confidence below 0.5 means "not confident". */
export const CONFIDENT_AT = 0.5;

/**
 * Below this a leading candidate is right about one time in five or less (the confidence is calibrated):
 * its remedies (a rollback, a restart) would more often do harm than good, so none are offered for it.
 */
export const ACTIONABLE_AT = 0.2;

/** Whether the lead's remedies are worth printing, as conditional advice at least. */
export function worthActingOn(lead: Cause): boolean {
  return lead.confidence >= ACTIONABLE_AT;
}

/** The line said instead of remedies for a lead too weak to act on. */
export function nothingToActOnLine(lead: Cause): string {
  return `Nothing to act on yet: the leading candidate (${percent(lead.confidence)}) is too weak to follow; the candidates and context are listed for a closer look.`;
}

export function byRank(d: Diagnosis): Cause[] {
  return [...d.causes].sort((a, b) => a.rank - b.rank);
}

/** True when at least one cause is confident enough to be named as the cause. */
export function hasConfidentCause(d: Diagnosis): boolean {
  return d.causes.some((c) => c.confidence >= CONFIDENT_AT);
}

export function percent(confidence: number): string {
  return `${Math.round(confidence * 100)}%`;
}

/** `root → … → symptom` by entity. */
export function chainPath(cause: Cause): string {
  return cause.chain.map((link) => link.entity).join(" → ");
}

/** The sentence both renderers use when nothing reaches CONFIDENT_AT. */
export function noConfidentCauseLine(d: Diagnosis): string {
  return d.causes.length === 0
    ? "No confident cause: no candidate explains the observations."
    : `No confident cause: no candidate reaches ${percent(CONFIDENT_AT)} confidence.`;
}
