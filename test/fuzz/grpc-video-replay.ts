import type { VideoIn } from "../../src/inference/grpc/generated/engine/inference/v1/VideoIn.js";
import type { VideoOut__Output } from "../../src/inference/grpc/generated/engine/inference/v1/VideoOut.js";
import { POOL_ERROR_CODES } from "../../src/inference/pool-types.js";
import { bytesOf, textOf } from "./grpc-values.js";
import type { VideoStep } from "./grpc-video-surface.js";
import { jpegOf, verdictOf, type FrameVerdict, type PhotoBytes } from "./jpeg-specs.js";

/**
 * One StreamVideo entry's messages, and names for what the pool answers: `faces:<n>` (n faces found), `dropped`,
 * `closed`, `error:<code>`. Each frame written is remembered with what the contract says of it (`verdictOf`), so a
 * `faces` answer to a frame that must be refused, a face count other than the photo's, or `invalid_video` for a
 * good camera frame is named `wrong:...` (the test refuses it). Entries with raw bytes skip that check: a raw
 * message may carry a frame of its own under the same stream and seq.
 */

const POOL_CODES: readonly string[] = POOL_ERROR_CODES;
/** The pool's refusal of one frame's content names its seq (pool-video-session.ts, video-call.ts). */
const FRAME_REFUSAL = /^frame (\d+): /;
/** Every refusal of a frame (its content, its size, its seq, its stream not open) starts so. */
const FRAME_ERROR = /^(a )?frame /;

/** What a step sends: its messages (raw bytes as they are), or `cancel` (the call), or `settle` (waits). */
export type StepMessages<In> = "cancel" | "settle" | (In | Uint8Array)[];

/**
 * What a `settle` step writes first: a message the pool answers at once, in order, so its answer means every message
 * before it has been handled (the replayer then waits for the pool to be idle). Its answer is not an outcome.
 */
export interface Fence<In, Out> {
  message: In;
  answers(message: Out): boolean;
  /** Once everything before the fence is answered: a `wrong:` outcome when an answer is missing, else null. */
  settled(): string | null;
}

export interface VideoScript {
  messages(step: VideoStep): StepMessages<VideoIn>;
  outcome(message: VideoOut__Output): string;
  fence: Fence<VideoIn, VideoOut__Output>;
}

/** A close of a stream never opened: answered `unknown_stream` as soon as it arrives. */
const FENCE_ID = "replay-settle-fence";

const openOf = (streamId: string, sessionId = "session-1", participantId = "participant-1"): VideoIn => ({
  open: { stream_id: streamId, session_id: sessionId, participant_id: participantId },
});

export function videoScript(steps: readonly VideoStep[], photos: PhotoBytes): VideoScript {
  const checked = steps.every((step) => step.op !== "raw");
  /** What each frame sent must get, by stream and seq (several when a seq repeats). */
  const sent = new Map<string, FrameVerdict[]>();
  const keyOf = (streamId: string, seq: number) => `${streamId}\n${seq}`;
  /** Each frame gets one answer (`faces`, `dropped` or an error) while its call is open. */
  let framesSent = 0;
  let framesAnswered = 0;

  const facesOutcome = (streamId: string, seq: number, count: number): string => {
    const verdicts = sent.get(keyOf(streamId, seq));
    if (!checked) return `faces:${count}`;
    if (verdicts === undefined) return `wrong:faces_for_a_frame_never_sent:${seq}`;
    const fits = verdicts.some((v) => v.kind === "any" || (v.kind === "faces" && v.count === count));
    if (fits) return `faces:${count}`;
    return verdicts.every((v) => v.kind === "refused") ? `wrong:faces_for_a_refused_frame:${count}` : `wrong:faces:${count}_for_a_photo_with_other_count`;
  };
  const errorOutcome = (streamId: string, code: string, message: string): string => {
    if (!POOL_CODES.includes(code)) return `unstable:error:${code}`;
    const seq = FRAME_REFUSAL.exec(message)?.[1];
    const verdicts = seq === undefined ? undefined : sent.get(keyOf(streamId, Number(seq)));
    if (checked && code === "invalid_video" && verdicts !== undefined && verdicts.every((v) => v.kind === "faces")) {
      return `wrong:invalid_video_for_a_good_frame:${message.slice(0, 80)}`;
    }
    return `error:${code}`;
  };

  const message = (step: Exclude<VideoStep, { op: "opens" | "cancel" | "settle" }>): VideoIn | Uint8Array => {
      switch (step.op) {
        case "open":
          return openOf(textOf(step.stream_id), textOf(step.session_id), textOf(step.participant_id));
        case "frame": {
          const streamId = textOf(step.stream_id);
          const jpeg = jpegOf(step.jpeg, photos);
          const key = keyOf(streamId, step.seq);
          sent.set(key, [...(sent.get(key) ?? []), verdictOf(step.jpeg, jpeg)]);
          framesSent += 1;
          return { frame: { stream_id: streamId, seq: step.seq, jpeg, captured_at_ms: step.captured_at_ms } };
        }
        case "close":
          return { close: { stream_id: textOf(step.stream_id) } };
        case "empty":
          return {};
        case "raw":
          return bytesOf(step.bytes);
      }
  };
  return {
    messages(step) {
      if (step.op === "cancel" || step.op === "settle") return step.op;
      return step.op === "opens" ? Array.from({ length: step.count }, (_, i) => openOf(`${step.prefix}${i}`)) : [message(step)];
    },
    fence: {
      message: { close: { stream_id: FENCE_ID } },
      answers: (message) => message.error?.stream_id === FENCE_ID,
      settled: () => (!checked || framesAnswered === framesSent ? null : `wrong:${framesSent - framesAnswered}_of_${framesSent}_frames_unanswered`),
    },
    outcome(message) {
      if (message.faces || message.dropped || (message.error && FRAME_ERROR.test(message.error.message))) framesAnswered += 1;
      if (message.faces) return facesOutcome(message.faces.stream_id, message.faces.seq, message.faces.faces.length);
      if (message.error) return errorOutcome(message.error.stream_id, message.error.code, message.error.message);
      if (message.dropped) return "dropped";
      if (message.closed) return "closed";
      return "unstable:empty_output";
    },
  };
}
