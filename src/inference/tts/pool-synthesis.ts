import { AsrQueue, type AsrQueueStats } from "../asr/asr-queue.js";
import type { SynthesisOptions, SynthesisRequest, SynthesisResult } from "../pool-types.js";
import type { SynthesizedSpeech, TtsModel } from "../registry/model-module.js";
import { checkSynthesis } from "./synthesis-check.js";

export interface PoolSynthesisOptions {
  /** Utterances synthesized at once: the `tts` model's instances (its threads), so each finds a free one. */
  concurrency: number;
  /** Requests waiting for a thread; past it a request is refused `overloaded` (retryable: another pool can take it). */
  maxQueued: number;
  /** A request not started this long after it arrived is refused `deadline_exceeded` (a sooner call deadline wins). */
  deadlineMs: number;
}

export const DEFAULT_POOL_SYNTHESIS_OPTIONS: PoolSynthesisOptions = {
  concurrency: 1,
  // ≈ 70–140 ms each: 32 waiting is ≈ 2–4 s of work per thread, about the most a spoken reply can wait.
  maxQueued: 32,
  deadlineMs: 10_000,
};

/** A request as the pool serves it: the caller's signal, and its call's own deadline (absolute epoch ms). */
export interface PoolSynthesisCall extends SynthesisOptions {
  deadlineMs?: number;
}

/**
 * The pool's speech synthesis: each request checked (`invalid_text`) before it waits, then queued for the `tts`
 * model's threads behind a bounded queue (`overloaded`, `deadline_exceeded`), aborted work dropped (a cancelled gRPC
 * call's request never runs if still queued; its result is discarded if running). One sentence a request, unary:
 * eSpeak does not stream, so a caller splits a reply into sentences and sends them one after another.
 */
export class PoolSynthesis {
  readonly #model: () => Promise<TtsModel>;
  readonly #options: PoolSynthesisOptions;
  readonly #queue: AsrQueue<SynthesizedSpeech>;

  /** `model` resolves once the `tts` model is loaded and rejects `model_unavailable` when it is not (the registry's). */
  constructor(model: () => Promise<TtsModel>, options: Partial<PoolSynthesisOptions> = {}) {
    this.#model = model;
    this.#options = { ...DEFAULT_POOL_SYNTHESIS_OPTIONS, ...options };
    const { concurrency, maxQueued } = this.#options;
    this.#queue = new AsrQueue<SynthesizedSpeech>({ name: "speech synthesis", concurrency, maxQueued, liveEvictsFile: false });
  }

  async synthesize(request: SynthesisRequest, call: PoolSynthesisCall = {}): Promise<SynthesisResult> {
    const receivedMs = performance.now();
    // Text and rate first: a bad request is refused even while the model loads (or when it never will).
    checkSynthesis(request);
    const model = await this.#model();
    const utterance = checkSynthesis(request, model);
    const waitedMs = performance.now() - receivedMs;
    const deadlineMs = Math.min(Date.now() + this.#options.deadlineMs, call.deadlineMs ?? Number.POSITIVE_INFINITY);
    const job = await this.#queue.submit({
      // A reply's first sentence is what a listener waits for; its later ones are covered by the audio before them.
      priority: request.continuation === true ? "file" : "live",
      deadlineMs,
      signal: call.signal,
      run: () => model.synthesize(utterance),
    });
    const { pcm16, sampleRate, synthMs } = job.value;
    return {
      pcm16,
      sampleRate,
      durationMs: (pcm16.length / sampleRate) * 1000,
      timings: { queueMs: waitedMs + job.queueMs, synthMs, totalMs: performance.now() - receivedMs },
    };
  }

  stats(): AsrQueueStats {
    return this.#queue.stats();
  }

  /** Refuses what waits (`model_unavailable`) and resolves once the utterances running have ended. */
  close(): Promise<void> {
    return this.#queue.close();
  }
}
