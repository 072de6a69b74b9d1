import fc from "fast-check";
import { z } from "zod";
import type { AudioIn } from "../../src/inference/grpc/generated/engine/inference/v1/AudioIn.js";
import type { VideoIn } from "../../src/inference/grpc/generated/engine/inference/v1/VideoIn.js";
import { loadInferenceProto } from "../../src/inference/grpc/proto.js";
import { authSpec, bytesSpec, hostileId, MAX_SAFE, mediaStep, otherId, rawMessages, seq, textSpec, wrongAuth, type TextSpec } from "./grpc-values.js";
import { goodJpeg, gradientJpeg, hostileJpeg, jpegSpec, type JpegSpec } from "./jpeg-specs.js";

/**
 * StreamVideo step sequences: opens with ids empty, over their bounds or of odd characters; frames before open, for
 * unopened or closed streams, with seq going back, carrying every kind of hostile JPEG (`jpeg-specs.ts`); closes
 * twice; VideoIn with nothing set; raw bytes (undecodable, cut short, AudioIn sent to the video call, uint64 fields
 * at 2^64 − 1); hundreds of opens past the call's 128 streams; cancels mid-call. A valid start (the face photo, as
 * a camera sends it) puts many of the hostile steps on a live stream.
 */

export const videoStep = z.discriminatedUnion("op", [
  z.strictObject({ op: z.literal("open"), stream_id: textSpec, session_id: textSpec, participant_id: textSpec }),
  z.strictObject({
    op: z.literal("frame"),
    stream_id: textSpec,
    seq: z.number().int().min(0).max(MAX_SAFE),
    jpeg: jpegSpec,
    captured_at_ms: z.number().int().min(0).max(MAX_SAFE),
  }),
  z.strictObject({ op: z.literal("close"), stream_id: textSpec }),
  /** A VideoIn with none of open, frame, close. */
  z.strictObject({ op: z.literal("empty") }),
  /** Bytes sent as the message itself, not protobuf-encoded. */
  z.strictObject({ op: z.literal("raw"), bytes: bytesSpec }),
  /** `count` valid opens, `<prefix>0` … */
  z.strictObject({ op: z.literal("opens"), prefix: z.string().max(16), count: z.number().int().min(1).max(1_200) }),
  z.strictObject({ op: z.literal("cancel") }),
  /** Waits until the pool has answered every frame sent so far (its face pipeline idle), the call still open. */
  z.strictObject({ op: z.literal("settle") }),
]);
export type VideoStep = z.infer<typeof videoStep>;

export const videoFuzzEntry = z.strictObject({ id: z.string(), note: z.string(), rpc: z.literal("StreamVideo"), auth: authSpec, steps: z.array(videoStep).max(32) });
export type VideoFuzzEntry = z.infer<typeof videoFuzzEntry>;
type Draft = Omit<VideoFuzzEntry, "id">;

// ---- Raw messages -------------------------------------------------------------------------------------------

const service = loadInferenceProto().engine.inference.v1.Inference.service;
const video = (message: VideoIn) => new Uint8Array(service.StreamVideo.requestSerialize(message));
const audio = (message: AudioIn) => new Uint8Array(service.StreamAudio.requestSerialize(message));
/** A 16×16 gradient (jpeg-js, 671 bytes), small enough to repeat in the corpus inside raw protobuf. */
const TINY_JPEG = gradientJpeg(16, 16, 75);

/** A protobuf varint of a bigint (uint64 fields past what a JavaScript number holds). */
function varint(value: bigint): number[] {
  const bytes: number[] = [];
  let rest = value;
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    bytes.push(rest === 0n ? low : low | 0x80);
  } while (rest !== 0n);
  return bytes;
}
const delimited = (field: number, body: readonly number[] | Uint8Array) => [(field << 3) | 2, ...varint(BigInt(body.length)), ...body];
/** VideoIn{frame{stream_id "s1", seq, jpeg, captured_at_ms}} with the uint64 fields as given. */
function frameWith(seqValue: bigint, capturedAt: bigint): Uint8Array {
  const body = [...delimited(1, [...new TextEncoder().encode("s1")]), 0x10, ...varint(seqValue), ...delimited(3, TINY_JPEG), 0x20, ...varint(capturedAt)];
  return Uint8Array.from(delimited(2, body));
}
const UINT64_MAX = 2n ** 64n - 1n;

const OPEN = video({ open: { stream_id: "s1", session_id: "session-1", participant_id: "participant-1" } });
const CLOSE = video({ close: { stream_id: "s1" } });
const WELL_FORMED = [OPEN, video({ frame: { stream_id: "s1", seq: 1, jpeg: TINY_JPEG, captured_at_ms: 500 } }), CLOSE];
const ODDITIES = [
  // StreamAudio's messages on the video call: an AudioChunk reads as a VideoFrame whose jpeg is the PCM.
  audio({ open: { stream_id: "s1", session_id: "session-1", participant_id: "participant-1", sample_rate: 16_000, tutor_id: "", offset_ms: 0 } }),
  audio({ chunk: { stream_id: "s1", seq: 90, pcm16: new Uint8Array(640) } }),
  frameWith(UINT64_MAX, UINT64_MAX),
  frameWith(2n ** 53n + 1n, 2n ** 63n),
  frameWith(91n, UINT64_MAX),
  // A frame whose jpeg field is a varint; an open whose stream_id holds a nested message's bytes.
  Uint8Array.from(delimited(2, [...delimited(1, [0x73, 0x31]), 0x18, 0x05])),
  Uint8Array.from(delimited(1, delimited(1, [0x08, 0x01]))),
  // Two oneof members in one message: protobuf keeps the last.
  Uint8Array.from([...OPEN, ...CLOSE]),
];
const raw = rawMessages(WELL_FORMED, ODDITIES);

// ---- Steps and entries --------------------------------------------------------------------------------------

const participantId: fc.Arbitrary<TextSpec> = fc.oneof({ weight: 9, arbitrary: otherId }, { weight: 1, arbitrary: fc.constant("") });
const capturedAt = fc.oneof(fc.nat({ max: 3_600_000 }), fc.constant(0), fc.constant(MAX_SAFE));
const open: fc.Arbitrary<VideoStep> = fc
  .record({ stream_id: hostileId, session_id: participantId, participant_id: participantId })
  .map((fields) => ({ op: "open", ...fields }));
const frame: fc.Arbitrary<VideoStep> = fc.record({ stream_id: hostileId, seq, jpeg: hostileJpeg, captured_at_ms: capturedAt }).map((fields) => ({ op: "frame", ...fields }));
const step: fc.Arbitrary<VideoStep> = mediaStep(open, frame, raw, { open: 3, payload: 7 });
const steps = (min: number, max: number) => fc.array(step, { minLength: min, maxLength: max });

const goodFrame = (streamId: string, n: number, jpeg: JpegSpec): VideoStep => ({ op: "frame", stream_id: streamId, seq: n, jpeg, captured_at_ms: n * 500 });
/** A valid open of s1 and 1–3 camera frames (seq 1…n), as a room's camera sends them. */
const validStart: fc.Arbitrary<VideoStep[]> = fc.array(goodJpeg, { minLength: 1, maxLength: 3 }).map((jpegs) => [
  { op: "open", stream_id: "s1", session_id: "session-1", participant_id: "participant-1" },
  ...jpegs.map((jpeg, i) => goodFrame("s1", i + 1, jpeg)),
]);
const lastSeq = (start: readonly VideoStep[]) => start.length - 1;

const SETTLE: VideoStep = { op: "settle" };
/** Mostly a `settle` (the frames before it answered, the call still open), sometimes none (ended with frames in flight). */
const maybeSettle: fc.Arbitrary<VideoStep[]> = fc.oneof({ weight: 3, arbitrary: fc.constant<VideoStep[]>([SETTLE]) }, { weight: 1, arbitrary: fc.constant<VideoStep[]>([]) });
const draft = (note: string, parts: readonly VideoStep[][]): Draft => ({ note: `video: ${note}`, rpc: "StreamVideo", auth: "token", steps: parts.flat() });

const hostileSteps: fc.Arbitrary<Draft> = fc.tuple(steps(1, 12), maybeSettle).map((parts) => draft("hostile steps", parts));
/** The tail hits a stream whose frames are in analysis, or (after a settle) answered. */
const mixedSequence: fc.Arbitrary<Draft> = fc.tuple(validStart, maybeSettle, steps(1, 12), maybeSettle).map((parts) => draft("valid start, hostile tail", parts));
/** A frame whose seq repeats or goes back, then one that follows again. */
const seqBack: fc.Arbitrary<Draft> = fc
  .tuple(validStart, maybeSettle, fc.nat(), goodJpeg)
  .map(([start, settle, back, jpeg]) => draft("seq going back", [start, settle, [goodFrame("s1", back % (lastSeq(start) + 1), jpeg), goodFrame("s1", lastSeq(start) + 1, jpeg), SETTLE]]));
/** Closed twice, then a frame for the closed stream, then the id opened again. */
const closeTwice: fc.Arbitrary<Draft> = fc.tuple(validStart, goodJpeg, steps(0, 4)).map(([start, jpeg, rest]) =>
  draft("closed twice", [
    start,
    [{ op: "close", stream_id: "s1" }, { op: "close", stream_id: "s1" }, goodFrame("s1", lastSeq(start) + 1, jpeg)],
    [{ op: "open", stream_id: "s1", session_id: "session-1", participant_id: "participant-1" }, goodFrame("s1", 1, jpeg)],
    rest,
    [SETTLE],
  ]),
);
/** Past the call's 128 streams: a frame for the first (open) and the last (refused) of them. */
const manyOpens: fc.Arbitrary<Draft> = fc.tuple(fc.integer({ min: 129, max: 1_200 }), goodJpeg, steps(0, 4)).map(([count, jpeg, rest]) =>
  draft("many opens", [[{ op: "opens", prefix: "m", count }, goodFrame("m0", 1, jpeg), goodFrame(`m${count - 1}`, 1, jpeg)], rest, [SETTLE]]),
);
const unauthenticated: fc.Arbitrary<Draft> = fc
  .tuple(wrongAuth, validStart)
  .map(([how, start]) => ({ note: "video: stream without the token", rpc: "StreamVideo", auth: how, steps: start }));

export const videoDraft: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 4, arbitrary: hostileSteps },
  { weight: 4, arbitrary: mixedSequence },
  { weight: 1, arbitrary: seqBack },
  { weight: 1, arbitrary: closeTwice },
  { weight: 1, arbitrary: manyOpens },
  { weight: 1, arbitrary: unauthenticated },
);
