import { EXPRESSION_NAMES, type ExpressionName } from "../protocol/server-messages.js";
import type { ExpressionTimeline } from "./meeting-analysis-schema.js";

/**
 * A participant's camera over time, from the rows rooms store (pure). Rows are written when the dominant expression
 * or the face count changes and at least every 2 s of frames (src/rooms/expression-tracker.ts), so each row holds
 * until the participant's next one — but at most `holdCapMs`, since a camera that stops sending leaves no row saying
 * so — and never past the participant's leave or the session's end.
 */

export interface CameraObservation {
  participantId: string;
  atMs: number;
  /** `expression`: what the frame showed; `no_face`: no face for `NO_FACE_AFTER_MS` (counts as absent). */
  kind: "expression" | "no_face";
  /** The main face's dominant expression; null when no face was in view. */
  expression: ExpressionName | null;
  faces: number;
}

export interface ExpressionTimelineOptions {
  /** A row is held at most this long. The heartbeat is 2 s at ≥ 1 frame/s, so gaps of a live camera stay under 3 s. */
  holdCapMs: number;
}

export const DEFAULT_EXPRESSION_TIMELINE_OPTIONS: ExpressionTimelineOptions = { holdCapMs: 5_000 };

function fraction(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;
}

/**
 * Each participant's timeline. `observations` in time order (as the store lists them); `endMsOf` is when the
 * participant's time ends (their leave, or the session's end).
 */
export function expressionTimelines(
  observations: readonly CameraObservation[],
  endMsOf: (participantId: string) => number,
  options: ExpressionTimelineOptions = DEFAULT_EXPRESSION_TIMELINE_OPTIONS,
): Map<string, ExpressionTimeline> {
  const byParticipant = new Map<string, CameraObservation[]>();
  for (const observation of observations) {
    const list = byParticipant.get(observation.participantId);
    if (list === undefined) byParticipant.set(observation.participantId, [observation]);
    else list.push(observation);
  }
  const timelines = new Map<string, ExpressionTimeline>();
  for (const [participantId, list] of byParticipant) {
    const sorted = [...list].sort((a, b) => a.atMs - b.atMs);
    const endMs = endMsOf(participantId);
    const held = new Map<ExpressionName, number>();
    let absentMs = 0;
    let noFaceEvents = 0;
    for (let i = 0; i < sorted.length; i += 1) {
      const observation = sorted[i];
      if (observation === undefined) continue;
      if (observation.kind === "no_face") noFaceEvents += 1;
      const nextMs = sorted[i + 1]?.atMs ?? Infinity;
      const holdMs = Math.max(0, Math.min(nextMs, observation.atMs + options.holdCapMs, endMs) - observation.atMs);
      const expression = observation.kind === "no_face" || observation.faces === 0 ? null : observation.expression;
      if (expression === null) absentMs += holdMs;
      else held.set(expression, (held.get(expression) ?? 0) + holdMs);
    }
    const presentMs = [...held.values()].reduce((sum, value) => sum + value, 0);
    const observedMs = presentMs + absentMs;
    let dominant: ExpressionName | null = null;
    for (const name of EXPRESSION_NAMES) {
      const value = held.get(name) ?? 0;
      if (value > 0 && (dominant === null || value > (held.get(dominant) ?? 0))) dominant = name;
    }
    const shares = Object.fromEntries(EXPRESSION_NAMES.map((name) => [name, fraction(held.get(name) ?? 0, observedMs)]));
    timelines.set(participantId, {
      observed_ms: Math.round(observedMs),
      faces_absent_ms: Math.round(absentMs),
      faces_absent_share: fraction(absentMs, observedMs),
      dominant,
      shares: shares as ExpressionTimeline["shares"],
      observations: sorted.length,
      no_face_events: noFaceEvents,
    });
  }
  return timelines;
}
