import { UTTERANCE_PADDING_MS } from "../inference/pool-types.js";
import type { MeetingAnalysisPayload, ParticipantAnalysis } from "./meeting-analysis-schema.js";
import { DEFAULT_EXPRESSION_TIMELINE_OPTIONS, expressionTimelines, type CameraObservation } from "./expression-timeline.js";
import { aggregateSentiment, scoreText, SENTIMENT_METHOD } from "./sentiment.js";
import {
  countWords,
  inTimeOrder,
  interruptionsOf,
  overlapMs,
  totalMs,
  turnsOf,
  unionIntervals,
  type Interval,
  type TalkSegment,
  type Turn,
} from "./talk-stats.js";

/**
 * A meeting's analysis from what its session stored (pure: no I/O, no clock): talk time, turns, pace, interruptions,
 * monologues, sentiment and the camera's expressions, per participant and for the meeting. The summary is the
 * service's (it needs the LLM): the result leaves it out.
 */

export interface AnalysedParticipant {
  participantId: string;
  name: string;
  role: string;
  /** Offset of their last leave from the session's creation; null while in the session. */
  leftAtMs: number | null;
}

export interface MeetingAnalysisInput {
  session: { id: string; kind: string; status: string; createdAt: Date; endedAt: Date | null };
  /** Where the analysis ends, ms from the session's creation: its end, or the time of a live snapshot. */
  untilMs: number;
  /** In join order. */
  participants: readonly AnalysedParticipant[];
  segments: readonly TalkSegment[];
  observations: readonly CameraObservation[];
  /** Whether the inputs were cut at the service's bounds. */
  truncated: { segments: boolean; observations: boolean };
}

export interface MeetingAnalysisOptions {
  /**
   * Audio the pool keeps around each utterance's speech for Whisper (src/inference/pool.ts, `segmenter.paddingMs`):
   * a stored segment spans its speech plus this much on each side, taken off again for every time statistic, or two
   * people answering each other within 0.6 s would overlap and every segment would count 0.6 s of silence as talk.
   */
  segmentPaddingMs: number;
  holdCapMs: number;
  /** Interruptions listed one by one (all are counted). */
  maxListedInterruptions: number;
  /** The service's bounds on its inputs, stated in the result. */
  maxSegments: number;
  maxObservations: number;
}

export const DEFAULT_MEETING_ANALYSIS_OPTIONS: MeetingAnalysisOptions = {
  segmentPaddingMs: UTTERANCE_PADDING_MS,
  holdCapMs: DEFAULT_EXPRESSION_TIMELINE_OPTIONS.holdCapMs,
  maxListedInterruptions: 200,
  maxSegments: 10_000,
  maxObservations: 50_000,
};

export type ComputedAnalysis = Omit<MeetingAnalysisPayload, "summary" | "summary_unavailable">;

function fraction(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;
}

function spanOf(turn: Turn): { start_ms: number; end_ms: number; duration_ms: number } {
  return { start_ms: Math.round(turn.startMs), end_ms: Math.round(turn.endMs), duration_ms: Math.round(turn.endMs - turn.startMs) };
}

/** The longer turn; of equal ones, the earlier. */
function longer(a: Turn | undefined, b: Turn): Turn {
  return a === undefined || b.endMs - b.startMs > a.endMs - a.startMs ? b : a;
}

/**
 * The speech of a stored segment: its bounds less the padding on each side (a segment shorter than twice the padding,
 * cut at a stream's start, keeps its middle as an instant). A segment cut at 30 s has no padding at the cut: it loses
 * at most that much there, 1 % of it.
 */
function speechOf<T extends TalkSegment>(segment: T, paddingMs: number): T {
  // A segment whose end precedes its start (never written so, but read from storage) counts as an instant.
  const endMs = Math.max(segment.startMs, segment.endMs);
  const middleMs = (segment.startMs + endMs) / 2;
  return { ...segment, startMs: Math.min(segment.startMs + paddingMs, middleMs), endMs: Math.max(endMs - paddingMs, middleMs) };
}

export function analyseMeeting(input: MeetingAnalysisInput, options: Partial<MeetingAnalysisOptions> = {}): ComputedAnalysis {
  const o = { ...DEFAULT_MEETING_ANALYSIS_OPTIONS, ...options };
  // Stored bounds in the segments' list (the transcript's); the speech in every statistic.
  const stored = new Map(input.segments.map((s) => [s.segmentId, s]));
  const segments = inTimeOrder(input.segments.map((s) => speechOf(s, o.segmentPaddingMs)));
  const scored = segments.map((segment) => ({ segment, words: countWords(segment.text), sentiment: scoreText(segment.text) }));
  const turns = turnsOf(segments);
  const interruptions = interruptionsOf(segments);

  // Everyone listed, then speakers or cameras of ids the participants table lacks (in order of appearance).
  const listed = new Map(input.participants.map((p) => [p.participantId, p]));
  const ids = [...listed.keys()];
  for (const id of [...segments.map((s) => s.participantId), ...input.observations.map((ob) => ob.participantId)]) {
    if (!ids.includes(id)) ids.push(id);
  }
  const talk = new Map<string, Interval[]>(ids.map((id) => [id, unionIntervals(segments.filter((s) => s.participantId === id))]));
  const talkMs = new Map(ids.map((id) => [id, totalMs(talk.get(id) ?? [])]));
  const allTalkMs = [...talkMs.values()].reduce((sum, value) => sum + value, 0);
  const timelines = expressionTimelines(
    input.observations,
    (id) => Math.min(input.untilMs, listed.get(id)?.leftAtMs ?? Infinity),
    { holdCapMs: o.holdCapMs },
  );

  const participants: ParticipantAnalysis[] = ids.map((id) => {
    const own = scored.filter((s) => s.segment.participantId === id);
    const words = own.reduce((sum, s) => sum + s.words, 0);
    const ownTalkMs = talkMs.get(id) ?? 0;
    const ownTurns = turns.filter((turn) => turn.participantId === id);
    const longest = ownTurns.reduce<Turn | undefined>(longer, undefined);
    const known = listed.get(id);
    return {
      participant_id: id,
      name: known?.name ?? null,
      role: known?.role ?? null,
      talk_time_ms: Math.round(ownTalkMs),
      talk_share: fraction(ownTalkMs, allTalkMs),
      segments: own.length,
      words,
      turns: ownTurns.length,
      words_per_minute: ownTalkMs === 0 ? null : Math.round((words / (ownTalkMs / 60_000)) * 10) / 10,
      interruptions_made: interruptions.filter((i) => i.participantId === id).length,
      interruptions_received: interruptions.filter((i) => i.interruptedParticipantId === id).length,
      longest_monologue: longest === undefined ? null : spanOf(longest),
      sentiment: aggregateSentiment(own.map((s) => ({ compound: s.sentiment.compound, words: s.words }))),
      expression_timeline: timelines.get(id) ?? null,
    };
  });

  const longest = turns.reduce<Turn | undefined>(longer, undefined);
  const anyoneMs = totalMs(unionIntervals(segments));
  return {
    session_id: input.session.id,
    session_kind: input.session.kind,
    session_status: input.session.status,
    started_at: input.session.createdAt.toISOString(),
    ended_at: input.session.endedAt?.toISOString() ?? null,
    duration_ms: Math.round(input.untilMs),
    participants,
    totals: {
      talk_time_ms: Math.round(allTalkMs),
      overlap_ms: Math.round(overlapMs([...talk.values()])),
      silence_ms: Math.round(Math.max(0, input.untilMs - anyoneMs)),
      segments: segments.length,
      words: scored.reduce((sum, s) => sum + s.words, 0),
      turns: turns.length,
      interruptions: interruptions.length,
    },
    longest_monologue: longest === undefined ? null : { participant_id: longest.participantId, ...spanOf(longest) },
    interruptions: interruptions.slice(0, o.maxListedInterruptions).map((i) => ({
      at_ms: Math.round(i.atMs),
      participant_id: i.participantId,
      interrupted_participant_id: i.interruptedParticipantId,
    })),
    segments: scored.map(({ segment, words, sentiment }) => ({
      segment_id: segment.segmentId,
      participant_id: segment.participantId,
      start_ms: Math.round(stored.get(segment.segmentId)?.startMs ?? segment.startMs),
      end_ms: Math.round(stored.get(segment.segmentId)?.endMs ?? segment.endMs),
      speech_start_ms: Math.round(segment.startMs),
      speech_end_ms: Math.round(segment.endMs),
      text: segment.text,
      words,
      sentiment,
    })),
    sentiment: {
      ...SENTIMENT_METHOD,
      overall: aggregateSentiment(scored.map((s) => ({ compound: s.sentiment.compound, words: s.words }))),
    },
    speech_method: { segment_padding_ms: o.segmentPaddingMs },
    expression_method: { hold_cap_ms: o.holdCapMs },
    limits: {
      max_segments: o.maxSegments,
      max_observations: o.maxObservations,
      max_listed_interruptions: o.maxListedInterruptions,
      segments_truncated: input.truncated.segments,
      observations_truncated: input.truncated.observations,
    },
  };
}
