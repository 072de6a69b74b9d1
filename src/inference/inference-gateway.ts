import { createLogger, type Logger } from "../logger.js";
import { AudioLink, type AudioLinkEvents, type AudioLinkOptions } from "./grpc/audio-link.js";
import { isPoolUnreachable, PoolClient } from "./grpc/pool-client.js";
import { PoolMonitor, type FailoverCounters, type PoolHealthView, type PoolMonitorOptions } from "./grpc/pool-monitor.js";
import { VideoLink, type VideoLinkEvents } from "./grpc/video-link.js";
import type { ModelTask } from "./registry/model-module.js";
import type { DeepfakeResult, EnhanceImageRequest, EnhanceImageResult, ImageCallOptions, ImageFacesResult } from "./image-types.js";
import type { PoolStatusView } from "./pool-service.js";
import type { StreamOpen, SynthesisOptions, SynthesisRequest, SynthesisResult, TranscribeResult, VideoStreamOpen } from "./pool-types.js";

/** What a room holds to stream its participants' audio: survives pool restarts, never throws at the room. */
export interface AudioLinkHandle {
  readonly connected: boolean;
  open(open: StreamOpen): void;
  /** False when refused (pool unreachable and the bounded buffer full). */
  chunk(streamId: string, seq: number, pcm16: Uint8Array): boolean;
  close(streamId: string): void;
  end(): void;
}

/** What a room holds to stream its participants' camera frames: survives pool restarts, never throws at the room. */
export interface VideoLinkHandle {
  readonly connected: boolean;
  /** Past the link's bound on streams it is refused with a `too_many_streams` error output. */
  open(open: VideoStreamOpen): void;
  /** False for a stream that is not open; while the pool is unreachable only the newest frame per stream is kept. */
  frame(streamId: string, seq: number, jpeg: Uint8Array, capturedAtMs: number): boolean;
  close(streamId: string): void;
  end(): void;
}

/**
 * The engine's way to the inference pool(s): rooms open audio and video links, the API transcribes recordings and
 * sends still images, and spoken replies are synthesized one sentence at a time.
 */
export interface InferenceGateway {
  openAudioLink(events: AudioLinkEvents, logger: Logger): AudioLinkHandle;
  openVideoLink(events: VideoLinkEvents, logger: Logger): VideoLinkHandle;
  transcribe(pcm16: Uint8Array, sampleRate: number): Promise<TranscribeResult>;
  /** A WAV file as it came: the pool decodes it (the engine's event loop never does). */
  transcribeWav(wav: Uint8Array): Promise<TranscribeResult>;
  /**
   * One sentence → 16-bit mono speech. Rejects `PoolError` (`invalid_text`, `model_unavailable`, `overloaded`,
   * `deadline_exceeded`), or `AbortedError` (code `ABORT_ERR`) once `options.signal` aborts: the pool then drops the
   * request (never run if still queued, its result discarded if running).
   */
  synthesize(request: SynthesisRequest, options?: SynthesisOptions): Promise<SynthesisResult>;
  /**
   * The faces of one still image (JPEG or PNG as it came, ≤ 4 MB and 4096×4096), each with its expression. Rejects
   * `PoolError`: `invalid_image` (not a JPEG or PNG, truncated, corrupt, over the limits), `model_unavailable`,
   * `overloaded`, `deadline_exceeded`; or `AbortedError` once `options.signal` aborts.
   */
  detectFaces(image: Uint8Array, options?: ImageCallOptions): Promise<ImageFacesResult>;
  /**
   * Super-resolution of one image (≤ 512×512) by `request.scale`, encoded as `request.format`. Rejects as
   * `detectFaces`, `invalid_image` also for a larger image, a scale the model lacks or a quality outside 1–100.
   */
  enhanceImage(request: EnhanceImageRequest, options?: ImageCallOptions): Promise<EnhanceImageResult>;
  /**
   * Per face, the probability it is synthetic or manipulated. Rejects `model_unavailable` (with the registry's
   * message, naming MODELS_DIR) unless a validated model is loaded, never a score; `invalid_image` first for bytes
   * that are not an image; else as `detectFaces`.
   */
  detectDeepfake(image: Uint8Array, options?: ImageCallOptions): Promise<DeepfakeResult>;
  status(): Promise<PoolStatusView>;
  /** Every pool's status, in configuration order (metrics keep one series per pool). */
  statusOfEach(): Promise<PoolStatusView>[];
  /** Every pool's health as last checked, its tasks and this gateway's links on it, in configuration order. */
  pools(): PoolHealthView[];
  close(): void;
}

export interface GrpcGatewayOptions {
  /** The gateway's own log lines (pool health); links log through the room's logger. */
  logger: Logger;
  /** Health changes, moved links and retried calls, for the metrics (src/metrics/failover-metrics.ts). */
  counters: FailoverCounters;
  monitor: Partial<PoolMonitorOptions>;
  audioLink: Partial<AudioLinkOptions>;
}

/** What each kind of work needs a pool to serve: placement prefers a pool reporting every one of them loaded. */
const AUDIO_TASKS: readonly ModelTask[] = ["vad", "asr"];
const VIDEO_TASKS: readonly ModelTask[] = ["face_detect", "face_expression"];

/**
 * Pool workers over gRPC (`host:port` each), every call carrying INFERENCE_TOKEN. Each pool's grpc.health.v1 is
 * watched (PoolMonitor): a new room link or request goes to the least loaded healthy pool serving its tasks; a link
 * whose pool dies or turns unhealthy moves to another healthy one and replays what that pool had not finished (see
 * AudioLink); a request that finds its pool unreachable is sent once more to another healthy pool. Every request
 * the gateway sends is safe to send twice (it changes nothing in a pool: a recording transcribed, a sentence
 * spoken, an image analysed), and only one that never got an answer is.
 */
export class GrpcInferenceGateway implements InferenceGateway {
  readonly #clients: PoolClient[];
  readonly #monitor: PoolMonitor;
  readonly #counters: FailoverCounters;
  readonly #audioLink: Partial<AudioLinkOptions>;

  constructor(addresses: readonly string[], token: string, options: Partial<GrpcGatewayOptions> = {}) {
    if (addresses.length === 0) throw new Error("at least one inference pool address is needed");
    this.#clients = addresses.map((address) => new PoolClient(address, { token }));
    this.#counters = options.counters ?? {};
    this.#audioLink = options.audioLink ?? {};
    const logger = (options.logger ?? createLogger("silent")).child({ component: "inference-gateway" });
    this.#monitor = new PoolMonitor(this.#clients, logger, this.#counters, options.monitor);
  }

  openAudioLink(events: AudioLinkEvents, logger: Logger): AudioLinkHandle {
    const counted: AudioLinkEvents = {
      ...events,
      retentionDropped: (streamId, ms) => {
        this.#counters.retentionDropped?.(ms);
        events.retentionDropped?.(streamId, ms);
      },
    };
    return new AudioLink(this.#monitor.route("audio", AUDIO_TASKS), counted, logger, this.#audioLink);
  }

  openVideoLink(events: VideoLinkEvents, logger: Logger): VideoLinkHandle {
    return new VideoLink(this.#monitor.route("video", VIDEO_TASKS), events, logger);
  }

  transcribe(pcm16: Uint8Array, sampleRate: number): Promise<TranscribeResult> {
    return this.#request("Transcribe", AUDIO_TASKS, (client) => client.transcribe(pcm16, sampleRate));
  }

  transcribeWav(wav: Uint8Array): Promise<TranscribeResult> {
    return this.#request("Transcribe", AUDIO_TASKS, (client) => client.transcribeWav(wav));
  }

  synthesize(request: SynthesisRequest, options?: SynthesisOptions): Promise<SynthesisResult> {
    return this.#request("Synthesize", ["tts"], (client) => client.synthesize(request, options));
  }

  detectFaces(image: Uint8Array, options?: ImageCallOptions): Promise<ImageFacesResult> {
    return this.#request("DetectFaces", VIDEO_TASKS, (client) => client.detectFaces(image, options));
  }

  enhanceImage(request: EnhanceImageRequest, options?: ImageCallOptions): Promise<EnhanceImageResult> {
    return this.#request("EnhanceImage", ["super_resolution"], (client) => client.enhanceImage(request, options));
  }

  detectDeepfake(image: Uint8Array, options?: ImageCallOptions): Promise<DeepfakeResult> {
    return this.#request("DetectDeepfake", ["deepfake"], (client) => client.detectDeepfake(image, options));
  }

  status(): Promise<PoolStatusView> {
    return this.#request("GetStatus", [], (client) => client.status());
  }

  statusOfEach(): Promise<PoolStatusView>[] {
    return this.#clients.map((client) => client.status());
  }

  pools(): PoolHealthView[] {
    return this.#monitor.views();
  }

  close(): void {
    this.#monitor.close();
    for (const client of this.#clients) client.close();
  }

  /**
   * One request on the pool placement picks (with none healthy, the first configured: it answers
   * `model_unavailable` at once); if that pool turns out unreachable, once more on another healthy one.
   */
  async #request<T>(rpc: string, tasks: readonly ModelTask[], send: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = this.#monitor.pick(tasks) ?? this.#monitor.after(null);
    try {
      return await send(client);
    } catch (error) {
      if (!isPoolUnreachable(error)) throw error;
      this.#monitor.unreachable(client, error instanceof Error ? error.message : String(error));
      const other = this.#monitor.pick(tasks, client);
      if (other === null || other === client) throw error;
      this.#counters.unaryRetried?.(rpc);
      return send(other);
    }
  }
}
