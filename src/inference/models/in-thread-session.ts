import { InferenceSession, type Tensor } from "onnxruntime-node";
import { errorText, InferenceError } from "./inference-error.js";
import type { ModelSession } from "./model-session.js";
import type { OrtSessionSettings } from "./ort-worker-protocol.js";

/** A session on the calling thread: each run blocks this thread's event loop while the model executes. */
export class InThreadModelSession implements ModelSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly #session: InferenceSession;
  #released = false;

  private constructor(session: InferenceSession) {
    this.#session = session;
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
  }

  static async create(modelPath: string, settings: OrtSessionSettings): Promise<InThreadModelSession> {
    try {
      return new InThreadModelSession(await InferenceSession.create(modelPath, { ...settings }));
    } catch (cause) {
      throw new InferenceError("model_unavailable", errorText(cause), { cause });
    }
  }

  async run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    if (this.#released) throw new InferenceError("model_unavailable", "the model session is released");
    try {
      return await this.#session.run(feeds);
    } catch (cause) {
      throw new InferenceError("internal", errorText(cause), { cause });
    }
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.#session.release();
  }
}
