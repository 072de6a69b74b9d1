import {
  Server,
  ServerCredentials,
  status as grpcStatus,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerUnaryCall,
} from "@grpc/grpc-js";
import { ConfigError } from "../../env-fields.js";
import type { Logger } from "../../logger.js";
import { isAborted, PoolError } from "../pool-error.js";
import type { AudioSessionHandle, InferencePoolService } from "../pool-service.js";
import { poolErrorCodeOf, SUPPORTED_SAMPLE_RATES, type PoolOutput, type TranscribeResult } from "../pool-types.js";
import type { AudioIn__Output } from "./generated/engine/inference/v1/AudioIn.js";
import type { DeepfakeResponse } from "./generated/engine/inference/v1/DeepfakeResponse.js";
import type { EnhanceRequest__Output } from "./generated/engine/inference/v1/EnhanceRequest.js";
import type { EnhanceResponse } from "./generated/engine/inference/v1/EnhanceResponse.js";
import type { ImageFaces } from "./generated/engine/inference/v1/ImageFaces.js";
import type { ImageRequest__Output } from "./generated/engine/inference/v1/ImageRequest.js";
import type { AudioOut } from "./generated/engine/inference/v1/AudioOut.js";
import type { PoolStatus } from "./generated/engine/inference/v1/PoolStatus.js";
import type { SynthesizeRequest__Output } from "./generated/engine/inference/v1/SynthesizeRequest.js";
import type { SynthesizeResponse } from "./generated/engine/inference/v1/SynthesizeResponse.js";
import type { TranscribeRequest__Output } from "./generated/engine/inference/v1/TranscribeRequest.js";
import type { TranscribeResponse } from "./generated/engine/inference/v1/TranscribeResponse.js";
import { deepfakeResultToWire, enhanceRequestFromWire, enhanceResultToWire, facesResultToWire } from "./image-wire.js";
import { isMalformed, malformedReason, withLenientDecoding, type Malformed } from "./lenient-decoding.js";
import { authServerInterceptor, MIN_INFERENCE_TOKEN_CHARS } from "./pool-auth.js";
import { isSampleRate, openFromWire, serviceError, stagesFromWire, toServiceError, toWire, vadFromWire } from "./pool-wire.js";
import { loadInferenceProto } from "./proto.js";
import { ServerCounters } from "./server-counters.js";
import { statusToWire } from "./status-wire.js";
import { synthesisRequestFromWire, synthesisResultToWire } from "./synthesis-wire.js";
import { exactUint64, MAX_ID_CHARS, MAX_STREAM_ID_CHARS, validId } from "./stream-limits.js";
import { serveMediaCall } from "./media-call.js";
import { serveVideoCall } from "./video-call.js";
import { PoolHealthService } from "./pool-health.js";

export interface PoolServerOptions {
  host: string;
  port: number;
  /**
   * Largest gRPC message either way: a whole recording (10 min at 48 kHz) fits, so do a 4 MB image in and
   * EnhanceImage's largest answer out (a 2048×2048 PNG, ≈ 12.6 MB at worst).
   */
  maxMessageBytes: number;
  /** The service name health checks report under (the empty name always reports too). */
  healthServiceName: string;
  /** INFERENCE_TOKEN: the bearer secret every call of the Inference service must carry (≥ 32 characters). */
  token: string;
}

export const DEFAULT_POOL_SERVER_OPTIONS: Omit<PoolServerOptions, "token"> = {
  host: "127.0.0.1",
  port: 0,
  // The largest WAV upload the API takes (64 MiB) and its framing.
  maxMessageBytes: 64 * 1024 * 1024 + 64 * 1024,
  healthServiceName: "engine.inference.v1.Inference",
};

/** The most audio one StreamAudio chunk may carry. */
const MAX_CHUNK_BYTES = 64 * 1024;
/** Calls of this service need the token; grpc.health.v1 stays open (it tells only SERVING / NOT_SERVING). */
const PROTECTED_PREFIX = "/engine.inference.v1.Inference/";

export interface RunningPoolServer {
  port: number;
  /** `host:port` for INFERENCE_URLS. */
  address: string;
  /** Stops accepting calls, ends open ones, then resolves. */
  close(): Promise<void>;
}

/**
 * A unary call's hold on its work: `signal` aborts once the call is cancelled (by its client, or past its deadline),
 * so queued work is dropped unrun; `deadlineMs` is the call's own deadline, when it has one.
 */
function callHold(call: ServerUnaryCall<unknown, unknown>): { signal: AbortSignal; deadlineMs?: number } {
  const cancelled = new AbortController();
  call.once("cancelled", () => cancelled.abort());
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  return { signal: cancelled.signal, ...(Number.isFinite(deadlineMs) ? { deadlineMs } : {}) };
}

/** The stream a message concerns, for answering it; "" when it has none (the error then concerns the call). */
function streamIdOf(message: AudioIn__Output | Malformed): string {
  if (isMalformed(message)) return "";
  return message.open?.stream_id ?? message.chunk?.stream_id ?? message.close?.stream_id ?? "";
}

/**
 * Serves the pool over gRPC: StreamAudio, StreamVideo, Transcribe, Synthesize, DetectFaces, EnhanceImage,
 * DetectDeepfake, GetStatus (each behind the token) and the standard health
 * service. No input reaches the process as an exception: bad messages get the pool's stable codes, and anything a
 * handler throws is logged, counted and answered `internal` to that call or stream alone.
 */
export async function startPoolServer(
  pool: InferencePoolService,
  logger: Logger,
  options: Partial<PoolServerOptions> & Pick<PoolServerOptions, "token">,
): Promise<RunningPoolServer> {
  const settings = { ...DEFAULT_POOL_SERVER_OPTIONS, ...options };
  if (settings.token.length < MIN_INFERENCE_TOKEN_CHARS) {
    throw new ConfigError(`invalid configuration: INFERENCE_TOKEN: must be at least ${MIN_INFERENCE_TOKEN_CHARS} characters`);
  }
  const counters = new ServerCounters(logger.child({ component: "pool-server" }));
  const proto = loadInferenceProto();
  const server = new Server({
    "grpc.max_receive_message_length": settings.maxMessageBytes,
    "grpc.max_send_message_length": settings.maxMessageBytes,
    interceptors: [authServerInterceptor(settings.token, [PROTECTED_PREFIX], () => counters.unauthenticated())],
  });
  // "", the service name and one name per configured task (SERVING once its model is loaded): engines place streams
  // by it and move them off a pool that stops serving.
  const health = new PoolHealthService(server, pool, logger.child({ component: "pool-health" }), { serviceName: settings.healthServiceName });
  /** Open media calls, ended when the server closes. */
  const calls = new Set<{ end(): void }>();

  /** Runs a unary handler's body: its result, its PoolError's code, or `internal` for anything unexpected. */
  function answerUnary<T>(rpc: string, callback: sendUnaryData<T>, body: () => T | Promise<T>): void {
    const respond = (...args: Parameters<sendUnaryData<T>>) => {
      try {
        callback(...args);
      } catch (error) {
        counters.fault(rpc, error);
      }
    };
    Promise.resolve()
      .then(body)
      .then(
        (value) => respond(null, value),
        (error: unknown) => {
          // A queue's refusal (AsrQueueError: overloaded, deadline_exceeded) carries a pool code as a PoolError does.
          if (error instanceof PoolError || poolErrorCodeOf(error) !== "internal") return respond(toServiceError(error));
          // The caller cancelled: nobody reads this answer, and it is no fault of the handler.
          if (isAborted(error)) return respond({ code: grpcStatus.CANCELLED, details: "cancelled by the caller" });
          respond(serviceError("internal", counters.fault(rpc, error)));
        },
      );
  }

  /** A unary request that decoded, or its refusal (`code`), counted as malformed. */
  function decoded<T>(request: T | Malformed, type: string, code: "invalid_audio" | "invalid_text" | "invalid_image"): T {
    if (!isMalformed(request)) return request;
    counters.malformed();
    throw new PoolError(code, `the request did not decode as ${type} (${malformedReason(request)})`);
  }

  function streamAudio(call: ServerDuplexStream<AudioIn__Output | Malformed, AudioOut>): void {
    const refuse = (reply: (output: PoolOutput) => void, streamId: string, message: string) =>
      reply({ kind: "error", streamId, code: "invalid_audio", message });
    serveMediaCall<AudioIn__Output, PoolOutput, AudioSessionHandle>(call, {
      rpc: "StreamAudio",
      counters,
      calls,
      log: logger.child({ rpc: "StreamAudio" }),
      open: (reply) => pool.openAudioSession(reply),
      toWire,
      internal: (message, detail) => ({ kind: "error", streamId: streamIdOf(message), code: "internal", message: detail }),
      handle(session, message, reply) {
        if (isMalformed(message)) {
          counters.malformed();
          return refuse(reply, "", `the message did not decode as AudioIn (${malformedReason(message)})`);
        }
        if (message.open) {
          const open = message.open;
          if (!validId(open.stream_id, MAX_STREAM_ID_CHARS) || !validId(open.session_id) || !validId(open.participant_id)) {
            refuse(reply, open.stream_id, `stream ids need 1–${MAX_STREAM_ID_CHARS} characters, session and participant ids 1–${MAX_ID_CHARS}`);
          } else if (!exactUint64(open.offset_ms)) {
            refuse(reply, open.stream_id, "offset_ms must be below 2^53");
          } else if (!isSampleRate(open.sample_rate)) {
            refuse(reply, open.stream_id, `sample rate ${open.sample_rate} is not one of ${SUPPORTED_SAMPLE_RATES.join(", ")}`);
          } else {
            const stages = stagesFromWire(open.stages);
            const vad = vadFromWire(open.vad);
            // A stage this pool cannot even name is a model it does not have (a newer engine's): not opened.
            if ("refused" in stages) reply({ kind: "error", streamId: open.stream_id, code: "model_unavailable", message: stages.refused });
            else if ("refused" in vad) refuse(reply, open.stream_id, vad.refused);
            else session.open(openFromWire(open, open.sample_rate, stages.stages, vad.vad));
          }
        } else if (message.chunk) {
          const chunk = message.chunk;
          if (chunk.pcm16.byteLength > MAX_CHUNK_BYTES) refuse(reply, chunk.stream_id, `a chunk is limited to ${MAX_CHUNK_BYTES} bytes`);
          else if (!exactUint64(chunk.seq)) refuse(reply, chunk.stream_id, "a chunk's seq must be below 2^53");
          else session.chunk(chunk.stream_id, chunk.seq, chunk.pcm16);
        } else if (message.close) {
          session.close(message.close.stream_id);
        } else {
          counters.malformed();
          refuse(reply, "", "an AudioIn carries one of open, chunk or close");
        }
      },
    });
  }

  // Typed for what the lenient decoders hand over (a `Malformed` marker included); grpc-js takes any handler map.
  const handlers = {
    StreamAudio: streamAudio,
    StreamVideo: (call: Parameters<typeof serveVideoCall>[0]) => serveVideoCall(call, { pool, counters, calls, logger }),
    Transcribe(call: ServerUnaryCall<TranscribeRequest__Output | Malformed, TranscribeResponse>, callback: sendUnaryData<TranscribeResponse>) {
      answerUnary("Transcribe", callback, async () => {
        const { pcm16, sample_rate: sampleRate, wav } = decoded(call.request, "TranscribeRequest", "invalid_audio");
        let result: TranscribeResult;
        if (wav.byteLength > 0) {
          if (pcm16.byteLength > 0) throw new PoolError("invalid_audio", "a TranscribeRequest carries pcm16 or wav, not both");
          result = await pool.transcribeWav(wav);
        } else {
          if (!isSampleRate(sampleRate)) throw new PoolError("invalid_audio", `sample rate ${sampleRate} is not supported`);
          result = await pool.transcribe(pcm16, sampleRate);
        }
        return {
          text: result.text,
          segments: result.segments.map((s) => ({ text: s.text, start_ms: s.startMs, end_ms: s.endMs })),
          duration_ms: result.durationMs,
          timings: { vad_ms: result.timings.vadMs, asr_ms: result.timings.asrMs, total_ms: result.timings.totalMs },
        };
      });
    },
    Synthesize(call: ServerUnaryCall<SynthesizeRequest__Output | Malformed, SynthesizeResponse>, callback: sendUnaryData<SynthesizeResponse>) {
      // The call cancelled (by its client, or past its deadline) drops its request: never run if still queued.
      const hold = callHold(call);
      answerUnary("Synthesize", callback, async () => {
        const request = decoded(call.request, "SynthesizeRequest", "invalid_text");
        return synthesisResultToWire(await pool.synthesize(synthesisRequestFromWire(request), hold));
      });
    },
    DetectFaces(call: ServerUnaryCall<ImageRequest__Output | Malformed, ImageFaces>, callback: sendUnaryData<ImageFaces>) {
      const hold = callHold(call);
      answerUnary("DetectFaces", callback, async () => {
        const { image } = decoded(call.request, "ImageRequest", "invalid_image");
        return facesResultToWire(await pool.detectFaces(image, hold));
      });
    },
    EnhanceImage(call: ServerUnaryCall<EnhanceRequest__Output | Malformed, EnhanceResponse>, callback: sendUnaryData<EnhanceResponse>) {
      const hold = callHold(call);
      answerUnary("EnhanceImage", callback, async () => {
        const request = enhanceRequestFromWire(decoded(call.request, "EnhanceRequest", "invalid_image"));
        return enhanceResultToWire(await pool.enhanceImage(request, hold));
      });
    },
    DetectDeepfake(call: ServerUnaryCall<ImageRequest__Output | Malformed, DeepfakeResponse>, callback: sendUnaryData<DeepfakeResponse>) {
      const hold = callHold(call);
      answerUnary("DetectDeepfake", callback, async () => {
        const { image } = decoded(call.request, "ImageRequest", "invalid_image");
        return deepfakeResultToWire(await pool.detectDeepfake(image, hold));
      });
    },
    // Its request has no fields, so one that does not decode is answered all the same.
    GetStatus(_call: ServerUnaryCall<unknown, PoolStatus>, callback: sendUnaryData<PoolStatus>) {
      answerUnary("GetStatus", callback, () => statusToWire({ ...pool.status(), server: counters.view() }));
    },
  };
  server.addService(withLenientDecoding(proto.engine.inference.v1.Inference.service), handlers);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${settings.host}:${settings.port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  const address = `${settings.host.includes(":") ? `[${settings.host}]` : settings.host}:${port}`;
  logger.info({ address }, "inference pool listening");

  let closing: Promise<void> | null = null;
  return {
    port,
    address,
    close() {
      closing ??= (async () => {
        health.notServing();
        for (const call of calls) call.end();
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => server.forceShutdown(), 2_000);
          server.tryShutdown(() => {
            clearTimeout(force);
            resolve();
          });
        });
      })();
      return closing;
    },
  };
}
