import { randomBytes } from "node:crypto";
import type { Logger } from "../logger.js";
import { AsrQueue } from "./asr/asr-queue.js";
import { AudioError } from "./audio/audio-error.js";
import { pcm16ToFloat32 } from "./audio/pcm.js";
import { resample, Resampler } from "./audio/resample.js";
import type { ExecutionDevice } from "./models/model-files.js";
import { SileroVad } from "./models/silero-vad.js";
import { WhisperAsr } from "./models/whisper-asr.js";
import { PoolError } from "./pool-error.js";
import type { AudioSessionHandle, InferencePoolService, ModelState, PoolStatusView } from "./pool-service.js";
import { MODEL_SAMPLE_RATE, poolErrorCodeOf, type PoolOutput, type StreamOpen, type TranscribeResult } from "./pool-types.js";
import { SpeechSegmenter, type SegmenterEvent, type SegmenterOptions } from "./vad/segmenter.js";
import { VadBatcher, type VadBatcherOptions } from "./vad/vad-batcher.js";

export interface InferencePoolOptions {
  modelsDir: string;
  device: ExecutionDevice;
  logger: Logger;
  vad: Partial<VadBatcherOptions>;
  segmenter: Partial<SegmenterOptions>;
  /** ASR jobs waiting, both priorities; past it a job is refused with `overloaded`. */
  maxQueuedUtterances: number;
  /** A live utterance not started this long after its end of speech is dropped with `deadline_exceeded`. */
  liveDeadlineMs: number;
  /** Longest recording `transcribe` takes. */
  maxRecordingMs: number;
}

export const DEFAULT_INFERENCE_POOL_OPTIONS: Omit<InferencePoolOptions, "modelsDir" | "logger"> = {
  device: "cpu",
  vad: {},
  // Silero fires ~100–200 ms into a word; a generous pre-roll keeps the first word whole for Whisper.
  segmenter: { paddingMs: 300 },
  maxQueuedUtterances: 64,
  liveDeadlineMs: 15_000,
  maxRecordingMs: 10 * 60_000,
};

/** Chunks of a recording fed to the VAD at once (below the batcher's per-stream pending bound). */
const FILE_VAD_WINDOW = 32;

interface AudioStream {
  open: StreamOpen;
  /** Makes segment ids unique across calls and pool restarts, so a reopened stream never reuses one. */
  segmentPrefix: string;
  resampler: Resampler;
  /** 16 kHz samples not yet making a whole VAD chunk. */
  carry: Float32Array;
  segmenter: SpeechSegmenter;
  /** Serialises this stream's work: VAD results are applied to the segmenter in chunk order. */
  tail: Promise<void>;
  utterances: number;
  /** ASR jobs of this stream not yet settled. */
  inFlight: Set<Promise<void>>;
  emit: (output: PoolOutput) => void;
  reportedUnavailable: boolean;
}

type ModelName = "silero_vad_v5" | "whisper_tiny_en_int8";

interface Models {
  vad: SileroVad;
  batcher: VadBatcher;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length === 0) return b;
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}


/**
 * The shared inference pool of one process: Silero VAD with sequence batching across every stream it serves,
 * per-stream segmentation, and Whisper ASR behind a bounded priority queue (live before files). Models load in the
 * background at start; work waits for them, and a model that fails to load answers `model_unavailable`.
 */
export class InferencePool implements InferencePoolService {
  readonly #options: InferencePoolOptions;
  readonly #log: Logger;
  readonly #vad: Promise<Models | null>;
  readonly #asr: Promise<WhisperAsr | null>;
  readonly #queue: AsrQueue<string>;
  readonly #streams = new Map<string, AudioStream>();
  readonly #models: Record<ModelName, ModelState> = {
    silero_vad_v5: { name: "silero_vad_v5", loaded: false, error: null },
    whisper_tiny_en_int8: { name: "whisper_tiny_en_int8", loaded: false, error: null },
  };
  /** Set once the VAD is loaded, for synchronous status reads. */
  #loaded: Models | null = null;
  #sessions = 0;
  #files = 0;
  /** Distinguishes this pool process from earlier ones in segment ids. */
  readonly #instance = randomBytes(4).toString("hex");

  constructor(options: Partial<InferencePoolOptions> & Pick<InferencePoolOptions, "modelsDir" | "logger">) {
    this.#options = { ...DEFAULT_INFERENCE_POOL_OPTIONS, ...options };
    this.#log = options.logger.child({ component: "inference-pool" });
    this.#queue = new AsrQueue<string>({ concurrency: 1, maxQueued: this.#options.maxQueuedUtterances });
    this.#vad = SileroVad.load({ device: this.#options.device }).then(
      (vad) => {
        this.#models.silero_vad_v5.loaded = true;
        const batcher = new VadBatcher(vad, {
          ...this.#options.vad,
          onStreamExpired: (streamId) => this.#log.info({ stream_id: streamId }, "idle VAD stream freed"),
        });
        this.#loaded = { vad, batcher };
        return this.#loaded;
      },
      (error: unknown) => this.#modelFailed("silero_vad_v5", error),
    );
    this.#asr = WhisperAsr.load({ modelsDir: this.#options.modelsDir, device: this.#options.device, logger: this.#log }).then(
      (asr) => {
        this.#models.whisper_tiny_en_int8.loaded = true;
        this.#log.info("whisper loaded");
        return asr;
      },
      (error: unknown) => this.#modelFailed("whisper_tiny_en_int8", error),
    );
  }

  /** Resolves once both models are loaded or have failed. */
  async ready(): Promise<ModelState[]> {
    await Promise.all([this.#vad, this.#asr]);
    return Object.values(this.#models);
  }

  #modelFailed(name: ModelName, error: unknown): null {
    const message = error instanceof Error ? error.message : String(error);
    this.#models[name].error = message;
    this.#log.error({ err: error, model: name }, "model unavailable");
    return null;
  }

  openAudioSession(emit: (output: PoolOutput) => void): AudioSessionHandle {
    this.#sessions += 1;
    const prefix = `c${this.#sessions}:`;
    const owned = new Set<string>();
    let ended = false;
    const send = (output: PoolOutput) => {
      if (!ended) emit(output);
    };
    return {
      open: (open) => {
        if (owned.has(open.streamId)) {
          send({ kind: "error", streamId: open.streamId, code: "stream_exists", message: "that stream is already open" });
          return;
        }
        owned.add(open.streamId);
        this.#openStream(prefix + open.streamId, `${this.#instance}.${this.#sessions}`, open, (output) => send({ ...output, streamId: open.streamId }));
      },
      chunk: (streamId, _seq, pcm16) => {
        if (!owned.has(streamId)) {
          send({ kind: "error", streamId, code: "unknown_stream", message: "audio for a stream that is not open" });
          return;
        }
        this.#chunk(prefix + streamId, pcm16);
      },
      close: (streamId) => {
        if (!owned.delete(streamId)) {
          send({ kind: "error", streamId, code: "unknown_stream", message: "close of a stream that is not open" });
          return;
        }
        this.#closeStream(prefix + streamId);
      },
      end: () => {
        ended = true;
        for (const streamId of owned) this.#closeStream(prefix + streamId);
        owned.clear();
      },
    };
  }

  #openStream(key: string, segmentPrefix: string, open: StreamOpen, emit: (output: PoolOutput) => void): void {
    const stream: AudioStream = {
      open,
      segmentPrefix,
      resampler: new Resampler(open.sampleRate, MODEL_SAMPLE_RATE),
      carry: new Float32Array(0),
      segmenter: new SpeechSegmenter(this.#options.segmenter),
      tail: Promise.resolve(),
      utterances: 0,
      inFlight: new Set(),
      emit,
      reportedUnavailable: false,
    };
    this.#streams.set(key, stream);
    stream.tail = this.#vad.then((models) => {
      if (models === null) return this.#unavailable(stream, "silero_vad_v5");
      try {
        models.batcher.open(key);
      } catch (error) {
        emit({ kind: "error", streamId: open.streamId, code: poolErrorCodeOf(error), message: error instanceof Error ? error.message : "cannot open" });
      }
    });
  }

  #unavailable(stream: AudioStream, model: ModelName): void {
    if (stream.reportedUnavailable) return;
    stream.reportedUnavailable = true;
    stream.emit({ kind: "error", streamId: stream.open.streamId, code: "model_unavailable", message: `${model} is not loaded: ${this.#models[model].error ?? "loading failed"}` });
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
    this.#feed(key, stream, concat(stream.carry, samples));
  }

  /** Cuts 16 kHz audio into VAD chunks and queues them on the stream's ordered tail. */
  #feed(key: string, stream: AudioStream, samples: Float32Array): void {
    const chunkSamples = 512;
    const whole = Math.floor(samples.length / chunkSamples) * chunkSamples;
    stream.carry = samples.slice(whole);
    for (let offset = 0; offset < whole; offset += chunkSamples) {
      const chunk = samples.slice(offset, offset + chunkSamples);
      const probability = this.#vad.then((models) => (models === null ? null : models.batcher.enqueue(key, chunk)));
      // Attach a handler now: a rejection is dealt with in order on the tail, never left unhandled.
      probability.catch(() => undefined);
      stream.tail = stream.tail.then(async () => {
        let p: number | null;
        try {
          p = await probability;
        } catch (error) {
          stream.emit({ kind: "error", streamId: stream.open.streamId, code: poolErrorCodeOf(error), message: error instanceof Error ? error.message : "VAD failed" });
          return;
        }
        if (p === null) return this.#unavailable(stream, "silero_vad_v5");
        this.#onSegmenterEvents(stream, stream.segmenter.push(chunk, p));
      });
    }
  }

  #onSegmenterEvents(stream: AudioStream, events: SegmenterEvent[]): void {
    const streamId = stream.open.streamId;
    for (const event of events) {
      if (event.type === "speech_started") stream.emit({ kind: "speech", streamId, event: "started", atMs: event.atMs });
      else if (event.type === "speech_ended") stream.emit({ kind: "speech", streamId, event: "ended", atMs: event.atMs });
      else this.#transcribeUtterance(stream, event.startMs, event.endMs, event.samples);
    }
  }

  #transcribeUtterance(stream: AudioStream, startMs: number, endMs: number, samples: Float32Array): void {
    stream.utterances += 1;
    const segmentId = `${stream.segmentPrefix}.${stream.utterances}`;
    const streamId = stream.open.streamId;
    const detectedAt = performance.now();
    const job = this.#asr.then(async (asr) => {
      if (asr === null) return this.#unavailable(stream, "whisper_tiny_en_int8");
      try {
        const { value: text, queueMs, runMs } = await this.#queue.submit({
          priority: "live",
          deadlineMs: Date.now() + this.#options.liveDeadlineMs,
          run: async () => (await asr.transcribe(samples)).text,
        });
        const totalMs = performance.now() - detectedAt;
        stream.emit({ kind: "transcript", streamId, segmentId, text, startMs, endMs, final: true, timings: { queueMs, asrMs: runMs, totalMs } });
      } catch (error) {
        const code = poolErrorCodeOf(error);
        this.#log.warn({ stream_id: streamId, code }, "utterance not transcribed");
        stream.emit({ kind: "error", streamId, code, message: error instanceof Error ? error.message : "transcription failed" });
      }
    });
    stream.inFlight.add(job);
    void job.finally(() => stream.inFlight.delete(job));
  }

  /** Flushes the stream's last utterance, waits for its transcripts, frees its state, then says `closed`. */
  #closeStream(key: string): void {
    const stream = this.#streams.get(key);
    if (stream === undefined) return;
    this.#streams.delete(key);
    stream.tail = stream.tail.then(async () => {
      const rest = concat(stream.carry, stream.resampler.flush());
      stream.carry = new Float32Array(0);
      if (rest.length > 0) {
        // A final partial chunk, zero-padded: its probability still counts for the utterance's end.
        const padded = new Float32Array(512 * Math.ceil(rest.length / 512));
        padded.set(rest);
        this.#feed(key, stream, padded);
        await stream.tail;
      }
      this.#onSegmenterEvents(stream, stream.segmenter.flush());
      await Promise.allSettled([...stream.inFlight]);
      const models = await this.#vad;
      models?.batcher.closeStream(key);
      stream.emit({ kind: "closed", streamId: stream.open.streamId });
    });
  }

  async transcribe(pcm16: Uint8Array, sampleRate: number): Promise<TranscribeResult> {
    const started = performance.now();
    let samples: Float32Array;
    try {
      samples = resample(pcm16ToFloat32(pcm16), sampleRate, MODEL_SAMPLE_RATE);
    } catch (error) {
      throw new PoolError("invalid_audio", error instanceof Error ? error.message : "unreadable audio");
    }
    const durationMs = Math.round((samples.length / MODEL_SAMPLE_RATE) * 1000);
    if (durationMs > this.#options.maxRecordingMs) {
      throw new PoolError("recording_too_long", `recordings are limited to ${this.#options.maxRecordingMs / 60_000} minutes`);
    }
    const [models, asr] = await Promise.all([this.#vad, this.#asr]);
    if (models === null) throw new PoolError("model_unavailable", `silero_vad_v5 is not loaded: ${this.#models.silero_vad_v5.error ?? ""}`);
    if (asr === null) throw new PoolError("model_unavailable", `whisper_tiny_en_int8 is not loaded: ${this.#models.whisper_tiny_en_int8.error ?? ""}`);

    this.#files += 1;
    const key = `file:${this.#files}`;
    const segmenter = new SpeechSegmenter(this.#options.segmenter);
    const utterances: { startMs: number; endMs: number; samples: Float32Array }[] = [];
    models.batcher.open(key);
    try {
      const chunks = Math.ceil(samples.length / 512);
      for (let first = 0; first < chunks; first += FILE_VAD_WINDOW) {
        const window: Float32Array[] = [];
        for (let i = first; i < Math.min(chunks, first + FILE_VAD_WINDOW); i += 1) {
          const chunk = new Float32Array(512);
          chunk.set(samples.subarray(i * 512, Math.min(samples.length, (i + 1) * 512)));
          window.push(chunk);
        }
        const probabilities = await Promise.all(window.map((chunk) => models.batcher.enqueue(key, chunk)));
        window.forEach((chunk, i) => {
          for (const event of segmenter.push(chunk, probabilities[i] ?? 0)) if (event.type === "utterance") utterances.push(event);
        });
      }
      for (const event of segmenter.flush()) if (event.type === "utterance") utterances.push(event);
    } finally {
      models.batcher.closeStream(key);
    }
    const vadMs = performance.now() - started;
    let asrMs = 0;
    const segments = [];
    for (const utterance of utterances) {
      const { value, runMs } = await this.#queue.submit({ priority: "file", run: async () => (await asr.transcribe(utterance.samples)).text });
      asrMs += runMs;
      if (value !== "") segments.push({ text: value, startMs: utterance.startMs, endMs: utterance.endMs });
    }
    return {
      text: segments.map((s) => s.text).join(" "),
      segments,
      durationMs,
      timings: { vadMs, asrMs, totalMs: performance.now() - started },
    };
  }

  status(): PoolStatusView {
    const queue = this.#queue.stats();
    const vad = this.#loaded?.batcher.stats();
    const maxBatchSize = (vad?.batchSizes ?? []).filter((b) => b.count > 0).reduce((max, b) => Math.max(max, b.le), 0);
    return {
      models: Object.values(this.#models),
      executionProvider: this.#options.device,
      openStreams: this.#streams.size,
      vadPending: vad?.pendingChunks ?? 0,
      vad: {
        batches: vad?.batchesRun ?? 0,
        items: vad?.chunksProcessed ?? 0,
        meanBatchSize: vad === undefined || vad.batchesRun === 0 ? 0 : vad.batchSizeSum / vad.batchesRun,
        maxBatchSize,
      },
      asr: {
        queuedLive: queue.queued.live,
        queuedFile: queue.queued.file,
        running: queue.running,
        completed: queue.completed,
        rejectedOverloaded: queue.rejected.overloaded ?? 0,
        rejectedDeadline: queue.rejected.deadline_exceeded ?? 0,
      },
    };
  }

  async close(): Promise<void> {
    await this.#queue.close();
    const [models, asr] = await Promise.all([this.#vad, this.#asr]);
    if (models !== null) {
      await models.batcher.close();
      await models.vad.close();
    }
    await asr?.close();
  }
}
