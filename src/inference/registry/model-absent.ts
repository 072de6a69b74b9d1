import { PoolError } from "../pool-error.js";

/**
 * A model that is not there to load: an optional one whose files nobody has placed (the deepfake detector's ONNX
 * file in MODELS_DIR). `model_unavailable` like any failed load, so callers see the same code and message; the
 * registry can tell it from a broken model and report it as a fact of this installation (one info line naming
 * where the file would go), not as an error with a stack at every start.
 */
export class ModelAbsentError extends PoolError {
  constructor(message: string) {
    super("model_unavailable", message);
    this.name = "ModelAbsentError";
  }
}

export function isModelAbsent(error: unknown): error is ModelAbsentError {
  return error instanceof ModelAbsentError;
}
