import type { Response } from "express";
import { EngineError, type ApiErrorCode } from "../errors.js";
import { AudioError } from "../inference/audio/audio-error.js";
import { isAborted } from "../inference/pool-error.js";
import { poolErrorCodeOf } from "../inference/pool-types.js";

/** Pool codes a transcription answers with as they are; anything else is `internal`. */
const TRANSCRIPTION_CODES: readonly ApiErrorCode[] = ["invalid_audio", "recording_too_long", "model_unavailable", "overloaded", "deadline_exceeded"];
/** Pool codes a still-image call answers with as they are. */
const IMAGE_CODES: readonly ApiErrorCode[] = ["invalid_image", "model_unavailable", "overloaded", "deadline_exceeded"];

/**
 * A pool call's failure as an API error: the pool's stable code when it is one of `passed`, with the pool's message
 * (it names the limit or the model); anything else is `internal`. An abort (the client went away) is no failure of
 * the engine: it becomes `deadline_exceeded`, which nobody reads, instead of an `internal` logged with a stack.
 */
function poolCallError(error: unknown, passed: readonly ApiErrorCode[], what: string): EngineError {
  if (error instanceof EngineError) return error;
  if (isAborted(error)) return new EngineError("deadline_exceeded", `the client closed the request before the ${what} finished`, { cause: error });
  const code = error instanceof AudioError ? "invalid_audio" : poolErrorCodeOf(error);
  const message = error instanceof Error ? error.message : `${what} failed`;
  const known = passed.find((candidate) => candidate === code);
  return new EngineError(known ?? "internal", message, { cause: error });
}

export function transcriptionError(error: unknown): EngineError {
  return poolCallError(error, TRANSCRIPTION_CODES, "transcription");
}

export function imageCallError(error: unknown): EngineError {
  return poolCallError(error, IMAGE_CODES, "image analysis");
}

/** Aborted when the client goes before its answer is sent: the pool (or the model) drops work nobody would read. */
export function closedSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
