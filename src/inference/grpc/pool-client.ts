import { credentials, status as grpcStatus, type CallOptions, type ClientUnaryCall, type ServiceError } from "@grpc/grpc-js";
import { z } from "zod";
import type { DeepfakeResult, EnhanceImageRequest, EnhanceImageResult, ImageCallOptions, ImageFacesResult } from "../image-types.js";
import { checkEnhanceRequest } from "../images/enhance-check.js";
import { AbortedError, PoolError } from "../pool-error.js";
import type { PoolStatusView } from "../pool-service.js";
import type { TranscribeRequest } from "./generated/engine/inference/v1/TranscribeRequest.js";
import type { TranscribeResponse__Output } from "./generated/engine/inference/v1/TranscribeResponse.js";
import { POOL_ERROR_CODES, type PoolOutput, type SynthesisOptions, type SynthesisRequest, type SynthesisResult, type TranscribeResult } from "../pool-types.js";
import { checkSynthesis } from "../tts/synthesis-check.js";
import type { AudioOut__Output } from "./generated/engine/inference/v1/AudioOut.js";
import type { InferenceClient } from "./generated/engine/inference/v1/Inference.js";
import { deepfakeResultFromWire, enhanceRequestToWire, enhanceResultFromWire, facesResultFromWire } from "./image-wire.js";
import { bearerInterceptor } from "./pool-auth.js";
import { loadInferenceProto } from "./proto.js";
import { statusFromWire } from "./status-wire.js";
import { synthesisRequestToWire, synthesisResultFromWire } from "./synthesis-wire.js";

export interface PoolClientOptions {
  /** INFERENCE_TOKEN: sent on every call as `authorization: Bearer <token>`. */
  token: string;
  maxMessageBytes: number;
  /** Deadline of unary calls (Transcribe can take a while for a long recording). */
  transcribeTimeoutMs: number;
  /** Deadline of a Synthesize call; the pool refuses a request not started by then (`deadline_exceeded`). */
  synthesizeTimeoutMs: number;
  /** Deadline of DetectFaces and DetectDeepfake; the pool refuses one not started by then (`deadline_exceeded`). */
  imageTimeoutMs: number;
  /** Deadline of EnhanceImage (×4 of 512×512 takes seconds, and each waits for those queued before it). */
  enhanceTimeoutMs: number;
  statusTimeoutMs: number;
  /** The channel's own reconnection backoff to a pool that went away: first wait, and its cap. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export const DEFAULT_POOL_CLIENT_OPTIONS: Omit<PoolClientOptions, "token"> = {
  // The largest WAV upload the API takes (64 MiB) and its framing.
  maxMessageBytes: 64 * 1024 * 1024 + 64 * 1024,
  transcribeTimeoutMs: 120_000,
  // One sentence takes ≈ 0.1 s; past this a spoken reply is too late to be worth playing.
  synthesizeTimeoutMs: 15_000,
  imageTimeoutMs: 30_000,
  enhanceTimeoutMs: 120_000,
  statusTimeoutMs: 5_000,
  reconnectMinMs: 200,
  reconnectMaxMs: 2_000,
};

/** A unary stub of the generated client: request, call options, callback; the call it returns can be cancelled. */
type UnaryStub<Req, Res> = (request: Req, options: CallOptions, callback: (error: ServiceError | null, response?: Res) => void) => ClientUnaryCall;

const poolErrorCode = z.enum(POOL_ERROR_CODES);

/** The server puts `<code>: <message>` in the details; anything else (pool down) is `model_unavailable`, retryable. */
export function poolErrorFromGrpc(error: ServiceError): PoolError {
  // A refused token is this engine's configuration, not its caller's: to them the pool is unavailable.
  if (error.code === grpcStatus.UNAUTHENTICATED) {
    return new PoolError("model_unavailable", "the inference pool refused this engine's INFERENCE_TOKEN", { cause: error });
  }
  const match = /^([a-z_]+): (.*)$/s.exec(error.details);
  const code = poolErrorCode.safeParse(match?.[1]);
  if (code.success) return new PoolError(code.data, match?.[2] ?? error.details, { cause: error });
  if (error.code === grpcStatus.DEADLINE_EXCEEDED) return new PoolError("deadline_exceeded", "the pool did not answer in time", { cause: error });
  return new PoolError("model_unavailable", `the inference pool is unreachable (${error.details})`, { cause: error });
}

/**
 * The call never reached a pool that answered it (refused, reset, the pool died with it): UNAVAILABLE from the
 * transport, not a pool's own coded `model_unavailable`. Such a call may be sent to another pool.
 */
export function isPoolUnreachable(error: unknown): boolean {
  if (!(error instanceof PoolError) || error.code !== "model_unavailable") return false;
  const cause: unknown = error.cause;
  if (typeof cause !== "object" || cause === null || !("code" in cause) || cause.code !== grpcStatus.UNAVAILABLE) return false;
  const details = "details" in cause && typeof cause.details === "string" ? cause.details : "";
  return !/^[a-z_]+: /.test(details);
}

export function outputFromWire(message: AudioOut__Output): PoolOutput | null {
  if (message.speech) {
    return { kind: "speech", streamId: message.speech.stream_id, event: message.speech.kind === "ENDED" ? "ended" : "started", atMs: message.speech.at_ms };
  }
  if (message.transcript) {
    const t = message.transcript;
    return {
      kind: "transcript",
      streamId: t.stream_id,
      segmentId: t.segment_id,
      text: t.text,
      startMs: t.start_ms,
      endMs: t.end_ms,
      final: t.final,
      timings: { queueMs: t.timings?.queue_ms ?? 0, asrMs: t.timings?.asr_ms ?? 0, totalMs: t.timings?.total_ms ?? 0 },
    };
  }
  if (message.error) {
    const code = poolErrorCode.safeParse(message.error.code);
    const segmentId = message.error.segment_id;
    return {
      kind: "error",
      streamId: message.error.stream_id,
      code: code.success ? code.data : "internal",
      message: message.error.message,
      ...(segmentId === "" ? {} : { segmentId }),
    };
  }
  if (message.closed) return { kind: "closed", streamId: message.closed.stream_id };
  return null;
}

/** A connection to one pool worker (`host:port`). */
export class PoolClient {
  readonly address: string;
  readonly grpc: InferenceClient;
  readonly #options: PoolClientOptions;

  constructor(address: string, options: Partial<PoolClientOptions> & Pick<PoolClientOptions, "token">) {
    this.address = address;
    this.#options = { ...DEFAULT_POOL_CLIENT_OPTIONS, ...options };
    const proto = loadInferenceProto();
    this.grpc = new proto.engine.inference.v1.Inference(address, credentials.createInsecure(), {
      "grpc.max_receive_message_length": this.#options.maxMessageBytes,
      "grpc.max_send_message_length": this.#options.maxMessageBytes,
      // Every call made through `grpc` (StreamAudio of the audio links included) carries the token.
      interceptors: [bearerInterceptor(this.#options.token)],
      // A pool that comes back is seen within ≈ 2 s (grpc-js' own default backs off up to 120 s): health checks and
      // links fail fast meanwhile (no waitForReady), so a quick reconnect costs one connection attempt each time.
      "grpc.initial_reconnect_backoff_ms": this.#options.reconnectMinMs,
      "grpc.max_reconnect_backoff_ms": this.#options.reconnectMaxMs,
    });
  }

  transcribe(pcm16: Uint8Array, sampleRate: number): Promise<TranscribeResult> {
    return this.#transcribe({ pcm16, sample_rate: sampleRate });
  }

  /** The pool decodes the file (`invalid_audio` when it is not a WAV it reads). */
  transcribeWav(wav: Uint8Array): Promise<TranscribeResult> {
    return this.#transcribe({ wav });
  }

  #transcribe(request: TranscribeRequest): Promise<TranscribeResult> {
    return this.#unary("Transcribe", this.grpc.Transcribe.bind(this.grpc), request, this.#options.transcribeTimeoutMs, undefined, (response: TranscribeResponse__Output) => ({
      text: response.text,
      segments: response.segments.map((s) => ({ text: s.text, startMs: s.start_ms, endMs: s.end_ms })),
      durationMs: response.duration_ms,
      timings: { vadMs: response.timings?.vad_ms ?? 0, asrMs: response.timings?.asr_ms ?? 0, totalMs: response.timings?.total_ms ?? 0 },
    }));
  }

  /**
   * One sentence → speech. Checked here first (`invalid_text` without a round trip; the voice itself by the pool).
   * `signal` aborting cancels the call: the pool drops the request (never run if still queued) and this rejects
   * with `AbortedError` (code `ABORT_ERR`).
   */
  synthesize(request: SynthesisRequest, options: SynthesisOptions = {}): Promise<SynthesisResult> {
    const { signal } = options;
    if (signal?.aborted === true) return Promise.reject(new AbortedError());
    try {
      checkSynthesis(request);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new PoolError("invalid_text", String(error)));
    }
    return this.#unary("Synthesize", this.grpc.Synthesize.bind(this.grpc), synthesisRequestToWire(request), this.#options.synthesizeTimeoutMs, signal, synthesisResultFromWire);
  }

  /** The faces of one JPEG or PNG (`invalid_image` when it is not one the pool reads). */
  detectFaces(image: Uint8Array, options: ImageCallOptions = {}): Promise<ImageFacesResult> {
    return this.#unary("DetectFaces", this.grpc.DetectFaces.bind(this.grpc), { image }, this.#options.imageTimeoutMs, options.signal, facesResultFromWire);
  }

  /** Checked here first (format, quality, scale's shape: `invalid_image` without a round trip); the image by the pool. */
  enhanceImage(request: EnhanceImageRequest, options: ImageCallOptions = {}): Promise<EnhanceImageResult> {
    try {
      checkEnhanceRequest(request);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new PoolError("invalid_image", String(error)));
    }
    const wire = enhanceRequestToWire(request);
    return this.#unary("EnhanceImage", this.grpc.EnhanceImage.bind(this.grpc), wire, this.#options.enhanceTimeoutMs, options.signal, enhanceResultFromWire);
  }

  detectDeepfake(image: Uint8Array, options: ImageCallOptions = {}): Promise<DeepfakeResult> {
    return this.#unary("DetectDeepfake", this.grpc.DetectDeepfake.bind(this.grpc), { image }, this.#options.imageTimeoutMs, options.signal, deepfakeResultFromWire);
  }

  /**
   * One unary call with a deadline `timeoutMs` away; `signal` aborting cancels it (the pool drops the request) and
   * rejects `AbortedError`. An answer `fromWire` cannot read rejects with its error.
   */
  #unary<Req, Res, T>(rpc: string, stub: UnaryStub<Req, Res>, request: Req, timeoutMs: number, signal: AbortSignal | undefined, fromWire: (response: Res) => T): Promise<T> {
    if (signal?.aborted === true) return Promise.reject(new AbortedError());
    return new Promise((resolve, reject) => {
      const call = stub(request, { deadline: Date.now() + timeoutMs }, (error, response) => {
        signal?.removeEventListener("abort", cancel);
        if (signal?.aborted === true) return reject(new AbortedError());
        if (error) return reject(poolErrorFromGrpc(error));
        if (response === undefined) return reject(new PoolError("internal", `empty ${rpc} response`));
        try {
          resolve(fromWire(response));
        } catch (decodeError) {
          reject(decodeError instanceof Error ? decodeError : new PoolError("internal", String(decodeError)));
        }
      });
      const cancel = () => call.cancel();
      signal?.addEventListener("abort", cancel, { once: true });
    });
  }

  status(): Promise<PoolStatusView> {
    return new Promise((resolve, reject) => {
      this.grpc.GetStatus({}, { deadline: Date.now() + this.#options.statusTimeoutMs }, (error, s) => {
        if (error) return reject(poolErrorFromGrpc(error));
        if (s === undefined) return reject(new PoolError("internal", "empty GetStatus response"));
        resolve(statusFromWire(s));
      });
    });
  }

  close(): void {
    this.grpc.close();
  }
}
