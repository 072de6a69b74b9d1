import { encode as encodeJpeg } from "jpeg-js";
import { z } from "zod";
import { enhancementBody, imageAnalysisBody } from "../../src/api/ai-image-schemas.js";
import { optimizeBody } from "../../src/api/asr-service-schemas.js";
import { createSessionBody, issueTokenBody, seedCreateSessionBody } from "../../src/api/schemas.js";
import { speechRecognitionBody } from "../../src/api/speech-routes.js";
import { encodeWav } from "../../src/inference/audio/wav.js";
import { encodePng } from "../../src/inference/images/png-image.js";

/**
 * What the REST corpus is derived from: every route of the engine's HTTP surface, the zod schemas that validate the
 * JSON ones (valid examples, and boundary values read from the schemas' JSON Schema), and WAV files with hostile
 * headers. `{session}` in a path is the replay's live session.
 */

export interface Route {
  method: string;
  path: string;
  /** Needs `Authorization: Bearer <ADMIN_API_KEY>`. */
  admin: boolean;
}

const sessionRoutes = (prefix: string): Route[] => [
  { method: "GET", path: `${prefix}/sessions`, admin: true },
  { method: "POST", path: `${prefix}/sessions`, admin: true },
  { method: "GET", path: `${prefix}/sessions/{session}`, admin: true },
  { method: "DELETE", path: `${prefix}/sessions/{session}`, admin: true },
];

export const ROUTES: readonly Route[] = [
  ...sessionRoutes("/api/v1"),
  { method: "POST", path: "/api/v1/sessions/{session}/tokens", admin: true },
  { method: "GET", path: "/api/v1/sessions/{session}/transcript", admin: true },
  { method: "GET", path: "/api/v1/sessions/{session}/analyses", admin: true },
  { method: "POST", path: "/api/v1/ai/speech-recognition", admin: true },
  { method: "POST", path: "/api/v1/transcribe", admin: true },
  { method: "POST", path: "/api/v1/ai/emotion-detection", admin: true },
  { method: "POST", path: "/api/v1/ai/deepfake-detection", admin: true },
  { method: "POST", path: "/api/v1/ai/video-enhancement", admin: true },
  { method: "POST", path: "/api/asr/transcribe", admin: true },
  { method: "POST", path: "/api/asr/transcribe-and-optimize", admin: true },
  { method: "POST", path: "/api/llm/optimize", admin: true },
  { method: "GET", path: "/api/status", admin: true },
  { method: "GET", path: "/api/health", admin: false },
  ...sessionRoutes("/v1"),
  ...sessionRoutes("/mgmt/v1"),
  { method: "GET", path: "/health", admin: false },
  { method: "GET", path: "/ready", admin: false },
  { method: "GET", path: "/metrics", admin: false },
  { method: "GET", path: "/openapi.json", admin: false },
  { method: "GET", path: "/docs", admin: false },
  { method: "GET", path: "/monitor/", admin: false },
  { method: "GET", path: "/monitor/api", admin: false },
  { method: "GET", path: "/", admin: false },
  { method: "GET", path: "/index.html", admin: false },
  { method: "GET", path: "/app.js", admin: false },
];

/** The ASR service's upload routes: the WAV in field `audio`, text fields beside it. */
export const ASR_UPLOAD_PATHS = ["/api/asr/transcribe", "/api/asr/transcribe-and-optimize"] as const;
export const ASR_UPLOAD_FIELDS: readonly (readonly [string, string])[] = [
  ["language", "en"],
  ["language", "fr"],
  ["language", "x".repeat(70_000)],
  ["mode", "custom"],
  ["mode", "shout"],
  ["prompt", "p".repeat(2_001)],
  ["language", "\u0000"],
];

/** A 0.1 s WAV of silence (the recognition route's smallest valid recording). */
export const SHORT_WAV = encodeWav(new Float32Array(1_600), 16_000);

/** A 32×32 gradient, as the image routes' smallest valid frames: a baseline JPEG and a PNG. */
const GRADIENT = { width: 32, height: 32, data: Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => (i * 7) % 256) };
export const SMALL_JPEG = new Uint8Array(encodeJpeg({ width: 32, height: 32, data: Uint8Array.from({ length: 32 * 32 * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 7) % 256)) }, 80).data);
export const SMALL_PNG = encodePng(GRADIENT);

/** The JSON routes, each with its request schema and a schema-valid body the mutations start from. */
export const JSON_ROUTES = [
  { method: "POST", path: "/api/v1/sessions", schema: createSessionBody, valid: { kind: "meeting", title: "Weekly sync", max_participants: 8, idle_timeout_ms: 60_000 } },
  { method: "POST", path: "/api/v1/sessions/{session}/tokens", schema: issueTokenBody, valid: { participant_id: "p-1", name: "Ada", role: "participant", ttl_ms: 60_000 } },
  { method: "POST", path: "/v1/sessions", schema: seedCreateSessionBody, valid: { tutor_id: "tutor-1", student_id: "student-1", kb_id: "kb-1" } },
  { method: "POST", path: "/mgmt/v1/sessions", schema: seedCreateSessionBody, valid: { tutor_id: "tutor-2", student_id: "student-2" } },
  { method: "POST", path: "/api/v1/ai/speech-recognition", schema: speechRecognitionBody, valid: { audio_data: Buffer.alloc(3_200).toString("base64"), format: "pcm", sample_rate: 16_000 } },
  { method: "POST", path: "/api/v1/ai/speech-recognition", schema: speechRecognitionBody, valid: { audio_data: Buffer.from(SHORT_WAV).toString("base64"), format: "wav", session_id: "s-1" } },
  { method: "POST", path: "/api/v1/ai/speech-recognition", schema: speechRecognitionBody, valid: { audio_data: Buffer.from(SHORT_WAV).toString("base64"), format: "wav", meeting_id: 42, user_id: "u-1", language: "en" } },
  { method: "POST", path: "/api/v1/ai/emotion-detection", schema: imageAnalysisBody, valid: { video_frame: Buffer.from(SMALL_JPEG).toString("base64"), format: "jpeg", user_id: 7 } },
  { method: "POST", path: "/api/v1/ai/deepfake-detection", schema: imageAnalysisBody, valid: { video_frame: Buffer.from(SMALL_PNG).toString("base64"), format: "png" } },
  { method: "POST", path: "/api/v1/ai/video-enhancement", schema: enhancementBody, valid: { video_frame: Buffer.from(SMALL_PNG).toString("base64"), scale: 2, output_format: "jpeg", quality: 80 } },
  { method: "POST", path: "/api/llm/optimize", schema: optimizeBody, valid: { text: "the meeting starts at noon", mode: "custom", prompt: "Fix the punctuation." } },
] as const satisfies readonly { method: string; path: string; schema: z.ZodType; valid: Record<string, unknown> }[];

export type JsonRoute = (typeof JSON_ROUTES)[number];

const propertySchema = z
  .object({
    type: z.string().optional(),
    enum: z.array(z.unknown()).optional(),
    minLength: z.number().optional(),
    maxLength: z.number().optional(),
    pattern: z.string().optional(),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    anyOf: z.array(z.object({ const: z.unknown().optional() }).loose()).optional(),
  })
  .loose();
const objectSchema = z.object({ properties: z.record(z.string(), propertySchema), required: z.array(z.string()).default([]) }).loose();

/** Values at and past the bounds a property's JSON Schema states, plus the ones every field should survive. */
function edgesOf(property: z.infer<typeof propertySchema>): unknown[] {
  const always: unknown[] = [null, true, [], {}, "\u0000", "\uD800", -1, 0.5];
  if (property.anyOf !== undefined) {
    const consts = property.anyOf.map((option) => option.const).filter((c): c is number => typeof c === "number");
    return [...always, ...consts.flatMap((c) => [c - 1, c + 1, String(c), c + 0.5]), 44_100, 0, 2 ** 53 + 2];
  }
  if (property.enum !== undefined) {
    const values = property.enum.filter((v): v is string => typeof v === "string");
    return [...always, ...values.flatMap((v) => [v.toUpperCase(), ` ${v}`, `${v}\u0000`]), "", "webinar", 0];
  }
  if (property.type === "string") {
    const max = property.maxLength ?? 256;
    return [
      ...always,
      "",
      " ",
      "   ",
      "x".repeat(max),
      "x".repeat(max + 1),
      "😀".repeat(Math.ceil(max / 2) + 1),
      "a\u0000b",
      "\uDFFF",
      "\u202E\u200B\uFEFF",
      ...(property.pattern === undefined ? [] : ["a b", "a/b", "%2e", "ä", "a\nb", "<script>"]),
      123,
    ];
  }
  if (property.type === "integer" || property.type === "number") {
    const min = property.minimum ?? 0;
    const max = property.maximum ?? 2 ** 31;
    return [...always, min - 1, min, max, max + 1, min + 0.5, -0, 1e308, -1e308, String(min), 2 ** 53 + 2, Number.NaN, Number.POSITIVE_INFINITY];
  }
  return always;
}

/** Every boundary body of a JSON route: one property at an edge, a required one removed, an unknown one added. */
export function schemaEdges(route: JsonRoute): Record<string, unknown>[] {
  const schema = objectSchema.parse(z.toJSONSchema(route.schema, { io: "input", unrepresentable: "any" }));
  const bodies: Record<string, unknown>[] = [];
  for (const [name, property] of Object.entries(schema.properties)) {
    for (const value of edgesOf(property)) bodies.push({ ...route.valid, [name]: value });
  }
  for (const name of schema.required) bodies.push(Object.fromEntries(Object.entries(route.valid).filter(([key]) => key !== name)));
  bodies.push({ ...route.valid, unknown_field: 1 }, { ...route.valid, ["__proto__"]: { admin: true } }, {});
  return bodies;
}

export interface WavHeader {
  tag: number;
  channels: number;
  rate: number;
  bits: number;
  blockAlign?: number;
  /** Declared data size; the bytes present are `dataBytes`. */
  declared?: number;
  dataBytes: number;
  fmtSize?: number;
  /** Empty LIST chunks before fmt (a chunk walk that never ends). */
  emptyChunks?: number;
  dataFirst?: boolean;
}

/** A WAV whose header says what `h` says, whatever the data holds (zeros). */
export function hostileWav(h: WavHeader): Uint8Array {
  const fmtSize = h.fmtSize ?? 16;
  const chunks: Buffer[] = [];
  for (let i = 0; i < (h.emptyChunks ?? 0); i += 1) chunks.push(Buffer.from("LIST\0\0\0\0", "latin1"));
  const fmt = Buffer.alloc(8 + Math.max(fmtSize, 16));
  fmt.write("fmt ", 0, "latin1");
  fmt.writeUInt32LE(fmtSize, 4);
  fmt.writeUInt16LE(h.tag & 0xffff, 8);
  fmt.writeUInt16LE(h.channels & 0xffff, 10);
  fmt.writeUInt32LE(h.rate >>> 0, 12);
  const blockAlign = h.blockAlign ?? (h.channels * h.bits) / 8;
  fmt.writeUInt32LE((h.rate * blockAlign) >>> 0, 16);
  fmt.writeUInt16LE(blockAlign & 0xffff, 20);
  fmt.writeUInt16LE(h.bits & 0xffff, 22);
  const data = Buffer.alloc(8 + h.dataBytes);
  data.write("data", 0, "latin1");
  data.writeUInt32LE((h.declared ?? h.dataBytes) >>> 0, 4);
  if (h.dataFirst === true) chunks.push(data, fmt);
  else chunks.push(fmt, data);
  const body = Buffer.concat(chunks);
  const riff = Buffer.alloc(12);
  riff.write("RIFF", 0, "latin1");
  riff.writeUInt32LE((4 + body.byteLength) >>> 0, 4);
  riff.write("WAVE", 8, "latin1");
  return new Uint8Array(Buffer.concat([riff, body]));
}

/** WAV headers a hostile client sends: rates of 0–4 GHz, no or 65,535 channels, odd sizes, lying lengths. */
export const HOSTILE_WAVS: WavHeader[] = [
  { tag: 1, channels: 1, rate: 16, bits: 16, dataBytes: 3_200 },
  { tag: 1, channels: 1, rate: 1, bits: 16, dataBytes: 320 },
  { tag: 1, channels: 1, rate: 0, bits: 16, dataBytes: 320 },
  { tag: 1, channels: 1, rate: 7_999, bits: 16, dataBytes: 320 },
  { tag: 1, channels: 1, rate: 8_001, bits: 16, dataBytes: 320 },
  { tag: 1, channels: 1, rate: 48_001, bits: 16, dataBytes: 320 },
  { tag: 1, channels: 1, rate: 4_294_967_295, bits: 16, dataBytes: 320 },
  { tag: 1, channels: 0, rate: 16_000, bits: 16, dataBytes: 320 },
  { tag: 1, channels: 65_535, rate: 16_000, bits: 16, dataBytes: 131_070 },
  { tag: 1, channels: 2, rate: 44_100, bits: 24, dataBytes: 6_000 },
  { tag: 1, channels: 1, rate: 16_000, bits: 12, dataBytes: 320 },
  { tag: 1, channels: 1, rate: 16_000, bits: 0, dataBytes: 320 },
  { tag: 1, channels: 1, rate: 16_000, bits: 64, dataBytes: 320 },
  { tag: 3, channels: 1, rate: 16_000, bits: 16, dataBytes: 320 },
  { tag: 2, channels: 1, rate: 16_000, bits: 4, dataBytes: 320 },
  { tag: 0xfffe, channels: 1, rate: 16_000, bits: 16, dataBytes: 320 },
  { tag: 1, channels: 1, rate: 16_000, bits: 16, dataBytes: 320, blockAlign: 0 },
  { tag: 1, channels: 1, rate: 16_000, bits: 16, dataBytes: 321, blockAlign: 2 },
  { tag: 1, channels: 1, rate: 16_000, bits: 16, dataBytes: 320, declared: 4_294_967_295 },
  { tag: 1, channels: 1, rate: 16_000, bits: 16, dataBytes: 320, declared: 4_294_967_294 },
  { tag: 1, channels: 1, rate: 16_000, bits: 16, dataBytes: 320, declared: 0 },
  { tag: 1, channels: 1, rate: 16_000, bits: 16, dataBytes: 320, fmtSize: 2 },
  { tag: 1, channels: 1, rate: 16_000, bits: 16, dataBytes: 320, fmtSize: 4_000_000 },
  { tag: 1, channels: 1, rate: 16_000, bits: 16, dataBytes: 320, dataFirst: true },
  { tag: 1, channels: 1, rate: 16_000, bits: 16, dataBytes: 320, emptyChunks: 5_000 },
  { tag: 1, channels: 1, rate: 8_000, bits: 8, dataBytes: 8_000 * 601 },
  { tag: 1, channels: 1, rate: 48_000, bits: 16, dataBytes: 9_600 },
  { tag: 1, channels: 2, rate: 8_000, bits: 16, dataBytes: 3_200 },
];
