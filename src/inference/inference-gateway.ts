import type { Logger } from "../logger.js";
import { AudioLink, type AudioLinkEvents } from "./grpc/audio-link.js";
import { PoolClient } from "./grpc/pool-client.js";
import { VideoLink, type VideoLinkEvents } from "./grpc/video-link.js";
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
  close(): void;
}

/**
 * Pool workers over gRPC (`host:port` each), every call carrying INFERENCE_TOKEN; each new room link goes to the
 * next worker in turn.
 */
export class GrpcInferenceGateway implements InferenceGateway {
  readonly #clients: PoolClient[];
  #next = 0;

  constructor(addresses: readonly string[], token: string) {
    if (addresses.length === 0) throw new Error("at least one inference pool address is needed");
    this.#clients = addresses.map((address) => new PoolClient(address, { token }));
  }

  #pick(): PoolClient {
    const client = this.#clients[this.#next % this.#clients.length];
    this.#next += 1;
    if (client === undefined) throw new Error("no inference pool client");
    return client;
  }

  openAudioLink(events: AudioLinkEvents, logger: Logger): AudioLinkHandle {
    return new AudioLink(this.#pick(), events, logger);
  }

  openVideoLink(events: VideoLinkEvents, logger: Logger): VideoLinkHandle {
    return new VideoLink(this.#pick(), events, logger);
  }

  transcribe(pcm16: Uint8Array, sampleRate: number): Promise<TranscribeResult> {
    return this.#pick().transcribe(pcm16, sampleRate);
  }

  transcribeWav(wav: Uint8Array): Promise<TranscribeResult> {
    return this.#pick().transcribeWav(wav);
  }

  synthesize(request: SynthesisRequest, options?: SynthesisOptions): Promise<SynthesisResult> {
    return this.#pick().synthesize(request, options);
  }

  detectFaces(image: Uint8Array, options?: ImageCallOptions): Promise<ImageFacesResult> {
    return this.#pick().detectFaces(image, options);
  }

  enhanceImage(request: EnhanceImageRequest, options?: ImageCallOptions): Promise<EnhanceImageResult> {
    return this.#pick().enhanceImage(request, options);
  }

  detectDeepfake(image: Uint8Array, options?: ImageCallOptions): Promise<DeepfakeResult> {
    return this.#pick().detectDeepfake(image, options);
  }

  status(): Promise<PoolStatusView> {
    return this.#pick().status();
  }

  statusOfEach(): Promise<PoolStatusView>[] {
    return this.#clients.map((client) => client.status());
  }

  close(): void {
    for (const client of this.#clients) client.close();
  }
}
