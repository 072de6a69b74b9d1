import { z } from "zod";
import { fromBase64 } from "./corpus.js";

/**
 * What the room and WebSocket surfaces replay: WebSocket frames, stored exactly (base64) or, when large, as a recipe
 * (a prefix followed by one byte repeated) so the committed corpus stays small.
 */
export const frameSpec = z.union([
  z.strictObject({ base64: z.string() }),
  z.strictObject({ prefix: z.string(), fill: z.number().int().min(0).max(255), length: z.number().int().min(0).max(8 * 1024 * 1024) }),
  /** A WebSocket text frame (the protocol is binary). */
  z.strictObject({ text: z.string() }),
]);
export type FrameSpec = z.infer<typeof frameSpec>;

export const socketFuzzEntry = z.strictObject({
  id: z.string(),
  /** What the input is, for reports. */
  note: z.string(),
  role: z.enum(["observer", "participant"]),
  /** `joined`: after the join handshake; `before_ack`: before the client acknowledges the join (then it drops). */
  stage: z.enum(["joined", "before_ack"]),
  /** Connect to this path and query instead of a reserved seat (the transport's own refusals). */
  path: z.string().optional(),
  frames: z.array(frameSpec).max(16),
});
export type SocketFuzzEntry = z.infer<typeof socketFuzzEntry>;

export function frameBytes(spec: FrameSpec): Uint8Array | string {
  if ("text" in spec) return spec.text;
  if ("base64" in spec) return fromBase64(spec.base64);
  const prefix = fromBase64(spec.prefix);
  const bytes = new Uint8Array(Math.max(spec.length, prefix.byteLength)).fill(spec.fill);
  bytes.set(prefix, 0);
  return bytes;
}
