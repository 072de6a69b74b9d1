import type { Logger } from "../../logger.js";
import { asUnavailable } from "../pool-error.js";
import { dynamicBatcherServing } from "../pool-status.js";
import type { ModelRegistry } from "../registry/model-registry.js";
import { FacePipeline, type FacePipelineOptions } from "./face-pipeline.js";

/** The longest a due batch of frames waits for queued live speech, and how often it looks again. */
const YIELD_TO_SPEECH = { maxHoldMs: 1_000, recheckMs: 20 } as const;

/**
 * The pool's face pipeline, made once both face models are loaded (rejects `model_unavailable` when either is not).
 * Live speech goes first: while `speechQueued()` says utterances wait for Whisper, a due batch of frames is held
 * (keep-newest keeps replacing its frames). One batcher serves both models: a batch is the detector's run, then the
 * expression model's, so both report its statistics.
 */
export async function loadPoolFacePipeline(
  registry: ModelRegistry,
  options: Partial<FacePipelineOptions>,
  logger: Logger,
  speechQueued: () => boolean,
): Promise<FacePipeline> {
  const [detect, expression] = await Promise.all([registry.whenLoaded("face_detect"), registry.whenLoaded("face_expression")]).catch(
    (error: unknown) => Promise.reject(asUnavailable(error)),
  );
  const batcher = { yieldTo: { busy: speechQueued, ...YIELD_TO_SPEECH }, ...options.batcher };
  const pipeline = new FacePipeline(detect, expression, logger, { ...options, batcher });
  registry.attach("face_detect", () => dynamicBatcherServing(pipeline.stats()));
  registry.attach("face_expression", () => dynamicBatcherServing(pipeline.stats()));
  return pipeline;
}
