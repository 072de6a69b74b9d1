import { z } from "zod";
import type { PoolErrorCode } from "../inference/pool-types.js";

/** Largest control message (signal, text) accepted, measured as its JSON encoding in bytes. */
export const MAX_CONTROL_MESSAGE_BYTES = 64 * 1024;
/**
 * Frames above this are refused by the WebSocket layer itself (close 1009): it bounds the memory one frame can take
 * before any handler runs. Between MAX_CONTROL_MESSAGE_BYTES and this, a client gets an `error` reply instead.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;

export const MAX_TEXT_CHARS = 4_000;

export const signalMessage = z.strictObject({
  to: z.string().min(1).max(128),
  type: z.enum(["offer", "answer", "ice_candidate"]),
  sdp: z.string().max(MAX_CONTROL_MESSAGE_BYTES).optional(),
  candidate: z.unknown().optional(),
}).refine((m) => m.type === "ice_candidate" ? m.candidate !== undefined : m.sdp !== undefined, {
  message: "offer and answer need `sdp`; ice_candidate needs `candidate`",
});
export type SignalMessage = z.infer<typeof signalMessage>;

export const textMessage = z.strictObject({
  content: z.string().trim().min(1).max(MAX_TEXT_CHARS),
});
export type TextMessage = z.infer<typeof textMessage>;

/** Codes a client can find in an `error` message; the connection stays open for each of them. */
export type ClientErrorCode =
  | "invalid_message"
  | "message_too_large"
  | "unknown_message_type"
  | "participant_not_found"
  | "rate_limited"
  | "session_not_live"
  | "invalid_audio"
  | "inference_unavailable"
  | PoolErrorCode;

export interface ClientErrorMessage {
  code: ClientErrorCode;
  message: string;
  /** The message type that caused it. */
  type: string;
  /** Failing fields, for invalid_message. */
  issues?: { path: string; message: string }[];
}

/** JSON size of a decoded message: the bound clients are told about, whatever the wire encoding. */
export function messageBytes(message: unknown): number {
  const json = JSON.stringify(message);
  return json === undefined ? 0 : Buffer.byteLength(json, "utf8");
}
