import { z } from "zod";
import { fromBase64 } from "./corpus.js";
import { hostileWav, type WavHeader } from "./rest-routes.js";

/**
 * One input of the plain-WebSocket bridge's corpus (`corpus/bridge.jsonl`): how the socket connects (which session its
 * path names, which token, the request target, byte for byte when `raw`) and the frames it then sends. Large payloads
 * are recipes (a repeated string, a nesting, an audio file described by its header) so the committed corpus stays
 * small and every byte is still replayed exactly.
 */

const wavHeader: z.ZodType<WavHeader> = z.strictObject({
  tag: z.number().int(),
  channels: z.number().int(),
  rate: z.number().int(),
  bits: z.number().int(),
  blockAlign: z.number().int().optional(),
  declared: z.number().int().optional(),
  dataBytes: z.number().int().min(0).max(8 * 1024 * 1024),
  fmtSize: z.number().int().optional(),
  emptyChunks: z.number().int().min(0).max(10_000).optional(),
  dataFirst: z.boolean().optional(),
});

/** The bytes of an `audio` message's `data`, before base64. */
const audioBytes = z.union([
  z.strictObject({ base64: z.string() }),
  /** `prefix` (base64) followed by `fill` up to `length` bytes: headerless PCM, files of a known magic, huge payloads. */
  z.strictObject({ prefix: z.string(), fill: z.number().int().min(0).max(255), length: z.number().int().min(0).max(8 * 1024 * 1024) }),
  /** A WAV whose header says what `wav` says (zero samples; 8-bit data is its silence, 0x80). */
  z.strictObject({ wav: wavHeader, riffSize: z.number().int().min(0).max(0xffffffff).optional() }),
]);

export const BASE64_FORMS = ["standard", "url_safe", "unpadded", "mime_lines", "data_uri", "spaced", "double"] as const;

export const audioRecipe = z.strictObject({
  bytes: audioBytes,
  /** Keep only this many bytes (a truncated file). */
  cut: z.number().int().min(0).optional(),
  /** How the bytes are written as text: base64 as that server's clients do, or a way they get it wrong. */
  form: z.enum(BASE64_FORMS),
  /** Keep only this many characters of the text (an odd-length base64). */
  chars: z.number().int().min(0).optional(),
});
export type AudioRecipe = z.infer<typeof audioRecipe>;

/**
 * A frame: `text` is a text frame, written as is except for its placeholders — `@AUDIO@` (the audio recipe's text),
 * `@FILL@` (`fill.text` repeated), `@NEST@` (`nest.open` × depth, `nest.leaf`, `nest.close` × depth). `utf8: false`
 * sends the text's latin1 bytes as a text frame (not UTF-8). `binary` is a binary frame.
 */
export const bridgeFrame = z.union([
  z.strictObject({
    text: z.string(),
    audio: audioRecipe.optional(),
    fill: z.strictObject({ text: z.string().min(1).max(16), times: z.number().int().min(0).max(8 * 1024 * 1024) }).optional(),
    nest: z.strictObject({ open: z.string(), leaf: z.string(), close: z.string(), depth: z.number().int().min(0).max(500_000) }).optional(),
    utf8: z.literal(false).optional(),
  }),
  z.strictObject({ binary: z.string() }),
  z.strictObject({ binaryFill: z.strictObject({ prefix: z.string(), fill: z.number().int().min(0).max(255), length: z.number().int().min(0).max(8 * 1024 * 1024) }) }),
  /** Raw connections only: bytes written to the TCP stream as they are (frames that break RFC 6455). */
  z.strictObject({ wire: z.string() }),
]);
export type BridgeFrame = z.infer<typeof bridgeFrame>;

/** Claims of a token signed with the engine's own secret; `sid` "{session}" is the entry's session. */
const mintedClaims = z.strictObject({ sid: z.string(), sub: z.string(), kind: z.string(), role: z.string(), name: z.string() });

export const BRIDGE_TOKENS = ["student", "observer", "tutor", "expired", "other_session", "forged", "minted", "text"] as const;

export const bridgeConnect = z.strictObject({
  /**
   * What `{session}` is: the replay's live tutoring session, a fresh one ended after the input, a meeting, an ended
   * tutoring session, or none (the target names no session of the replay's).
   */
  session: z.enum(["tutoring", "fresh", "meeting", "ended", "none"]),
  /** A fresh session's `student_id` (`POST /v1/sessions`), when not the replay's usual one. */
  studentId: z.string().optional(),
  /**
   * What `{token}` is: the session's engine_token (its student, or a meeting's host), a token of another role of it,
   * an expired one, another tutoring session's, one signed with another secret, `claims` signed with the engine's
   * secret, or `tokenText` as written.
   */
  token: z.enum(BRIDGE_TOKENS),
  tokenText: z.string().optional(),
  claims: mintedClaims.optional(),
  /** The request target: `{session}` the id, `{session_pct}` every byte of it as %XX, `{token}` the token URI-encoded. */
  target: z.string(),
  /** Sent byte for byte over TCP: targets a WebSocket client would normalise or refuse, frames it would not write. */
  raw: z.boolean(),
});
export type BridgeConnect = z.infer<typeof bridgeConnect>;

export const bridgeFuzzEntry = z.strictObject({
  id: z.string(),
  /** The family of the input (reports count answers by it). */
  note: z.string(),
  connect: bridgeConnect,
  frames: z.array(bridgeFrame).max(16),
  /** The frames are sent this many times over (a flood). */
  repeat: z.number().int().min(1).max(400),
  /**
   * `handling`: the answers are in once the bridge has handled every frame. `room`: a student's one text message,
   * which the bridge forwards to the room: the replay waits for the room's answer too (never silence).
   */
  awaits: z.enum(["handling", "room"]),
  /** The client drops the connection as soon as its frames are written, before any answer (a flaky network). */
  hangUp: z.boolean().optional(),
});
export type BridgeFuzzEntry = z.infer<typeof bridgeFuzzEntry>;

function bytesOf(spec: z.infer<typeof audioBytes>): Uint8Array {
  if ("base64" in spec) return fromBase64(spec.base64);
  if ("prefix" in spec) return filled(spec.prefix, spec.fill, spec.length);
  const wav = hostileWav(spec.wav);
  // 8-bit PCM is unsigned: its silence is 0x80, not 0 (a full-scale offset speech detection might take for sound).
  if (spec.wav.bits === 8 && spec.wav.dataFirst !== true) wav.fill(0x80, wav.byteLength - spec.wav.dataBytes);
  if (spec.riffSize !== undefined) new DataView(wav.buffer, wav.byteOffset).setUint32(4, spec.riffSize, true);
  return wav;
}

function filled(prefixBase64: string, fill: number, length: number): Uint8Array {
  const prefix = fromBase64(prefixBase64);
  const bytes = new Uint8Array(Math.max(length, prefix.byteLength)).fill(fill);
  bytes.set(prefix, 0);
  return bytes;
}

/** The text an `audio` message's `data` holds. */
export function audioText(recipe: AudioRecipe): string {
  const all = bytesOf(recipe.bytes);
  const bytes = recipe.cut === undefined ? all : all.subarray(0, recipe.cut);
  const base64 = Buffer.from(bytes).toString("base64");
  const text = ((): string => {
    switch (recipe.form) {
      case "standard":
        return base64;
      case "url_safe":
        return Buffer.from(bytes).toString("base64url");
      case "unpadded":
        return base64.replace(/=+$/, "");
      case "mime_lines":
        return (base64.match(/.{1,76}/g) ?? []).join("\r\n");
      case "data_uri":
        return `data:audio/wav;base64,${base64}`;
      case "spaced":
        return base64.replace(/(.{4})/g, "$1 ");
      case "double":
        return Buffer.from(base64).toString("base64");
    }
  })();
  return recipe.chars === undefined ? text : text.slice(0, recipe.chars);
}

/** What a frame puts on the wire: a string (text frame), bytes with `text: true` (a text frame as bytes) or bytes. */
export type WireFrame = { kind: "text"; data: string } | { kind: "text_bytes" | "binary" | "wire"; data: Uint8Array };

export function wireFrame(frame: BridgeFrame): WireFrame {
  if ("binary" in frame) return { kind: "binary", data: fromBase64(frame.binary) };
  if ("binaryFill" in frame) return { kind: "binary", data: filled(frame.binaryFill.prefix, frame.binaryFill.fill, frame.binaryFill.length) };
  if ("wire" in frame) return { kind: "wire", data: fromBase64(frame.wire) };
  let text = frame.text;
  // Replacer functions: `$` in a payload is not a replacement pattern.
  if (frame.audio !== undefined) {
    const audio = audioText(frame.audio);
    text = text.replace("@AUDIO@", () => audio);
  }
  if (frame.fill !== undefined) {
    const fill = frame.fill.text.repeat(frame.fill.times);
    text = text.replace("@FILL@", () => fill);
  }
  if (frame.nest !== undefined) {
    const { open, leaf, close, depth } = frame.nest;
    const nest = `${open.repeat(depth)}${leaf}${close.repeat(depth)}`;
    text = text.replace("@NEST@", () => nest);
  }
  return frame.utf8 === false ? { kind: "text_bytes", data: new Uint8Array(Buffer.from(text, "latin1")) } : { kind: "text", data: text };
}
