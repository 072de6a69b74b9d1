import { z } from "zod";
import { ROOM_ERROR_CODES, type RoomErrorCode } from "./error-codes.js";
import { iceCandidate, SIGNAL_TYPES } from "./client-messages.js";

/**
 * The wire protocol, server → client: every message a room sends, by type. The room sends through a typed helper
 * (`sendTo(client, type, message)` takes `ServerMessages[type]`), clients parse with these schemas. Pure (zod only).
 */

export const sessionJoinedMessage = z.object({
  session_id: z.string(),
  participant_id: z.string(),
  role: z.string(),
  reconnect_window_ms: z.number(),
});

/** A signal relayed to its addressee; `from` is set by the server, never taken from the sender. */
export const relayedSignalMessage = z.object({
  from: z.string(),
  type: z.enum(SIGNAL_TYPES),
  sdp: z.string().optional(),
  candidate: iceCandidate.optional(),
});

export const textBroadcastMessage = z.object({ from: z.string(), name: z.string(), content: z.string(), at: z.number() });

/**
 * Offsets in ms since the session's start; final segments are persisted, idempotently on `segment_id`. Interims
 * (`final: false`) of a segment come before its final and are replaced by it; a final with empty `text` comes only
 * after interims (Whisper heard nothing in the whole utterance, or its transcription failed): it withdraws their line
 * and is not persisted.
 */
export const transcriptMessage = z.object({
  segment_id: z.string(),
  participant_id: z.string(),
  text: z.string(),
  start_ms: z.number(),
  end_ms: z.number(),
  final: z.boolean(),
});

/** The 7 classes of the facial-expression model. */
export const EXPRESSION_NAMES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"] as const;
export type ExpressionName = (typeof EXPRESSION_NAMES)[number];
const expressionScores = z.object(
  Object.fromEntries(EXPRESSION_NAMES.map((name) => [name, z.number()])) as Record<ExpressionName, z.ZodNumber>,
);

/**
 * A participant's camera, analysed: sent when the dominant expression of their main face (the detector's best)
 * changes, and at least every 2 s while frames come. `at_ms` is the frame's capture time in ms since the session's
 * start; `faces` counts the faces in view; `expression` and `scores` are null when there is none.
 */
export const expressionMessage = z.object({
  participant_id: z.string(),
  at_ms: z.number(),
  faces: z.number().int().min(0),
  expression: z.enum(EXPRESSION_NAMES).nullable(),
  scores: expressionScores.nullable(),
});

/** A participant's camera has shown no face for `absent_ms` (10 s or more): sent once per absence. */
export const noFaceMessage = z.object({
  participant_id: z.string(),
  at_ms: z.number(),
  /** When the last face was seen (or the camera's first frame came), ms since the session's start. */
  since_ms: z.number(),
  absent_ms: z.number(),
});

/** What the tutor was given from the session's knowledge base for a reply. */
export const replySource = z.object({ doc_id: z.string(), chunk_index: z.number().int(), title: z.string().nullable() });

/**
 * The tutor's reply as it streams: each `delta` once, in order, then one message with `final: true` and the whole
 * `text` (and the passages it was given, `sources`). `sample_rate` is the rate of this turn's binary `tutor.audio`
 * messages (16-bit mono PCM), null until its first sentence is synthesized: a message stating it always precedes the
 * turn's first audio. A greeting comes as one final message.
 */
export const tutorReplyMessage = z.object({
  turn_id: z.number().int(),
  kind: z.enum(["greeting", "answer"]),
  delta: z.string().optional(),
  text: z.string().optional(),
  final: z.boolean(),
  sample_rate: z.number().int().nullable(),
  sources: z.array(replySource).optional(),
});

/**
 * The tutor stopped mid-turn: flush its queued audio now. `played_ms`: how much of the turn's audio the engine
 * reckons was played (it paces audio at playback speed, at most a few hundred ms ahead). `reason`: the student spoke
 * (`barge_in`), typed (`text`), or the session ended (`ended`).
 */
export const tutorInterruptedMessage = z.object({
  turn_id: z.number().int(),
  played_ms: z.number().int().min(0),
  reason: z.enum(["barge_in", "text", "ended"]),
});

export const sessionEndedMessage = z.object({ session_id: z.string(), reason: z.string().nullable() });
export const sessionReplacedMessage = z.object({ reason: z.string() });

/** Every refusal of a client message; the connection stays open. */
export const errorMessage = z.object({
  code: z.enum(ROOM_ERROR_CODES as [RoomErrorCode, ...RoomErrorCode[]]),
  message: z.string(),
  /** The message type that caused it. */
  type: z.string(),
  /** Failing fields, for `invalid_message`. */
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export const SERVER_MESSAGES = {
  "session.joined": sessionJoinedMessage,
  "session.ended": sessionEndedMessage,
  "session.replaced": sessionReplacedMessage,
  signal: relayedSignalMessage,
  text: textBroadcastMessage,
  transcript: transcriptMessage,
  expression: expressionMessage,
  no_face: noFaceMessage,
  "tutor.reply": tutorReplyMessage,
  "tutor.interrupted": tutorInterruptedMessage,
  error: errorMessage,
} as const;

export type ServerMessageType = keyof typeof SERVER_MESSAGES;
export type ServerMessages = { [K in ServerMessageType]: z.infer<(typeof SERVER_MESSAGES)[K]> };
export type SessionJoinedMessage = ServerMessages["session.joined"];
export type RelayedSignalMessage = ServerMessages["signal"];
export type TextBroadcastMessage = ServerMessages["text"];
export type TranscriptMessage = ServerMessages["transcript"];
export type ExpressionMessage = ServerMessages["expression"];
export type NoFaceMessage = ServerMessages["no_face"];
export type SessionEndedMessage = ServerMessages["session.ended"];
export type ErrorMessage = ServerMessages["error"];
export type TutorReplyMessage = ServerMessages["tutor.reply"];
export type TutorInterruptedMessage = ServerMessages["tutor.interrupted"];

/** Binary messages a room sends (`client.sendBytes`): `tutor.audio`, the tutor's speech as 16-bit mono PCM. */
export const SERVER_BINARY_MESSAGE_TYPES = ["tutor.audio"] as const;
export type ServerBinaryMessageType = (typeof SERVER_BINARY_MESSAGE_TYPES)[number];
