import { z } from "zod";
import { EXPRESSION_NAMES } from "../protocol/server-messages.js";
import { SENTIMENT_METHOD } from "./sentiment.js";

/**
 * The meeting analysis as stored and served (`GET /api/v1/ai/analysis/{meeting_id}`). Times are ms from the session's
 * creation (the timeline transcripts and analyses use); durations are ms; shares are fractions 0–1.
 */

/** Bump when the payload's shape or meaning changes: a stored analysis of an older version is computed again. */
export const MEETING_ANALYSIS_VERSION = 1;

/**
 * Why `summary` is null: no LLM (or it failed or timed out), a reply that was not the JSON asked for, nothing said, a
 * session still open, or a tutoring session (its transcript holds the student's words only: the tutor's are in its
 * turns, `/api/v1/sessions/{id}/turns`, so a summary of it would misstate the conversation).
 */
export const SUMMARY_UNAVAILABLE = ["llm_unavailable", "llm_invalid_reply", "no_transcript", "session_live", "not_a_meeting"] as const;
export type SummaryUnavailable = (typeof SUMMARY_UNAVAILABLE)[number];

const ms = z.number().int();
const count = z.number().int().min(0);
const share = z.number().min(0).max(1);

const span = z.object({ start_ms: ms, end_ms: ms, duration_ms: ms });

const sentimentScore = z.object({ compound: z.number().min(-1).max(1), label: z.enum(["positive", "neutral", "negative"]) });
const aggregateSentiment = sentimentScore.extend({ segments: count, words: count });

const expressionShares = z.object(
  Object.fromEntries(EXPRESSION_NAMES.map((name) => [name, share])) as Record<(typeof EXPRESSION_NAMES)[number], typeof share>,
);

export const expressionTimeline = z.object({
  /** Camera time covered by the participant's expression rows (each held until the next, at most `hold_cap_ms`). */
  observed_ms: ms,
  faces_absent_ms: ms,
  faces_absent_share: share,
  /** The expression held longest while a face was in view; null when none was. */
  dominant: z.enum(EXPRESSION_NAMES).nullable(),
  /** Each expression's share of the observed time (faces absent is the rest). */
  shares: expressionShares,
  /** Rows read (expression and no_face). */
  observations: count,
  /** Absences of a face of `NO_FACE_AFTER_MS` or more (the `no_face` events). */
  no_face_events: count,
});

export const participantAnalysis = z.object({
  participant_id: z.string(),
  /** Null for a speaker the session's participants do not list (e.g. rows of an id that never joined). */
  name: z.string().nullable(),
  role: z.string().nullable(),
  /** The union of the participant's segments' intervals: overlapping segments are not counted twice. */
  talk_time_ms: ms,
  /** Of everyone's talk time added up. */
  talk_share: share,
  segments: count,
  words: count,
  turns: count,
  /** Words over talk time; null without talk time. */
  words_per_minute: z.number().nullable(),
  /** Segments of theirs that started while someone else's was in progress. */
  interruptions_made: count,
  interruptions_received: count,
  /** Their longest turn: first segment's start to last segment's end, pauses inside included. */
  longest_monologue: span.nullable(),
  sentiment: aggregateSentiment.nullable(),
  /** Null when no camera row of theirs was stored. */
  expression_timeline: expressionTimeline.nullable(),
});

export const analysedSegment = z.object({
  segment_id: z.string(),
  participant_id: z.string(),
  /** The segment's bounds as stored (and served by `/transcript`): its speech and the pool's padding around it. */
  start_ms: ms,
  end_ms: ms,
  /** Its speech: the bounds less `speech_method.segment_padding_ms` each side; every time statistic uses these. */
  speech_start_ms: ms,
  speech_end_ms: ms,
  text: z.string(),
  words: count,
  sentiment: sentimentScore,
});

export const interruption = z.object({
  at_ms: ms,
  /** Who started speaking. */
  participant_id: z.string(),
  /** Whose segment was in progress. */
  interrupted_participant_id: z.string(),
});

export const meetingSummary = z.object({
  text: z.string(),
  action_items: z.array(z.object({ text: z.string(), owner: z.string().nullable() })),
  model: z.string(),
  /** What of the transcript the model was given: all of it, or its start and end when it did not fit the budget. */
  transcript: z.object({ lines_included: count, lines_total: count, truncated: z.boolean() }),
});

/** What is stored in `meeting_analyses.payload`. */
export const meetingAnalysisPayload = z.object({
  session_id: z.string(),
  session_kind: z.string(),
  session_status: z.string(),
  started_at: z.string(),
  ended_at: z.string().nullable(),
  /** Creation to end (or to the computation, for a live session). */
  duration_ms: ms,
  participants: z.array(participantAnalysis),
  totals: z.object({
    talk_time_ms: ms,
    /** Time two or more participants spoke at once. */
    overlap_ms: ms,
    /** Time nobody spoke. */
    silence_ms: ms,
    segments: count,
    words: count,
    turns: count,
    interruptions: count,
  }),
  longest_monologue: span.extend({ participant_id: z.string() }).nullable(),
  /** In time order; at most `limits.max_listed_interruptions` (the counts include every one). */
  interruptions: z.array(interruption),
  segments: z.array(analysedSegment),
  sentiment: z.object({
    method: z.literal(SENTIMENT_METHOD.method),
    model: z.literal(SENTIMENT_METHOD.model),
    positive_at_or_above: z.number(),
    negative_at_or_below: z.number(),
    /** Every segment, weighted by words. */
    overall: aggregateSentiment.nullable(),
  }),
  speech_method: z.object({ segment_padding_ms: ms }),
  expression_method: z.object({ hold_cap_ms: ms }),
  summary: meetingSummary.nullable(),
  summary_unavailable: z.enum(SUMMARY_UNAVAILABLE).nullable(),
  limits: z.object({
    max_segments: count,
    max_observations: count,
    max_listed_interruptions: count,
    segments_truncated: z.boolean(),
    observations_truncated: z.boolean(),
  }),
});

export type MeetingAnalysisPayload = z.infer<typeof meetingAnalysisPayload>;
export type ParticipantAnalysis = z.infer<typeof participantAnalysis>;
export type ExpressionTimeline = z.infer<typeof expressionTimeline>;
export type MeetingSummary = z.infer<typeof meetingSummary>;

/** The API's answer: the payload with what it is and when it was computed. */
export const meetingAnalysisResponse = meetingAnalysisPayload.extend({
  /** The id as asked for. */
  meeting_id: z.string(),
  status: z.enum(["final", "live"]),
  computed_at: z.string(),
  version: z.number().int(),
});

export type MeetingAnalysisResponse = z.infer<typeof meetingAnalysisResponse>;
