import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import type { Logger } from "../logger.js";
import { AsrQueue } from "./asr/asr-queue.js";
import { AudioStages } from "./audio-stages.js";
import { AudioError } from "./audio/audio-error.js";
import type { DeepfakeResult, EnhanceImageRequest, EnhanceImageResult, ImageFacesResult, PoolImageCall } from "./image-types.js";
import { pcm16ToFloat32 } from "./audio/pcm.js";
import { audioSessionHandle, type PoolStreamOps } from "./pool-audio-session.js";
import { asUnavailable as unavailable, type PoolError } from "./pool-error.js";
import { PoolImages } from "./pool-images.js";
import { DEFAULT_INFERENCE_POOL_OPTIONS, type InferencePoolOptions } from "./pool-options.js";
import { poolStatusView, priorityQueueServing, sequenceBatcherServing, streamStageServing } from "./pool-status.js";
import { DEFAULT_INTERIM_OPTIONS, InterimCaptions } from "./pool-interim.js";
import { concat, newAudioStream, padToChunks, segmentIdOf, streamSegmenter, type AudioStream } from "./pool-stream.js";
import { WavDecoder } from "./audio/wav-decoder.js";
import { checkRecordingSize, recordingSamples, transcribeRecording } from "./recording-transcription.js";
import type { AudioSessionHandle, InferencePoolService, ModelStatusView, PoolStatusView, VideoSessionHandle } from "./pool-service.js";
import { MODEL_SAMPLE_RATE, poolErrorCodeOf } from "./pool-types.js";
import type { PoolOutput, StreamOpen, SynthesisRequest, SynthesisResult, TranscribeResult, VideoOutput } from "./pool-types.js";
import { PoolSynthesis, type PoolSynthesisCall } from "./tts/pool-synthesis.js";
import { videoSessionHandle } from "./pool-video-session.js";
import { KNOWN_MODEL_MODULES } from "./registry/known-models.js";
import type { AsrModel } from "./registry/model-module.js";
import { ModelRegistry } from "./registry/model-registry.js";
import type { SegmenterEvent } from "./vad/segmenter.js";
import { VadBatcher } from "./vad/vad-batcher.js";
import type { FacePipeline } from "./video/face-pipeline.js";
import { loadPoolFacePipeline } from "./video/pool-face-pipeline.js";

/** Chunks of one stream handed to the VAD batcher at once (below its per-stream pending bound). */
const VAD_WINDOW = 32;
const VAD_CHUNK = 512;
const CHUNK_MS = (VAD_CHUNK / MODEL_SAMPLE_RATE) * 1000;
/** At most one `overloaded` error per stream in this window. */
const OVERLOAD_NOTICE_MS = 1_000;

/**
 * The shared inference pool of one process: the `vad` model with sequence batching across every stream it serves,
 * per-stream segmentation, the `asr` model behind a bounded priority queue (live before files), the `tts` model's
 * threads behind their own (tts/pool-synthesis.ts), and the still-image calls (pool-images.ts). Which models
 * serve those tasks is the registry's: they load in the background at start, work waits for them, and a task whose
 * model failed to load or is not configured answers `model_unavailable`.
 */
export class InferencePool implements InferencePoolService {
  readonly #options: InferencePoolOptions;
  readonly #log: Logger;
  readonly #registry: ModelRegistry;
  /** The VAD's batcher once its model is loaded; null when it is unavailable (`#vadError` says why). */
  readonly #vad: Promise<VadBatcher | null>;
  readonly #queue: AsrQueue<string>;
  readonly #interim: InterimCaptions;
  /** Set once loaded, for the interim captions' synchronous check. */
  #asr: AsrModel | null = null;
  readonly #wav: WavDecoder;
  readonly #stages: AudioStages;
  readonly #tts: PoolSynthesis;
  readonly #images: PoolImages;
  #faces: Promise<FacePipeline> | undefined;
  readonly #streams = new Map<string, AudioStream>();
  /** Set once settled, for synchronous reads. */
  #batcher: VadBatcher | null = null;
  #vadError: PoolError | null = null;
  #sessions = 0;
  #files = 0;
  /** Distinguishes this pool process from earlier ones in segment ids. */
  readonly #instance = randomBytes(4).toString("hex");

  constructor(options: Partial<InferencePoolOptions> & Pick<InferencePoolOptions, "modelsDir" | "logger">) {
    this.#options = { ...DEFAULT_INFERENCE_POOL_OPTIONS, ...options };
    this.#log = options.logger.child({ component: "inference-pool" });
    this.#wav = new WavDecoder(this.#log, { maxRecordingMs: this.#options.maxRecordingMs });
    const { models, modelsDir, device, asr } = this.#options;
    this.#registry = ModelRegistry.start({
      models,
      modules: KNOWN_MODEL_MODULES,
      modelsDir,
      device,
      logger: this.#log,
      cores: availableParallelism(),
      placement: { asr: { instances: asr.lanes, threads: asr.threadsPerLane } },
    });
    // One job per instance at a time, so a job always finds a free one.
    const concurrency = this.#registry.placement("asr")?.instances ?? 1;
    this.#queue = new AsrQueue<string>({ concurrency, maxQueued: this.#options.maxQueuedUtterances });
    this.#registry.attach("asr", () => priorityQueueServing(this.#queue.stats(), true));
    const interim = { ...DEFAULT_INTERIM_OPTIONS, ...this.#options.interim };
    this.#interim = new InterimCaptions(interim, this.#queue, () => this.#asr, this.#log);
    void this.#registry.whenLoaded("asr").then(
      (asr) => {
        this.#asr = asr;
      },
      () => undefined,
    );
    const stageOptions = { maxHeldMs: this.#options.maxBacklogMs, ...this.#options.stages };
    this.#stages = new AudioStages({ denoise: () => this.#registry.whenLoaded("denoise") }, this.#log, stageOptions);
    this.#registry.attach("denoise", () => streamStageServing(this.#stages.stats()));
    const ttsConcurrency = this.#registry.placement("tts")?.instances ?? 1;
    this.#tts = new PoolSynthesis(() => this.#registry.whenLoaded("tts"), { ...this.#options.tts, concurrency: ttsConcurrency });
    this.#registry.attach("tts", () => priorityQueueServing(this.#tts.stats()));
    this.#images = new PoolImages(this.#registry, this.#log, { ...this.#options.images, speechQueued: () => this.#queue.stats().queued.live > 0 });
    this.#vad = this.#registry.whenLoaded("vad").then(
      (model) => {
        const batcher = new VadBatcher(model, {
          ...this.#options.vad,
          onStreamExpired: (streamId) => this.#log.info({ stream_id: streamId }, "idle VAD stream freed"),
        });
        this.#registry.attach("vad", () => sequenceBatcherServing(batcher.stats()));
        this.#batcher = batcher;
        return batcher;
      },
      (error: unknown) => {
        this.#vadError = unavailable(error);
        return null;
      },
    );
  }

  /** Resolves once every configured model is loaded or has failed. */
  async ready(): Promise<ModelStatusView[]> {
    await this.#vad;
    return this.#registry.settled();
  }

  openVideoSession(emit: (output: VideoOutput) => void): VideoSessionHandle {
    this.#sessions += 1;
    return videoSessionHandle(`v${this.#sessions}:`, () => this.#facePipeline(), { maxStreamsPerCall: this.#options.maxStreamsPerCall }, emit);
  }

  /** Made with the first video call (`loadPoolFacePipeline`): live speech queued for Whisper goes first. */
  #facePipeline(): Promise<FacePipeline> {
    this.#faces ??= loadPoolFacePipeline(this.#registry, this.#options.video, this.#log, () => this.#queue.stats().queued.live > 0);
    return this.#faces;
  }

  openAudioSession(emit: (output: PoolOutput) => void): AudioSessionHandle {
    this.#sessions += 1;
    const group = `c${this.#sessions}:`;
    const segmentPrefix = `${this.#instance}.${this.#sessions}`;
    const ops: PoolStreamOps = {
      open: (key, open, emitStream) => this.#openStream(key, group, segmentPrefix, open, emitStream),
      chunk: (key, pcm16) => this.#chunk(key, pcm16),
      close: (key) => this.#closeStream(key),
    };
    return audioSessionHandle(group, ops, { maxStreamsPerCall: this.#options.maxStreamsPerCall }, emit);
  }

  /** A stream whose stage's model is unavailable is refused: model_unavailable, its audio dropped, its close answered. */
  #openStream(key: string, group: string, segmentPrefix: string, open: StreamOpen, emit: (output: PoolOutput) => void): void {
    const stream = newAudioStream({ key, group, open, segmentPrefix, emit }, streamSegmenter(this.#options.segmenter, open.vad));
    stream.stages = this.#stages.open(open.stages ?? [], (error) =>
      error.code === "overloaded" ? this.#overloaded(stream, 1) : emit({ kind: "error", streamId: open.streamId, code: error.code, message: error.message }),
    );
    this.#streams.set(key, stream);
    void Promise.all([this.#vad, stream.stages?.ready ?? null]).then(([batcher, refused]) => {
      if (batcher === null) this.#unavailable(stream, this.#vadError);
      else if (refused !== null) this.#unavailable(stream, refused);
      // Audio held while the stage's model loaded, now denoised (or dropped: refused).
      const held = stream.stages?.release();
      if (held !== undefined && held.length > 0) this.#accept(stream, held, stream.closing);
      this.#pump(stream);
    });
  }

  /** Tells the stream once that a model it needs is unavailable (the registry's reason). */
  #unavailable(stream: AudioStream, error: unknown): void {
    if (stream.reportedUnavailable) return;
    stream.reportedUnavailable = true;
    stream.emit({ kind: "error", streamId: stream.open.streamId, code: "model_unavailable", message: unavailable(error).message });
  }

  #chunk(key: string, pcm16: Uint8Array): void {
    const stream = this.#streams.get(key);
    if (stream === undefined) return;
    let samples: Float32Array;
    try {
      samples = stream.resampler.push(pcm16ToFloat32(pcm16));
    } catch (error) {
      const message = error instanceof AudioError ? error.message : "unreadable audio";
      stream.emit({ kind: "error", streamId: stream.open.streamId, code: "invalid_audio", message });
      return;
    }
    this.#accept(stream, stream.stages === null ? samples : stream.stages.process(samples), false);
    this.#pump(stream);
  }

  /** 16 kHz audio past the stages into the backlog; the stream's `last` is zero-padded to whole chunks. */
  #accept(stream: AudioStream, samples: Float32Array, last: boolean): void {
    const all = concat(stream.carry, samples);
    this.#feed(stream, last ? padToChunks(all, VAD_CHUNK) : all);
  }

  /** Cuts 16 kHz audio into VAD chunks onto the stream's bounded backlog; the remainder waits in `carry`. */
  #feed(stream: AudioStream, samples: Float32Array): void {
    const whole = Math.floor(samples.length / VAD_CHUNK) * VAD_CHUNK;
    stream.carry = samples.slice(whole);
    const maxBacklog = Math.ceil(this.#options.maxBacklogMs / CHUNK_MS);
    for (let offset = 0; offset < whole; offset += VAD_CHUNK) {
      if (stream.backlog.length >= maxBacklog) {
        this.#overloaded(stream, (whole - offset) / VAD_CHUNK);
        return;
      }
      stream.backlog.push(samples.slice(offset, offset + VAD_CHUNK));
    }
  }

  #overloaded(stream: AudioStream, droppedChunks: number): void {
    const nowMs = Date.now();
    if (nowMs - stream.lastOverloadMs < OVERLOAD_NOTICE_MS) return;
    stream.lastOverloadMs = nowMs;
    this.#log.warn({ stream_id: stream.open.streamId, dropped_chunks: droppedChunks }, "VAD backlog full; audio refused");
    stream.emit({ kind: "error", streamId: stream.open.streamId, code: "overloaded", message: "the pool is behind on this stream; audio was refused" });
  }

  /**
   * Hands backlog chunks to the VAD batcher, at most VAD_WINDOW in flight per stream (its batches still gather
   * many streams), and applies their probabilities in order. Finishes a closing stream once all is applied.
   */
  #pump(stream: AudioStream): void {
    const batcher = this.#batcher;
    if (batcher === null) {
      // The VAD still loading: the backlog waits (the open handler pumps once it is in); unavailable: nothing to run.
      if (this.#vadError !== null) {
        stream.backlog = [];
        if (stream.closing) this.#finish(stream);
      }
      return;
    }
    if (!batcher.has(stream.key) && !stream.finished) {
      // First audio, or the batcher freed the state of a stream silent past its idle timeout: start afresh.
      try {
        batcher.open(stream.key, stream.group);
      } catch (error) {
        stream.backlog = [];
        stream.emit({ kind: "error", streamId: stream.open.streamId, code: poolErrorCodeOf(error), message: error instanceof Error ? error.message : "cannot open" });
        if (stream.closing) this.#finish(stream);
        return;
      }
    }
    while (stream.vadInFlight < VAD_WINDOW && stream.backlog.length > 0) {
      const chunk = stream.backlog.shift();
      if (chunk === undefined) break;
      stream.vadInFlight += 1;
      // The batcher settles one stream's chunks in the order they were enqueued (one per batch, batches in
      // sequence), so results can be applied as they settle, with no chain of our own.
      batcher
        .enqueue(stream.key, chunk)
        .then(
          (probability) => this.#applied(stream, () => this.#onSegmenterEvents(stream, stream.segmenter.push(chunk, probability))),
          (error: unknown) =>
            this.#applied(stream, () => {
              throw error;
            }),
        )
        .catch((error: unknown) => this.#log.error({ err: error, stream_id: stream.open.streamId }, "VAD result handling failed"));
    }
    const holding = stream.stages?.holding ?? false;
    if (stream.closing && stream.backlog.length === 0 && stream.vadInFlight === 0 && !holding) this.#finish(stream);
  }

  /** Runs one chunk's result (or reports its failure), then refills the stream's window. */
  #applied(stream: AudioStream, apply: () => void): void {
    try {
      apply();
    } catch (error) {
      stream.emit({ kind: "error", streamId: stream.open.streamId, code: poolErrorCodeOf(error), message: error instanceof Error ? error.message : "VAD failed" });
    } finally {
      stream.vadInFlight -= 1;
    }
    this.#pump(stream);
  }

  #onSegmenterEvents(stream: AudioStream, events: SegmenterEvent[]): void {
    const streamId = stream.open.streamId;
    const offsetMs = stream.open.offsetMs ?? 0;
    for (const event of events) {
      if (event.type === "speech_started") stream.emit({ kind: "speech", streamId, event: "started", atMs: offsetMs + event.atMs });
      else if (event.type === "speech_ended") stream.emit({ kind: "speech", streamId, event: "ended", atMs: offsetMs + event.atMs });
      else this.#transcribeUtterance(stream, offsetMs + event.startMs, offsetMs + event.endMs, event.samples);
    }
    this.#interim.consider(stream);
  }

  #transcribeUtterance(stream: AudioStream, startMs: number, endMs: number, samples: Float32Array): void {
    stream.utterances += 1;
    const n = stream.utterances;
    const segmentId = segmentIdOf(stream, n);
    stream.awaitingFinal.add(n);
    const streamId = stream.open.streamId;
    const detectedAt = performance.now();
    const job = this.#registry.whenLoaded("asr").then(async (asr) => {
      try {
        const { value: text, queueMs, runMs } = await this.#queue.submit({
          priority: "live",
          deadlineMs: Date.now() + this.#options.liveDeadlineMs,
          run: async () => (await asr.transcribe(samples)).text,
        });
        const totalMs = performance.now() - detectedAt;
        // Synchronously with the emit: an interim of this segment settling right after must see it final.
        stream.awaitingFinal.delete(n);
        stream.emit({ kind: "transcript", streamId, segmentId, text, startMs, endMs, final: true, timings: { queueMs, asrMs: runMs, totalMs } });
      } catch (error) {
        const code = poolErrorCodeOf(error);
        this.#log.warn({ stream_id: streamId, code }, "utterance not transcribed");
        stream.awaitingFinal.delete(n);
        stream.emit({ kind: "error", streamId, code, message: error instanceof Error ? error.message : "transcription failed", segmentId });
      }
    }, (error: unknown) => this.#unavailable(stream, error)).finally(() => stream.awaitingFinal.delete(n));
    stream.inFlight.add(job);
    void job.finally(() => stream.inFlight.delete(job));
  }

  /** Closing: the rest (its stages' too, whose state is freed now) joins the backlog; `#finish` once all is applied. */
  #closeStream(key: string): void {
    const stream = this.#streams.get(key);
    if (stream === undefined) return;
    this.#streams.delete(key);
    stream.closing = true;
    const flushed = stream.resampler.flush();
    this.#accept(stream, stream.stages === null ? flushed : stream.stages.end(flushed), true);
    this.#pump(stream);
  }

  /** Flushes the stream's last utterance, waits for its transcripts, frees its VAD state, then says `closed`. */
  #finish(stream: AudioStream): void {
    if (stream.finished) return;
    stream.finished = true;
    this.#onSegmenterEvents(stream, stream.segmenter.flush());
    void Promise.allSettled([...stream.inFlight]).then(() => {
      this.#batcher?.closeStream(stream.key);
      stream.emit({ kind: "closed", streamId: stream.open.streamId });
    });
  }

  /** A whole WAV file: decoded and resampled on the decoder's thread, then transcribed as `transcribe` does. */
  async transcribeWav(wav: Uint8Array): Promise<TranscribeResult> {
    return this.transcribe(await this.#wav.toPcm16(wav), MODEL_SAMPLE_RATE);
  }

  async transcribe(pcm16: Uint8Array, sampleRate: number): Promise<TranscribeResult> {
    const started = performance.now();
    checkRecordingSize(pcm16, sampleRate, this.#options.maxRecordingMs);
    const samples = recordingSamples(pcm16, sampleRate, this.#options.maxRecordingMs);
    const batcher = await this.#vad;
    if (batcher === null) throw unavailable(this.#vadError);
    const asr = await this.#registry.whenLoaded("asr");
    this.#files += 1;
    const transcriber = { batcher, asr, queue: this.#queue, segmenter: this.#options.segmenter, chunkSamples: VAD_CHUNK, window: VAD_WINDOW, maxRecordingMs: this.#options.maxRecordingMs };
    return transcribeRecording(transcriber, `file:${this.#files}`, samples, started);
  }

  synthesize(request: SynthesisRequest, call?: PoolSynthesisCall): Promise<SynthesisResult> {
    return this.#tts.synthesize(request, call);
  }

  detectFaces(image: Uint8Array, call?: PoolImageCall): Promise<ImageFacesResult> {
    return this.#images.detectFaces(image, call);
  }

  enhanceImage(request: EnhanceImageRequest, call?: PoolImageCall): Promise<EnhanceImageResult> {
    return this.#images.enhanceImage(request, call);
  }

  detectDeepfake(image: Uint8Array, call?: PoolImageCall): Promise<DeepfakeResult> {
    return this.#images.detectDeepfake(image, call);
  }

  status(): PoolStatusView {
    return poolStatusView({ models: this.#registry.status(), device: this.#options.device, openStreams: this.#streams.size });
  }

  /**
   * The VAD's chunks run and waiting, read off its batcher's counters without building the status view: for a
   * caller on this thread polling every turn (the bench's writer), where `status()` would cost more than the chunk.
   */
  vadProgress(): { processed: number; pending: number } {
    const batcher = this.#batcher;
    return batcher === null ? { processed: 0, pending: 0 } : batcher.progress();
  }

  /** The schedulers first (they wait for runs in flight), then the models under them. */
  async close(): Promise<void> {
    await this.#wav.close();
    this.#stages.close();
    await this.#faces?.then((pipeline) => pipeline.close(), () => undefined);
    await Promise.all([this.#queue.close(), this.#tts.close(), this.#images.close()]);
    await (await this.#vad)?.close();
    await this.#registry.close();
  }
}
