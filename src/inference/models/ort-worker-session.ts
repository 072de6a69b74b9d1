import type { Worker } from "node:worker_threads";
import type { Tensor } from "onnxruntime-node";
import { startModuleWorker } from "../worker-entry.js";
import { errorText, InferenceError } from "./inference-error.js";
import type { ModelSession } from "./model-session.js";
import {
  packTensors,
  unpackTensors,
  type OrtSessionSettings,
  type OrtWorkerData,
  type OrtWorkerReply,
  type OrtWorkerRequest,
  type WireTensors,
} from "./ort-worker-protocol.js";

export interface OrtWorkerSessionOptions {
  /** How long `release()` waits for the thread to free the model before terminating it anyway. */
  releaseTimeoutMs: number;
}

export const DEFAULT_ORT_WORKER_SESSION_OPTIONS: OrtWorkerSessionOptions = {
  releaseTimeoutMs: 5_000,
};

interface RunJob {
  id: number;
  feeds: WireTensors;
  transfer: ArrayBuffer[];
  resolve: (outputs: Record<string, Tensor>) => void;
  reject: (error: InferenceError) => void;
}

interface Deferred {
  resolve: () => void;
  reject: (error: InferenceError) => void;
}

const RELEASED = "the model session is released";

/**
 * A model session on its own worker thread (`ort-worker.ts`). Runs are serialised: one is in the thread at a time,
 * the rest wait here in order (the model would run them one after another anyway, and one run in flight keeps each
 * run's latency its own). The thread keeps the process alive only while it loads, runs or releases, so an idle
 * session holds a process no more than an in-thread one does.
 */
export class OrtWorkerSession implements ModelSession {
  readonly #worker: Worker;
  readonly #options: OrtWorkerSessionOptions;
  #names: { inputNames: readonly string[]; outputNames: readonly string[] } = { inputNames: [], outputNames: [] };
  #loading: Deferred | undefined;
  readonly #queue: RunJob[] = [];
  #inFlight: RunJob | undefined;
  #nextId = 1;
  /** Why runs are refused (released, failed to load, thread gone); undefined while usable. */
  #unavailable: string | undefined;
  #releasing: Promise<void> | undefined;
  /** Told when the run in flight settles, for `release()` to wait on it. */
  #onIdle: (() => void) | undefined;
  /** Told when the thread has freed the model (or is gone). */
  #onReleased: (() => void) | undefined;

  private constructor(worker: Worker, options: OrtWorkerSessionOptions) {
    this.#worker = worker;
    this.#options = options;
    worker.on("message", (reply: OrtWorkerReply) => this.#receive(reply));
    worker.on("error", (error) => this.#lost(`the model thread failed: ${errorText(error)}`));
    worker.on("exit", (code) => this.#lost(`the model thread exited (code ${code})`));
  }

  /** Starts the thread and loads the model there; rejects with `model_unavailable` when it cannot. */
  static async create(
    modelPath: string,
    settings: OrtSessionSettings,
    options: Partial<OrtWorkerSessionOptions> = {},
  ): Promise<OrtWorkerSession> {
    const workerData: OrtWorkerData = { modelPath, settings };
    let worker: Worker;
    try {
      worker = startModuleWorker(import.meta.url, "./ort-worker", { workerData });
    } catch (cause) {
      throw new InferenceError("model_unavailable", `could not start a model thread: ${errorText(cause)}`, { cause });
    }
    const session = new OrtWorkerSession(worker, { ...DEFAULT_ORT_WORKER_SESSION_OPTIONS, ...options });
    try {
      await new Promise<void>((resolve, reject) => (session.#loading = { resolve, reject }));
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    return session;
  }

  get inputNames(): readonly string[] {
    return this.#names.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.#names.outputNames;
  }

  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    if (this.#unavailable !== undefined || this.#releasing !== undefined) {
      return Promise.reject(new InferenceError("model_unavailable", this.#unavailable ?? RELEASED));
    }
    // Copied now: the caller may reuse its arrays as soon as this returns, and the copies' buffers can be moved.
    const { tensors, transfer } = packTensors(feeds, true);
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, feeds: tensors, transfer, resolve, reject });
      this.#pump();
    });
  }

  release(): Promise<void> {
    this.#releasing ??= this.#release();
    return this.#releasing;
  }

  async #release(): Promise<void> {
    for (const job of this.#queue.splice(0)) job.reject(new InferenceError("model_unavailable", RELEASED));
    if (this.#inFlight !== undefined) await new Promise<void>((resolve) => (this.#onIdle = resolve));
    if (this.#unavailable === undefined) {
      this.#worker.ref();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => {
          this.#onReleased = resolve;
          this.#post({ type: "release" });
        }),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#options.releaseTimeoutMs))),
      ]);
      clearTimeout(timer);
      this.#unavailable = RELEASED;
    }
    await this.#worker.terminate();
  }

  #pump(): void {
    if (this.#inFlight !== undefined) return;
    const job = this.#queue.shift();
    if (job === undefined) {
      this.#worker.unref();
      this.#onIdle?.();
      this.#onIdle = undefined;
      return;
    }
    this.#inFlight = job;
    this.#worker.ref();
    this.#post({ type: "run", id: job.id, feeds: job.feeds }, job.transfer);
  }

  #post(request: OrtWorkerRequest, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(request, transfer);
  }

  #receive(reply: OrtWorkerReply): void {
    switch (reply.type) {
      case "ready":
        this.#names = { inputNames: reply.inputNames, outputNames: reply.outputNames };
        this.#loading?.resolve();
        this.#loading = undefined;
        this.#worker.unref();
        return;
      case "load_failed":
        this.#lost(reply.message);
        return;
      case "released":
        this.#onReleased?.();
        this.#onReleased = undefined;
        return;
      case "result":
      case "run_failed": {
        const job = this.#inFlight;
        if (job === undefined || job.id !== reply.id) return;
        this.#inFlight = undefined;
        if (reply.type === "result") job.resolve(unpackTensors(reply.outputs));
        else job.reject(new InferenceError("internal", reply.message));
        this.#pump();
        return;
      }
    }
  }

  /**
   * The model is gone (it failed to load, or the thread died). A load waiting rejects with `model_unavailable`; the
   * run in progress fails as a run does (a retry may succeed on a reloaded model); later runs have no model.
   */
  #lost(reason: string): void {
    if (this.#unavailable !== undefined) return;
    this.#unavailable = reason;
    this.#loading?.reject(new InferenceError("model_unavailable", reason));
    this.#loading = undefined;
    const job = this.#inFlight;
    this.#inFlight = undefined;
    job?.reject(new InferenceError("internal", reason));
    for (const queued of this.#queue.splice(0)) queued.reject(new InferenceError("model_unavailable", reason));
    this.#onIdle?.();
    this.#onIdle = undefined;
    this.#onReleased?.();
    this.#onReleased = undefined;
  }
}
