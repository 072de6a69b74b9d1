import { z } from "zod";
import { inspectMessage, type MessageShapeLimits } from "./message-shape.js";

/**
 * The wire protocol, client → server: every message type a participant may send, its schema and its limits. The
 * server validates with these, the browser client, the load generator, the tests and the fuzzer build their
 * messages from them. Pure (zod only): safe to bundle for the browser.
 */

/** Rates a participant's 16-bit mono PCM may have (join option `sample_rate`). */
export const SUPPORTED_SAMPLE_RATES = [8000, 16000, 24000, 48000] as const;
export type SampleRate = (typeof SUPPORTED_SAMPLE_RATES)[number];

/** Largest control message (signal, text) accepted, measured as its JSON encoding in bytes. */
export const MAX_CONTROL_MESSAGE_BYTES = 64 * 1024;
/** Deepest nesting and most values in one control message: bounds the work of checking it. */
export const MAX_CONTROL_MESSAGE_DEPTH = 32;
export const MAX_CONTROL_MESSAGE_VALUES = 10_000;
/**
 * Frames above this are refused by the WebSocket layer itself (close 1009): it bounds the memory one frame can take
 * before any handler runs. Between MAX_CONTROL_MESSAGE_BYTES and this, a client gets an `error` reply instead.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;
export const MAX_TEXT_CHARS = 4_000;
export const MAX_PARTICIPANT_ID_CHARS = 128;

export const CONTROL_MESSAGE_LIMITS: MessageShapeLimits = {
  maxBytes: MAX_CONTROL_MESSAGE_BYTES,
  maxDepth: MAX_CONTROL_MESSAGE_DEPTH,
  maxValues: MAX_CONTROL_MESSAGE_VALUES,
};

/** Checks a decoded control message's size and values before its schema runs; never throws. */
export function inspectControlMessage(message: unknown): ReturnType<typeof inspectMessage> {
  return inspectMessage(message, CONTROL_MESSAGE_LIMITS);
}

/** An ICE candidate as `RTCIceCandidate.toJSON()` gives it. */
export const iceCandidate = z.strictObject({
  candidate: z.string().max(4_096).optional(),
  sdpMid: z.string().max(256).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(65_535).nullable().optional(),
  usernameFragment: z.string().max(256).nullable().optional(),
});

/** What a signal carries: WebRTC's offer/answer exchange and trickled ICE candidates. */
export const SIGNAL_TYPES = ["offer", "answer", "ice_candidate"] as const;

export const signalMessage = z
  .strictObject({
    to: z.string().min(1).max(MAX_PARTICIPANT_ID_CHARS),
    type: z.enum(SIGNAL_TYPES),
    sdp: z.string().max(MAX_CONTROL_MESSAGE_BYTES).optional(),
    candidate: iceCandidate.optional(),
  })
  .refine((m) => (m.type === "ice_candidate" ? m.candidate !== undefined : m.sdp !== undefined), {
    message: "offer and answer need `sdp`; ice_candidate needs `candidate`",
  });
export type SignalMessage = z.infer<typeof signalMessage>;

export const textMessage = z.strictObject({
  content: z.string().trim().min(1).max(MAX_TEXT_CHARS),
});
export type TextMessage = z.infer<typeof textMessage>;

/** Binary `audio` (`room.sendBytes("audio", pcm)`): 16-bit little-endian mono PCM at the join `sample_rate`. */
export const MIN_AUDIO_MESSAGE_MS = 10;
export const MAX_AUDIO_MESSAGE_MS = 100;
export const MAX_AUDIO_MESSAGE_BYTES = 64 * 1024;

/** Why an audio message is refused, or null when it is well formed for `sampleRate`. */
export function audioMessageProblem(bytes: Uint8Array, sampleRate: SampleRate): string | null {
  if (bytes.byteLength > MAX_AUDIO_MESSAGE_BYTES) return `an audio message is limited to ${MAX_AUDIO_MESSAGE_BYTES} bytes`;
  if (bytes.byteLength % 2 !== 0) return "16-bit PCM needs an even number of bytes";
  const durationMs = audioMessageMs(bytes, sampleRate);
  if (durationMs < MIN_AUDIO_MESSAGE_MS || durationMs > MAX_AUDIO_MESSAGE_MS) {
    return `an audio message carries ${MIN_AUDIO_MESSAGE_MS}–${MAX_AUDIO_MESSAGE_MS} ms (this one ${durationMs.toFixed(1)} ms at ${sampleRate} Hz)`;
  }
  return null;
}

/** Milliseconds of audio in a message of this size. */
export function audioMessageMs(bytes: Uint8Array, sampleRate: SampleRate): number {
  return (bytes.byteLength / 2 / sampleRate) * 1000;
}

/** Join option `sample_rate`: the rate of the PCM a participant will send (default 16 kHz). */
export const sampleRateOption = z
  .union(SUPPORTED_SAMPLE_RATES.map((rate) => z.literal(rate)) as [z.ZodLiteral<SampleRate>, ...z.ZodLiteral<SampleRate>[]])
  .default(16_000);

/**
 * Binary `video` (`room.sendBytes("video", jpeg)`): one camera frame, a baseline or progressive JPEG of at most
 * MAX_VIDEO_FRAME_WIDTH × MAX_VIDEO_FRAME_HEIGHT (either way round), at most the session's `video_fps` a second.
 * Its capture time is when the room receives it. Only the size and the JPEG start marker are checked here; the
 * inference pool checks the header and decodes it, and answers a bad frame `invalid_video` to its sender.
 */
export const MAX_VIDEO_MESSAGE_BYTES = 256 * 1024;
export const MAX_VIDEO_FRAME_WIDTH = 1280;
export const MAX_VIDEO_FRAME_HEIGHT = 720;
/** The session option `video_fps`: frames a second each participant may send. */
export const MAX_VIDEO_FPS = 5;
export const DEFAULT_VIDEO_FPS = 2;

/** Why a video message is refused here, or null when it may go to the pool. */
export function videoMessageProblem(bytes: Uint8Array): string | null {
  if (bytes.byteLength > MAX_VIDEO_MESSAGE_BYTES) return `a video frame is limited to ${MAX_VIDEO_MESSAGE_BYTES / 1024} KB`;
  if (bytes.byteLength < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return "a video frame is one JPEG image (it starts with FF D8)";
  return null;
}

/** JSON messages by type, and the binary ones: what a client may send. */
export const CLIENT_MESSAGES = { signal: signalMessage, text: textMessage } as const;
export type ClientMessageType = keyof typeof CLIENT_MESSAGES;
export const CLIENT_BINARY_MESSAGE_TYPES = ["audio", "video"] as const;
export type ClientBinaryMessageType = (typeof CLIENT_BINARY_MESSAGE_TYPES)[number];
