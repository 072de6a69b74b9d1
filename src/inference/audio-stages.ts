import type { Logger } from "../logger.js";
import { asUnavailable, PoolError } from "./pool-error.js";
import type { StreamStatesView } from "./pool-service.js";
import { MODEL_SAMPLE_RATE, type AudioStage } from "./pool-types.js";
import type { DenoiseModel, DenoiseStream } from "./registry/model-module.js";
import { BucketCounts, RUN_MS_BOUNDS, type BatchSizeBucket } from "./vad/bucket-counts.js";

/**
 * The optional stages of a stream, before its VAD: what it asked for at open (`StreamOpen.stages`), each a registry
 * model with one state per stream. Today that is `denoise` (RNNoise). A stream's state is opened with its first audio
 * once the model is in, and freed when the stream closes (the call's end closes every stream it had), when it idles,
 * and when the pool closes: never shared, never left behind.
 */

export interface AudioStagesOptions {
  /** A stream sending nothing this long has its state freed (its held-back output kept); its next audio opens a fresh one. */
  idleTimeoutMs: number;
  /** Audio a stream may have waiting while its stage's model still loads; past it chunks are refused `overloaded`. */
  maxHeldMs: number;
}

export const DEFAULT_AUDIO_STAGES_OPTIONS: AudioStagesOptions = { idleTimeoutMs: 60_000, maxHeldMs: 30_000 };

/** Where the stages' models come from (the pool's registry); each rejects with `model_unavailable` when not loaded. */
export interface StageModels {
  denoise(): Promise<DenoiseModel>;
}

export interface AudioStagesStats {
  /** Runs of one stream's chunk (or flush) through its state, and their time. */
  runs: number;
  runMsTotal: number;
  runMs: BatchSizeBucket[];
  /** 16 kHz samples in. */
  samples: number;
  /** Chunks waiting for a model that still loads. */
  heldChunks: number;
  rejectedOverloaded: number;
  states: StreamStatesView;
}

type FreedBy = "close" | "idle";

/** What every stream's stages count into (one per pool). */
class StageCounters {
  runs = 0;
  runMsTotal = 0;
  readonly runMs = new BucketCounts(RUN_MS_BOUNDS);
  samples = 0;
  rejectedOverloaded = 0;
  opened = 0;
  freed: Record<FreedBy, number> = { close: 0, idle: 0 };

  ran(samples: number, ms: number): void {
    this.runs += 1;
    this.samples += samples;
    this.runMsTotal += ms;
    this.runMs.observe(ms);
  }
}

const EMPTY = new Float32Array(0);

function asPoolError(error: unknown): PoolError {
  return error instanceof PoolError ? error : new PoolError("internal", error instanceof Error ? error.message : String(error), { cause: error });
}

function concatAll(parts: readonly Float32Array[]): Float32Array {
  const nonEmpty = parts.filter((p) => p.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? EMPTY;
  const out = new Float32Array(nonEmpty.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of nonEmpty) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * One stream's stages. `process` takes its 16 kHz audio in order and returns what is ready for the VAD (aligned:
 * sample i out is sample i in, so the VAD's times are unchanged); `end` takes the last audio and returns the rest.
 * While the model loads, audio is held (`holding`): the pool calls `release` once `ready` settles, to get it
 * denoised, or to drop it when the model is unavailable (`ready` then says why: the stream is refused).
 */
export class StreamStages {
  /** Settles once the model is in (null) or is not (`model_unavailable`); never rejects. */
  readonly ready: Promise<PoolError | null>;
  readonly #counters: StageCounters;
  readonly #maxHeldSamples: number;
  readonly #report: (error: PoolError) => void;
  readonly #done: () => void;
  #model: DenoiseModel | null = null;
  #state: "loading" | "ready" | "done" = "loading";
  #denoiser: DenoiseStream | null = null;
  #held: Float32Array[] = [];
  #heldSamples = 0;
  /** `end` came while the model loaded: `release` finishes the stream. */
  #ending = false;
  /** Output of a state freed while idle, handed out before the next audio's. */
  #tail: Float32Array = EMPTY;
  #lastUsedMs = performance.now();

  constructor(
    model: Promise<DenoiseModel>,
    counters: StageCounters,
    maxHeldSamples: number,
    report: (error: PoolError) => void,
    done: () => void,
  ) {
    this.#counters = counters;
    this.#maxHeldSamples = maxHeldSamples;
    this.#report = report;
    this.#done = done;
    this.ready = model.then(
      (loaded) => {
        this.#model = loaded;
        return null;
      },
      (error: unknown) => asUnavailable(error),
    );
  }

  /** Audio is waiting for the model: the stream is not finished while this holds. */
  get holding(): boolean {
    return this.#state === "loading";
  }

  get heldChunks(): number {
    return this.#held.length;
  }

  /**
   * The stream's next audio; never throws. A chunk refused (`overloaded`: held audio full) or failed (`internal`)
   * is reported and gives nothing: the stream goes on with its next.
   */
  process(samples: Float32Array): Float32Array {
    try {
      if (this.#state === "ready") return this.#run(samples);
      if (this.#state === "loading") this.#hold(samples, true);
    } catch (error) {
      this.#report(asPoolError(error));
    }
    return EMPTY;
  }

  /** The stream's last audio: returns the rest of its output and frees its state. Never throws. */
  end(samples: Float32Array): Float32Array {
    if (this.#state === "loading") {
      this.#hold(samples, false);
      this.#ending = true;
      return EMPTY;
    }
    if (this.#state !== "ready") return EMPTY;
    try {
      const body = samples.length > 0 ? this.#run(samples) : this.#withTail(EMPTY);
      const denoiser = this.#denoiser;
      return denoiser === null ? body : concatAll([body, this.#timed(0, () => denoiser.flush())]);
    } catch (error) {
      // A failing stage loses the stream's last few ms of audio, never its close.
      this.#report(asPoolError(error));
      return EMPTY;
    } finally {
      this.close();
    }
  }

  /** After `ready` settled: the held audio through the stage (or dropped: the stream is refused). */
  release(): Float32Array {
    if (this.#state !== "loading") return EMPTY;
    const held = this.#held;
    this.#held = [];
    this.#heldSamples = 0;
    if (this.#model === null) {
      this.close();
      return EMPTY;
    }
    this.#state = "ready";
    const out: Float32Array[] = [];
    for (const chunk of held) out.push(this.process(chunk));
    if (this.#ending) out.push(this.end(EMPTY));
    return concatAll(out);
  }

  /** Frees the state if the stream has sent nothing since `cutoffMs` (its held-back output is kept for later). */
  freeIfIdle(cutoffMs: number): boolean {
    const denoiser = this.#denoiser;
    if (this.#state !== "ready" || denoiser === null || this.#lastUsedMs >= cutoffMs) return false;
    try {
      this.#tail = concatAll([this.#tail, this.#timed(0, () => denoiser.flush())]);
    } finally {
      this.#free("idle");
    }
    return true;
  }

  /** Frees everything now (the stream ended, or the pool closes); idempotent. */
  close(): void {
    if (this.#state === "done") return;
    this.#state = "done";
    this.#held = [];
    this.#heldSamples = 0;
    this.#tail = EMPTY;
    this.#free("close");
    this.#done();
  }

  #run(samples: Float32Array): Float32Array {
    const model = this.#model;
    if (model === null) return EMPTY;
    let denoiser = this.#denoiser;
    if (denoiser === null) {
      denoiser = this.#guard(() => model.openStream());
      this.#denoiser = denoiser;
      this.#counters.opened += 1;
    }
    const ready = denoiser;
    return this.#withTail(this.#timed(samples.length, () => ready.process(samples)));
  }

  #timed(samples: number, run: () => Float32Array): Float32Array {
    const started = performance.now();
    const out = this.#guard(run);
    const ended = performance.now();
    this.#counters.ran(samples, ended - started);
    this.#lastUsedMs = ended;
    return out;
  }

  /** The stage's own failures (wasm out of memory, say) as the pool's `internal`, for this stream alone. */
  #guard<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      throw new PoolError("internal", `noise suppression failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  #withTail(out: Float32Array): Float32Array {
    if (this.#tail.length === 0) return out;
    const all = concatAll([this.#tail, out]);
    this.#tail = EMPTY;
    return all;
  }

  #hold(samples: Float32Array, bounded: boolean): void {
    if (samples.length === 0) return;
    if (bounded && this.#heldSamples + samples.length > this.#maxHeldSamples) {
      this.#counters.rejectedOverloaded += 1;
      throw new PoolError("overloaded", "the noise suppression model is still loading and this stream's waiting audio is full");
    }
    this.#held.push(samples.slice());
    this.#heldSamples += samples.length;
  }

  #free(by: FreedBy): void {
    const denoiser = this.#denoiser;
    if (denoiser === null) return;
    this.#denoiser = null;
    denoiser.close();
    this.#counters.freed[by] += 1;
  }
}

/** The stages of every stream of one pool: opens them, frees idle states, reports them (GetStatus `denoise`). */
export class AudioStages {
  readonly #models: StageModels;
  readonly #options: AudioStagesOptions;
  readonly #log: Logger;
  readonly #counters = new StageCounters();
  readonly #streams = new Set<StreamStages>();
  readonly #sweep: NodeJS.Timeout;
  /** The denoise model once a stream got it, for its count of open states (the runtime's, not ours). */
  #denoise: DenoiseModel | null = null;

  constructor(models: StageModels, log: Logger, options: Partial<AudioStagesOptions> = {}) {
    this.#models = models;
    this.#log = log;
    this.#options = { ...DEFAULT_AUDIO_STAGES_OPTIONS, ...options };
    // As the VAD batcher's sweep: a state goes between 1× and 1.5× the timeout after its stream's last audio.
    this.#sweep = setInterval(() => this.#sweepIdle(), Math.max(1, this.#options.idleTimeoutMs / 2));
    this.#sweep.unref();
  }

  /**
   * The stages of a new stream; null when it asked for none (its audio goes straight to the VAD). `report` hears of
   * each chunk a stage refused or failed.
   */
  open(stages: readonly AudioStage[], report: (error: PoolError) => void): StreamStages | null {
    if (!stages.includes("denoise")) return null;
    const model = this.#models.denoise();
    void model.then((loaded) => (this.#denoise = loaded), () => undefined);
    const maxHeldSamples = (this.#options.maxHeldMs / 1000) * MODEL_SAMPLE_RATE;
    const stream: StreamStages = new StreamStages(model, this.#counters, maxHeldSamples, report, () => this.#streams.delete(stream));
    this.#streams.add(stream);
    return stream;
  }

  stats(): AudioStagesStats {
    const c = this.#counters;
    let heldChunks = 0;
    for (const stream of this.#streams) heldChunks += stream.heldChunks;
    return {
      runs: c.runs,
      runMsTotal: c.runMsTotal,
      runMs: c.runMs.buckets(),
      samples: c.samples,
      heldChunks,
      rejectedOverloaded: c.rejectedOverloaded,
      states: { open: this.#denoise?.openStreams ?? 0, opened: c.opened, freedOnClose: c.freed.close, freedIdle: c.freed.idle },
    };
  }

  /** Frees every stream's state (the pool is closing). */
  close(): void {
    clearInterval(this.#sweep);
    for (const stream of [...this.#streams]) stream.close();
  }

  #sweepIdle(): void {
    const cutoff = performance.now() - this.#options.idleTimeoutMs;
    let freed = 0;
    for (const stream of this.#streams) {
      try {
        if (stream.freeIfIdle(cutoff)) freed += 1;
      } catch (error) {
        this.#log.warn({ err: error }, "idle denoise state not flushed");
      }
    }
    if (freed > 0) this.#log.info({ freed }, "idle denoise states freed");
  }
}
