/**
 * Earlier episodes inside the baseline: minutes in which an entity was itself unhealthy (an earlier fault
 * still active, a previous incident's tail), found from its own errors and the time calls into it took.
 * They are left out of that entity's normal, so a fault that came and went before the alert neither
 * hides a new one (its errors already "expected") nor excuses it (its latency already "normal").
 */
import type { Case } from "../case/model.js";
import { NO_ROW, spanTree } from "../case/spanTree.js";
import { median } from "./robust.js";
import type { Window } from "./types.js";
import { inBaseline } from "./window.js";

/** Episodes are judged per minute: the resolution of most recordings, and shorter than most faults. */
export const EPISODE_SEGMENT_SECONDS = 60;
/** Fewer observed baseline minutes than this cannot say what an entity's ordinary minute looks like. */
const MIN_SEGMENTS = 5;
/**
 * A minute is an episode when its errors or its calls' typical duration reach this multiple of the
 * entity's ordinary minute: far beyond the minute-to-minute wobble of traffic (rarely 2×), so only a
 * fault shows.
 */
export const EPISODE_FACTOR = 5;
/** ...and, for errors, at least this many more than ordinary: a handful of stray errors is not an episode. */
const MIN_EPISODE_ERRORS = 10;
/**
 * A minute's typical call time needs this many calls: with three, the median is a call that two others
 * bracket, and a minute of a lightly used service still counts.
 */
const MIN_SEGMENT_SPANS = 3;
const FAILING_LEVELS = new Set(["error", "fatal"]);

/** Entity → the starts (unix s) of the baseline minutes left out of its normal. */
export type BaselineEpisodes = Map<string, Set<number>>;

export function segmentOf(time: number): number {
  return Math.floor(time / EPISODE_SEGMENT_SECONDS) * EPISODE_SEGMENT_SECONDS;
}

interface Minute {
  errors: number;
  /** How long calls into the entity took, as their callers saw them (its own span's time for entry spans). */
  durations: number[];
}

function minuteOf(perEntity: Map<string, Map<number, Minute>>, entity: string, time: number): Minute {
  let minutes = perEntity.get(entity);
  if (!minutes) {
    minutes = new Map();
    perEntity.set(entity, minutes);
  }
  const start = segmentOf(time);
  let minute = minutes.get(start);
  if (!minute) {
    minute = { errors: 0, durations: [] };
    minutes.set(start, minute);
  }
  return minute;
}

/** The minutes in which each entity's errors or call durations stood far above its ordinary minute. */
export function baselineEpisodes(c: Case, window: Window): BaselineEpisodes {
  const perEntity = new Map<string, Map<number, Minute>>();
  const { spans } = c;
  const { parent } = spanTree(spans);
  for (let row = 0; row < spans.length; row++) {
    if (!inBaseline(spans.start[row], window)) continue;
    const minute = minuteOf(perEntity, spans.serviceOf(row), spans.start[row]);
    if (spans.error[row] === 1) minute.errors++;
    // Calls into the entity as their callers timed them: the network's delay and the entity's queue show
    // there, not in its own spans; its internal spans would drown the few calls in.
    if (parent[row] === NO_ROW) minute.durations.push(spans.duration[row]);
    else if (spans.service[parent[row]] !== spans.service[row]) minute.durations.push(spans.duration[parent[row]]);
  }
  for (const template of c.logs.templates) {
    const failing = FAILING_LEVELS.has(template.level);
    for (const [bucket, count] of template.counts) {
      if (!inBaseline(bucket, window)) continue;
      const minute = minuteOf(perEntity, template.entity, bucket);
      if (failing) minute.errors += count;
    }
  }
  const episodes: BaselineEpisodes = new Map();
  for (const [entity, minutes] of perEntity) {
    if (minutes.size < MIN_SEGMENTS) continue;
    const list = [...minutes];
    const ordinaryErrors = median(list.map(([, m]) => m.errors));
    const typical = list.filter(([, m]) => m.durations.length >= MIN_SEGMENT_SPANS).map(([, m]) => median(m.durations));
    const ordinaryDuration = typical.length >= MIN_SEGMENTS ? median(typical) : Number.NaN;
    const left = new Set<number>();
    for (const [start, m] of list) {
      const erring = m.errors >= EPISODE_FACTOR * ordinaryErrors + MIN_EPISODE_ERRORS;
      const slow = m.durations.length >= MIN_SEGMENT_SPANS && median(m.durations) >= EPISODE_FACTOR * ordinaryDuration;
      if (erring || slow) left.add(start);
    }
    // An entity unhealthy for half its baseline or more has no ordinary minute to speak of: keep it whole.
    if (left.size > 0 && left.size < minutes.size / 2) episodes.set(entity, left);
  }
  return episodes;
}

/** Each entity's episodes as stretches of consecutive minutes (unix s), earliest first. */
export function episodeStretches(episodes: BaselineEpisodes): { entity: string; start: number; end: number }[] {
  const stretches: { entity: string; start: number; end: number }[] = [];
  for (const [entity, minutes] of episodes) {
    const sorted = [...minutes].sort((a, b) => a - b);
    for (const start of sorted) {
      const last = stretches[stretches.length - 1];
      if (last?.entity === entity && last.end === start) last.end = start + EPISODE_SEGMENT_SECONDS;
      else stretches.push({ entity, start, end: start + EPISODE_SEGMENT_SECONDS });
    }
  }
  return stretches.sort((a, b) => a.start - b.start || a.entity.localeCompare(b.entity));
}

/** Whether a moment of this entity's data is part of its normal: in the baseline, outside its episodes. */
export function inEntityBaseline(time: number, window: Window, entity: string): boolean {
  return inBaseline(time, window) && !(window.episodes?.get(entity)?.has(segmentOf(time)) ?? false);
}
