/**
 * Who spoke when, from transcript segments (pure): talk time as the union of a speaker's intervals, turns as runs of
 * one speaker, interruptions as a segment starting inside someone else's. Segments are ms from the session's creation.
 */

export interface TalkSegment {
  segmentId: string;
  participantId: string;
  text: string;
  startMs: number;
  endMs: number;
}

export interface Interval {
  startMs: number;
  endMs: number;
}

/** A maximal run of one speaker's segments in time order: someone else's segment starts the next turn. */
export interface Turn {
  participantId: string;
  startMs: number;
  /** The latest end of its segments. */
  endMs: number;
  segments: number;
}

export interface Interruption {
  atMs: number;
  /** Who started speaking. */
  participantId: string;
  /** Whose segment was in progress. */
  interruptedParticipantId: string;
}

/** By start, then end, then id: one order for every computation over the same segments. */
export function inTimeOrder<T extends TalkSegment>(segments: readonly T[]): T[] {
  return [...segments].sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs || a.segmentId.localeCompare(b.segmentId));
}

/** The intervals merged, in order; touching intervals become one. */
export function unionIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].filter((i) => i.endMs > i.startMs).sort((a, b) => a.startMs - b.startMs);
  const merged: Interval[] = [];
  for (const interval of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && interval.startMs <= last.endMs) last.endMs = Math.max(last.endMs, interval.endMs);
    else merged.push({ ...interval });
  }
  return merged;
}

export function totalMs(intervals: readonly Interval[]): number {
  return intervals.reduce((sum, interval) => sum + (interval.endMs - interval.startMs), 0);
}

/** Time covered by at least two of the (each already merged) interval lists: two or more people speaking at once. */
export function overlapMs(perSpeaker: readonly (readonly Interval[])[]): number {
  const edges: { atMs: number; delta: number }[] = [];
  for (const intervals of perSpeaker) {
    for (const interval of intervals) edges.push({ atMs: interval.startMs, delta: 1 }, { atMs: interval.endMs, delta: -1 });
  }
  // Ends before starts at the same instant: touching intervals do not overlap.
  edges.sort((a, b) => a.atMs - b.atMs || a.delta - b.delta);
  let active = 0;
  let overlap = 0;
  let previousMs = 0;
  for (const edge of edges) {
    if (active >= 2) overlap += edge.atMs - previousMs;
    active += edge.delta;
    previousMs = edge.atMs;
  }
  return overlap;
}

/** Segments in time order (`inTimeOrder`) as turns. */
export function turnsOf(sorted: readonly TalkSegment[]): Turn[] {
  const turns: Turn[] = [];
  for (const segment of sorted) {
    const last = turns.at(-1);
    if (last !== undefined && last.participantId === segment.participantId) {
      last.endMs = Math.max(last.endMs, segment.endMs);
      last.segments += 1;
    } else {
      turns.push({ participantId: segment.participantId, startMs: segment.startMs, endMs: segment.endMs, segments: 1 });
    }
  }
  return turns;
}

/**
 * Segments in time order (`inTimeOrder`): each that starts strictly inside a segment of another participant (one
 * that started earlier and has not ended) interrupts that participant, once per participant interrupted. Segments
 * starting at the same instant interrupt nobody.
 */
export function interruptionsOf(sorted: readonly TalkSegment[]): Interruption[] {
  /** Per participant, the latest end among their segments started before the current instant. */
  const busyUntil = new Map<string, number>();
  const found: Interruption[] = [];
  let group: TalkSegment[] = [];
  const settle = () => {
    for (const segment of group) {
      busyUntil.set(segment.participantId, Math.max(busyUntil.get(segment.participantId) ?? -Infinity, segment.endMs));
    }
    group = [];
  };
  for (const segment of sorted) {
    if (group.length > 0 && group[0]?.startMs !== segment.startMs) settle();
    group.push(segment);
    for (const [other, untilMs] of busyUntil) {
      if (other !== segment.participantId && untilMs > segment.startMs) {
        found.push({ atMs: segment.startMs, participantId: segment.participantId, interruptedParticipantId: other });
      }
    }
  }
  return found;
}

/** Words as people count them: runs of letters or digits (with inner apostrophes and hyphens). */
export function countWords(text: string): number {
  return text.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu)?.length ?? 0;
}
