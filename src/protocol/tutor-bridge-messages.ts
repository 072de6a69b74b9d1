import { z } from "zod";
import { MAX_TEXT_CHARS } from "./client-messages.js";

/**
 * The virtual tutor server's plain-WebSocket JSON, which its clients speak unchanged (`ws://host/ws/{session_id}`
 * and `/ws/ws/{session_id}`, `?token=` the session's `engine_token`). Pure (zod only): the bridge, the tests and any
 * client import it.
 *
 * In: `{type: "text", content}`, `{type: "audio", data: base64}` (a WAV file, or 16-bit PCM at 16 kHz). That
 * server's clients send more fields (`tutor_id`, `session_id`, `avatar_id`, ...): they are accepted and ignored.
 * Out: `transcription` (the student's words), `text` (the tutor's reply), `audio` (the reply spoken, a base64 WAV, in
 * `audio` as that server named it and in `data`), `error`; each with an ISO 8601 `timestamp`.
 */

/** Decoded audio a message may carry, and its length. */
export const BRIDGE_MAX_AUDIO_BYTES = 1024 * 1024;
export const BRIDGE_MAX_AUDIO_MS = 30_000;
/** A JSON frame: the base64 of the largest audio, and room for the other fields. */
export const BRIDGE_MAX_FRAME_BYTES = Math.ceil((BRIDGE_MAX_AUDIO_BYTES * 4) / 3) + 16 * 1024;

export const bridgeEnvelope = z.looseObject({ type: z.string().max(64) });

export const bridgeTextIn = z.looseObject({
  type: z.literal("text"),
  content: z.string().trim().min(1, "content is empty").max(MAX_TEXT_CHARS),
});

export const bridgeAudioIn = z.looseObject({
  type: z.literal("audio"),
  /** Base64 of a WAV file, or of 16-bit little-endian mono PCM at 16 kHz. */
  data: z.string().min(1, "data is empty").max(BRIDGE_MAX_FRAME_BYTES),
});

export type BridgeTextIn = z.infer<typeof bridgeTextIn>;
export type BridgeAudioIn = z.infer<typeof bridgeAudioIn>;

export const bridgeTranscriptionOut = z.object({
  type: z.literal("transcription"),
  content: z.string(),
  role: z.literal("user"),
  timestamp: z.string(),
});

export const bridgeTextOut = z.object({
  type: z.literal("text"),
  content: z.string(),
  role: z.literal("assistant"),
  timestamp: z.string(),
});

export const bridgeAudioOut = z.object({
  type: z.literal("audio"),
  /** The words spoken. */
  content: z.string(),
  /** Base64 WAV (16-bit mono): `audio` as that server sent it, `data` as its documentation names it. */
  audio: z.string(),
  data: z.string(),
  role: z.literal("assistant"),
  timestamp: z.string(),
});

export const bridgeErrorOut = z.object({
  type: z.literal("error"),
  content: z.string(),
  /** The engine's stable code (that server sent only `content`). */
  code: z.string(),
  timestamp: z.string(),
});

export const BRIDGE_OUT_MESSAGES = {
  transcription: bridgeTranscriptionOut,
  text: bridgeTextOut,
  audio: bridgeAudioOut,
  error: bridgeErrorOut,
} as const;

export type BridgeOutType = keyof typeof BRIDGE_OUT_MESSAGES;
export type BridgeOutMessage = { [K in BridgeOutType]: z.infer<(typeof BRIDGE_OUT_MESSAGES)[K]> }[BridgeOutType];

/** WebSocket close codes the bridge closes with; the reason is the stable code (`token_expired`, ...). */
export const BRIDGE_CLOSE = {
  /** A bad, expired or missing token, a session that cannot be joined, a client that keeps misbehaving (that server's code). */
  policy: 1008,
  /** The session ended. */
  normal: 1000,
  /** The engine is shutting down. */
  goingAway: 1001,
} as const;
