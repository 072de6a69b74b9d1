import type { Tensor } from "onnxruntime-node";
import { InThreadModelSession } from "./in-thread-session.js";
import { errorText, InferenceError } from "./inference-error.js";
import { executionProvidersFor, type ExecutionDevice } from "./model-files.js";
import type { OrtSessionSettings } from "./ort-worker-protocol.js";
import { OrtWorkerSession } from "./ort-worker-session.js";

/**
 * One loaded ONNX model. onnxruntime-node runs a model synchronously on the thread that calls `run`, so where the
 * session lives decides which event loop stalls for the length of every run:
 * - "worker": a thread of its own (`OrtWorkerSession`); the caller's loop keeps serving I/O meanwhile. The default.
 * - "current": the calling thread (`InThreadModelSession`); no thread hop, the loop waits. For baselines and tools.
 */
export type ModelThread = "worker" | "current";

export interface ModelSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs the model once. Feeds are neither modified nor retained. Rejects with an `InferenceError`: `internal`
   * (retryable) when the run fails, `model_unavailable` once the session is released or its thread is gone.
   */
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  /** Frees the model; runs still waiting reject, the one in progress completes first. */
  release(): Promise<void>;
}

export type { OrtSessionSettings };

/** Loads `modelPath`; rejects with `InferenceError("model_unavailable")` when it cannot. */
/** What a model's options say about its session: device, threads, log level; one inter-op thread, as every model runs. */
export interface SessionChoice {
  device: ExecutionDevice;
  intraOpNumThreads: number;
  logSeverityLevel: OrtSessionSettings["logSeverityLevel"];
}

export function sessionSettingsFor(choice: SessionChoice): OrtSessionSettings {
  return { executionProviders: executionProvidersFor(choice.device), intraOpNumThreads: choice.intraOpNumThreads, interOpNumThreads: 1, logSeverityLevel: choice.logSeverityLevel };
}

export function openModelSession(
  modelPath: string,
  settings: OrtSessionSettings,
  thread: ModelThread,
): Promise<ModelSession> {
  return thread === "worker"
    ? OrtWorkerSession.create(modelPath, settings)
    : InThreadModelSession.create(modelPath, settings);
}

/**
 * A run failure as a model reports it: the session's code and retryability kept (a released session stays
 * `model_unavailable`), the message prefixed with what was running.
 */
export function modelRunError(what: string, cause: unknown): InferenceError {
  const code = cause instanceof InferenceError ? cause.code : "internal";
  return new InferenceError(code, `${what} failed: ${errorText(cause)}`, { cause });
}
