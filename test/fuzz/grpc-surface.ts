import fc from "fast-check";
import { z } from "zod";
import type { AudioIn } from "../../src/inference/grpc/generated/engine/inference/v1/AudioIn.js";
import type { SynthesizeRequest } from "../../src/inference/grpc/generated/engine/inference/v1/SynthesizeRequest.js";
import { loadInferenceProto } from "../../src/inference/grpc/proto.js";
import type { FuzzSurface } from "./corpus.js";
import { authSpec, bytesSpec, exact, hostileId, MAX_SAFE, mediaStep, otherId, rawMessages, seq, textSpec, UINT32_MAX, wrongAuth, type BytesSpec, type TextSpec } from "./grpc-values.js";
import { hostileString, sampleSeeded } from "./hostile-values.js";
import { imageDraft, imageFuzzEntries } from "./grpc-image-surface.js";
import { videoDraft, videoFuzzEntry } from "./grpc-video-surface.js";

/**
 * The inference pool's gRPC service: StreamAudio step sequences (opens with bad rates and ids, chunks before open,
 * to unknown streams, giant, odd-sized, out of order; closes without open; AudioIn with nothing set; raw bytes that
 * are not protobuf; floods of opens; cancels mid-call), StreamVideo's (`grpc-video-surface.ts`), Transcribe with
 * hostile audio or raw bytes, Synthesize with text that looks like the synthesizer's options, empty or over 1,000
 * characters, odd voices and rates, or raw bytes, DetectFaces, EnhanceImage and DetectDeepfake with every kind of
 * image (`grpc-image-surface.ts`), GetStatus with garbage, and every RPC with a missing, wrong or malformed token.
 * Large values are stored as recipes.
 */

export const grpcStep = z.discriminatedUnion("op", [
  z.strictObject({
    op: z.literal("open"),
    stream_id: textSpec,
    session_id: textSpec,
    participant_id: textSpec,
    sample_rate: z.number().int().min(0).max(UINT32_MAX),
    tutor_id: textSpec,
    offset_ms: z.number().int().min(0).max(MAX_SAFE),
  }),
  z.strictObject({ op: z.literal("chunk"), stream_id: textSpec, seq: z.number().int().min(0).max(MAX_SAFE), pcm16: bytesSpec }),
  z.strictObject({ op: z.literal("close"), stream_id: textSpec }),
  /** An AudioIn with none of open, chunk, close. */
  z.strictObject({ op: z.literal("empty") }),
  /** Bytes sent as the message itself, not protobuf-encoded. */
  z.strictObject({ op: z.literal("raw"), bytes: bytesSpec }),
  /** `count` valid opens, `<prefix>0` … */
  z.strictObject({ op: z.literal("opens"), prefix: z.string().max(16), count: z.number().int().min(1).max(1_200) }),
  z.strictObject({ op: z.literal("cancel") }),
]);
export type GrpcStep = z.infer<typeof grpcStep>;

export const grpcFuzzEntry = z.discriminatedUnion("rpc", [
  z.strictObject({ id: z.string(), note: z.string(), rpc: z.literal("StreamAudio"), auth: authSpec, steps: z.array(grpcStep).max(32) }),
  videoFuzzEntry,
  z.strictObject({
    id: z.string(),
    note: z.string(),
    rpc: z.literal("Transcribe"),
    auth: authSpec,
    request: z.union([z.strictObject({ pcm16: bytesSpec, sample_rate: z.number().int().min(0).max(UINT32_MAX) }), z.strictObject({ raw: bytesSpec })]),
  }),
  z.strictObject({
    id: z.string(),
    note: z.string(),
    rpc: z.literal("Synthesize"),
    auth: authSpec,
    request: z.union([z.strictObject({ text: textSpec, voice: textSpec, rate_wpm: z.number().int().min(0).max(UINT32_MAX) }), z.strictObject({ raw: bytesSpec })]),
  }),
  ...imageFuzzEntries,
  z.strictObject({ id: z.string(), note: z.string(), rpc: z.literal("GetStatus"), auth: authSpec, raw: bytesSpec.optional() }),
]);
export type GrpcFuzzEntry = z.infer<typeof grpcFuzzEntry>;

// ---- Values -------------------------------------------------------------------------------------------------

const RATES = [8000, 16000, 24000, 48000] as const;
const rate = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...RATES) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 7_999, 11_025, 22_050, 44_100, 96_000, 2 ** 31, UINT32_MAX) },
  { weight: 1, arbitrary: fc.nat({ max: UINT32_MAX }) },
);

const pcm: fc.Arbitrary<BytesSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 16 }).chain((frames) => fc.uint8Array({ minLength: frames * 64, maxLength: frames * 64 })).map(exact) },
  { weight: 2, arbitrary: fc.constantFrom(640, 1_024, 65_536).map((length) => ({ fill: 0, length })) },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 99 }).filter((b) => b.byteLength % 2 === 1).map(exact) },
  { weight: 1, arbitrary: fc.constant(exact(new Uint8Array(0))) },
  // Over the 64 KiB chunk bound, up to 4 MiB.
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 65_537, max: 4 * 1024 * 1024 }), fc.nat({ max: 255 })).map(([length, fill]) => ({ fill, length })) },
);
const method = loadInferenceProto().engine.inference.v1.Inference.service.StreamAudio;
const encoded = (message: AudioIn) => new Uint8Array(method.requestSerialize(message));
const WELL_FORMED = [
  encoded({ open: { stream_id: "s1", session_id: "session-1", participant_id: "participant-1", sample_rate: 16_000, tutor_id: "", offset_ms: 0 } }),
  encoded({ chunk: { stream_id: "s1", seq: 1, pcm16: new Uint8Array(64) } }),
  encoded({ close: { stream_id: "s1" } }),
];
const raw = rawMessages(WELL_FORMED);

// ---- Steps and entries --------------------------------------------------------------------------------------

const open: fc.Arbitrary<GrpcStep> = fc
  .record({ stream_id: hostileId, session_id: otherId, participant_id: otherId, sample_rate: rate, tutor_id: fc.oneof(fc.constant(""), otherId), offset_ms: fc.oneof(fc.constant(0), fc.nat(), fc.constant(MAX_SAFE)) })
  .map((fields) => ({ op: "open", ...fields }));
const chunk: fc.Arbitrary<GrpcStep> = fc.record({ stream_id: hostileId, seq, pcm16: pcm }).map((fields) => ({ op: "chunk", ...fields }));
const step: fc.Arbitrary<GrpcStep> = mediaStep(open, chunk, raw, { open: 4, payload: 6 });

/** A valid open and a few valid chunks first, so the hostile steps after them hit a live stream. */
const validStart: fc.Arbitrary<GrpcStep[]> = fc.integer({ min: 1, max: 4 }).map((chunks) => [
  { op: "open", stream_id: "s1", session_id: "session-1", participant_id: "participant-1", sample_rate: 16_000, tutor_id: "", offset_ms: 0 },
  ...Array.from({ length: chunks }, (_, i): GrpcStep => ({ op: "chunk", stream_id: "s1", seq: i + 1, pcm16: { fill: 0, length: 640 } })),
]);

type Draft = Omit<GrpcFuzzEntry, "id">;
const auth = wrongAuth;

const streamSteps: fc.Arbitrary<Draft> = fc.array(step, { minLength: 1, maxLength: 12 }).map((steps) => ({ note: "hostile steps", rpc: "StreamAudio", auth: "token", steps }));
const mixedSequence: fc.Arbitrary<Draft> = fc
  .tuple(validStart, fc.array(step, { minLength: 1, maxLength: 12 }))
  .map(([start, rest]) => ({ note: "valid start, hostile tail", rpc: "StreamAudio", auth: "token", steps: [...start, ...rest] }));
const manyOpens: fc.Arbitrary<Draft> = fc
  .tuple(fc.integer({ min: 100, max: 1_200 }), fc.array(step, { maxLength: 4 }))
  .map(([count, rest]) => ({ note: "many opens", rpc: "StreamAudio", auth: "token", steps: [{ op: "opens", prefix: "m", count }, ...rest] }));
const unauthenticatedStream: fc.Arbitrary<Draft> = fc
  .tuple(auth, validStart)
  .map(([how, steps]) => ({ note: "stream without the token", rpc: "StreamAudio", auth: how, steps }));

const transcribePcm: fc.Arbitrary<BytesSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 1_024 }).map(exact) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 3, 32_000, 320_000).map((length) => ({ fill: 0, length })) },
);
const transcribe: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ pcm16: transcribePcm, sample_rate: rate }).map((request) => ({ note: "transcribe", rpc: "Transcribe" as const, auth: "token" as const, request })) },
  { weight: 3, arbitrary: raw.map((bytes) => ({ note: "transcribe raw bytes", rpc: "Transcribe" as const, auth: "token" as const, request: { raw: bytes } })) },
  // 10 minutes and 1 second at 8 kHz (9.6 MB each: a few are enough).
  {
    weight: 1,
    arbitrary: fc.constant({ note: "transcribe too long", rpc: "Transcribe" as const, auth: "token" as const, request: { pcm16: { fill: 0, length: 601 * 8_000 * 2 }, sample_rate: 8_000 } }),
  },
  {
    weight: 3,
    arbitrary: auth.map((how) => ({ note: "transcribe without the token", rpc: "Transcribe" as const, auth: how, request: { pcm16: { fill: 0, length: 3_200 }, sample_rate: 16_000 } })),
  },
);
/** Text eSpeak could read as its own options, markup or format strings; hostile strings; empty; at and over 1,000. */
const synthesisText: fc.Arbitrary<TextSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("Hello there.", "--help", "-v xx-yy hello", "-w /etc/passwd", "--stdin", "-f /dev/stdin", "-", "--", "-q -x", "<speak>hi</speak>", "%s%n%x") },
  { weight: 2, arbitrary: hostileString.filter((text) => text.length <= 200) },
  { weight: 1, arbitrary: fc.constantFrom(999, 1_000, 1_001, 100_000).map((times) => ({ repeat: "a1", times: Math.ceil(times / 2) })) },
  { weight: 1, arbitrary: fc.constantFrom("", "   ", "\n\t") },
);
const synthesisVoice: fc.Arbitrary<TextSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("", "en-us", "en-gb", "en-gb-x-rp", "en-us+f3") },
  { weight: 2, arbitrary: fc.constantFrom("xx-yy", "en-us+nope", "EN-US", "-v", "--voices", "../espeak-ng-data/voices", "en-us -s 900", "en-us+f3+m1", "mb-en1") },
  { weight: 1, arbitrary: hostileString.filter((voice) => voice.length <= 64) },
  { weight: 1, arbitrary: fc.constantFrom(49, 100_000).map((times) => ({ repeat: "e", times })) },
);
const synthesisRate = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0, 80, 175, 450) },
  { weight: 2, arbitrary: fc.constantFrom(1, 79, 451, 2 ** 31, UINT32_MAX) },
  { weight: 1, arbitrary: fc.nat({ max: UINT32_MAX }) },
);
const synthesizeMethod = loadInferenceProto().engine.inference.v1.Inference.service.Synthesize;
const encodedSynthesis = (message: SynthesizeRequest) => new Uint8Array(synthesizeMethod.requestSerialize(message));
const synthesisRaw = rawMessages([encodedSynthesis({ text: "Hello there.", voice: "en-us", rate_wpm: 175 })]);
const synthesize: fc.Arbitrary<Draft> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({ text: synthesisText, voice: synthesisVoice, rate_wpm: synthesisRate })
      .map((request) => ({ note: "synthesize", rpc: "Synthesize" as const, auth: "token" as const, request })),
  },
  { weight: 2, arbitrary: synthesisRaw.map((bytes) => ({ note: "synthesize raw bytes", rpc: "Synthesize" as const, auth: "token" as const, request: { raw: bytes } })) },
  {
    weight: 1,
    arbitrary: auth.map((how) => ({ note: "synthesize without the token", rpc: "Synthesize" as const, auth: how, request: { text: "Hello there.", voice: "", rate_wpm: 0 } })),
  },
);
const status: fc.Arbitrary<Draft> = fc.oneof(
  raw.map((bytes) => ({ note: "status raw bytes", rpc: "GetStatus" as const, auth: "token" as const, raw: bytes })),
  auth.map((how) => ({ note: "status without the token", rpc: "GetStatus" as const, auth: how })),
);

const draft: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 10, arbitrary: streamSteps },
  { weight: 8, arbitrary: mixedSequence },
  { weight: 1, arbitrary: manyOpens },
  { weight: 2, arbitrary: unauthenticatedStream },
  { weight: 3, arbitrary: transcribe },
  { weight: 2, arbitrary: synthesize },
  { weight: 1, arbitrary: status },
  { weight: 8, arbitrary: videoDraft },
  { weight: 16, arbitrary: imageDraft },
);

export const grpcSurface: FuzzSurface<GrpcFuzzEntry> = {
  name: "grpc",
  entry: grpcFuzzEntry,
  generate(seed, count) {
    return sampleSeeded(draft, seed, count).map((entry, index) => grpcFuzzEntry.parse({ id: `grpc-${index}`, ...entry }));
  },
};
