import { status as grpcStatus, type ServiceError } from "@grpc/grpc-js";
import { ERROR_TABLE } from "../../protocol/error-codes.js";
import { PoolError } from "../pool-error.js";
import { poolErrorCodeOf, SUPPORTED_SAMPLE_RATES, type PoolErrorCode, type PoolOutput, type SampleRate } from "../pool-types.js";
import type { AudioOut } from "./generated/engine/inference/v1/AudioOut.js";

/** The server's side of the wire: pool outputs and errors in their protobuf and gRPC forms (statuses: status-wire.ts). */

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
      return { error: { stream_id: output.streamId, code: output.code, message: output.message } };
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
