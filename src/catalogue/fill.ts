/** Fills a catalogue sentence's `{fact}` placeholders; unknown ones stay visible rather than vanish. */
export function fill(template: string, facts: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const value = facts[key];
    if (value === undefined || value === "") return whole;
    return typeof value === "number" ? String(Math.round(value * 100) / 100) : value;
  });
}

/** Evidence of one check, optionally about one entity. */
export function withCheck<T extends { check?: string; about?: string }>(
  evidence: T[],
  check: string,
  about?: string,
): T[] {
  return evidence.filter((e) => e.check === check && (about === undefined || e.about === about));
}
