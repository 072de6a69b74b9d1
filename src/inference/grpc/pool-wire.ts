import { status as grpcStatus, type ServiceError } from "@grpc/grpc-js";
import { ERROR_TABLE } from "../../protocol/error-codes.js";
import { PoolError } from "../pool-error.js";
import {
  AUDIO_STAGES,
  isAudioStage,
  poolErrorCodeOf,
  SUPPORTED_SAMPLE_RATES,
  type AudioStage,
  type PoolErrorCode,
  type PoolOutput,
  type SampleRate,
  type StreamOpen,
  type StreamVad,
  STREAM_VAD_LIMITS,
} from "../pool-types.js";
import type { AudioOut } from "./generated/engine/inference/v1/AudioOut.js";
import type { StreamOpen as WireStreamOpen, StreamOpen__Output } from "./generated/engine/inference/v1/StreamOpen.js";
import type { StreamVad__Output } from "./generated/engine/inference/v1/StreamVad.js";

/**
 * The wire forms of the pool's audio vocabulary: a stream's open both ways (the engine's link writes it, the server
 * reads it), pool outputs and errors in their protobuf and gRPC forms (statuses: status-wire.ts).
 */

/** The engine's side: a stream's open, its first sample at `offsetMs` (whole milliseconds) of its timeline. */
export function openToWire(open: StreamOpen, offsetMs: number): WireStreamOpen {
  return {
    stream_id: open.streamId,
    session_id: open.sessionId,
    participant_id: open.participantId,
    sample_rate: open.sampleRate,
    tutor_id: open.tutorId ?? "",
    offset_ms: offsetMs,
    stages: [...(open.stages ?? [])],
    ...(open.vad === undefined ? {} : { vad: { speech_threshold: open.vad.speechThreshold ?? 0, end_of_turn_silence_ms: open.vad.endOfTurnSilenceMs ?? 0 } }),
  };
}

/** A wire open's turn-taking settings (0 = unset), or why they are refused. */
export function vadFromWire(vad: StreamVad__Output | null): { vad: StreamVad | undefined } | { refused: string } {
  if (vad === null) return { vad: undefined };
  const { speechThreshold: threshold, endOfTurnSilenceMs: silence } = STREAM_VAD_LIMITS;
  const out: StreamVad = {};
  if (vad.speech_threshold !== 0) {
    if (!(vad.speech_threshold >= threshold.min && vad.speech_threshold <= threshold.max)) {
      return { refused: `vad.speech_threshold must be from ${threshold.min} to ${threshold.max}` };
    }
    out.speechThreshold = vad.speech_threshold;
  }
  if (vad.end_of_turn_silence_ms !== 0) {
    if (vad.end_of_turn_silence_ms < silence.min || vad.end_of_turn_silence_ms > silence.max) {
      return { refused: `vad.end_of_turn_silence_ms must be from ${silence.min} to ${silence.max}` };
    }
    out.endOfTurnSilenceMs = vad.end_of_turn_silence_ms;
  }
  return { vad: out };
}

/** The server's side, once its ids, offset and rate are checked; stages as `stagesFromWire` read them. */
export function openFromWire(open: StreamOpen__Output, sampleRate: SampleRate, stages: readonly AudioStage[], vad?: StreamVad): StreamOpen {
  return {
    streamId: open.stream_id,
    sessionId: open.session_id,
    participantId: open.participant_id,
    sampleRate,
    offsetMs: open.offset_ms,
    ...(open.tutor_id === "" ? {} : { tutorId: open.tutor_id }),
    ...(stages.length === 0 ? {} : { stages }),
    ...(vad === undefined ? {} : { vad }),
  };
}

/** The stages a wire open asks for, each once; or why not: names this pool does not know. */
export function stagesFromWire(names: readonly string[]): { stages: AudioStage[] } | { refused: string } {
  const unknown = [...new Set(names.filter((name) => !isAudioStage(name)))];
  if (unknown.length > 0) {
    const listed = unknown.slice(0, 4).map((name) => `"${name.slice(0, 32)}"`).join(", ");
    return { refused: `this pool has no stage ${listed}${unknown.length > 4 ? ", …" : ""} (it has: ${AUDIO_STAGES.join(", ")})` };
  }
  return { stages: AUDIO_STAGES.filter((stage) => names.includes(stage)) };
}

export function toWire(output: PoolOutput): AudioOut {
  switch (output.kind) {
    case "speech":
      return { speech: { stream_id: output.streamId, kind: output.event === "started" ? "STARTED" : "ENDED", at_ms: output.atMs } };
    case "transcript":
      return {
        transcript: {
          stream_id: output.streamId,
          segment_id: output.segmentId,
          text: output.text,
          start_ms: output.startMs,
          end_ms: output.endMs,
          final: output.final,
          timings: { queue_ms: output.timings.queueMs, asr_ms: output.timings.asrMs, total_ms: output.timings.totalMs },
        },
      };
    case "error":
      return { error: { stream_id: output.streamId, code: output.code, message: output.message, segment_id: output.segmentId ?? "" } };
    case "closed":
      return { closed: { stream_id: output.streamId } };
  }
}

export function isSampleRate(value: number): value is SampleRate {
  return (SUPPORTED_SAMPLE_RATES as readonly number[]).includes(value);
}

/** A gRPC error whose details carry the pool's stable code (`<code>: <message>`); the client maps it back by code. */
export function serviceError(code: PoolErrorCode, message: string): Partial<ServiceError> {
  const name = "grpc" in ERROR_TABLE[code] ? ERROR_TABLE[code].grpc : "INTERNAL";
  return { code: grpcStatus[name], details: `${code}: ${message}` };
}

export function toServiceError(error: unknown): Partial<ServiceError> {
  const code = error instanceof PoolError ? error.code : poolErrorCodeOf(error);
  return serviceError(code, error instanceof Error ? error.message : "internal error");
}
