import { Metadata, Server, ServerCredentials, status as grpcStatus, type ServerDuplexStream, type ServiceError } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "../../logger.js";
import { PoolError } from "../pool-error.js";
import type { InferencePoolService } from "../pool-service.js";
import { SUPPORTED_SAMPLE_RATES, type PoolOutput, type SampleRate } from "../pool-types.js";
import type { AudioIn__Output } from "./generated/engine/inference/v1/AudioIn.js";
import type { AudioOut } from "./generated/engine/inference/v1/AudioOut.js";
import type { InferenceHandlers } from "./generated/engine/inference/v1/Inference.js";
import type { PoolStatus } from "./generated/engine/inference/v1/PoolStatus.js";
import { loadInferenceProto } from "./proto.js";

export interface PoolServerOptions {
  host: string;
  port: number;
  /** Largest gRPC message either way; a whole recording (10 min at 48 kHz) fits. */
  maxMessageBytes: number;
  /** The service name health checks report under (the empty name always reports too). */
  healthServiceName: string;
}

export const DEFAULT_POOL_SERVER_OPTIONS: PoolServerOptions = {
  host: "127.0.0.1",
  port: 0,
  maxMessageBytes: 64 * 1024 * 1024,
  healthServiceName: "engine.inference.v1.Inference",
};

/** Bounds on what one StreamAudio message may carry. */
const MAX_ID_CHARS = 128;
const MAX_CHUNK_BYTES = 64 * 1024;

export interface RunningPoolServer {
  port: number;
  /** `host:port` for INFERENCE_URLS. */
  address: string;
  /** Stops accepting calls, ends open ones, then resolves. */
  close(): Promise<void>;
}

function toWire(output: PoolOutput): AudioOut {
  switch (output.kind) {
    case "speech":
      return { speech: { stream_id: output.streamId, kind: output.event === "started" ? "STARTED" : "ENDED", at_ms: output.atMs } };
    case "transcript":
      return {
        transcript: {
          stream_id: output.streamId,
          segment_id: output.segmentId,
          text: output.text,
          start_ms: output.startMs,
          end_ms: output.endMs,
          final: output.final,
          timings: { queue_ms: output.timings.queueMs, asr_ms: output.timings.asrMs, total_ms: output.timings.totalMs },
        },
      };
    case "error":
      return { error: { stream_id: output.streamId, code: output.code, message: output.message } };
    case "closed":
      return { closed: { stream_id: output.streamId } };
  }
}

function isSampleRate(value: number): value is SampleRate {
  return (SUPPORTED_SAMPLE_RATES as readonly number[]).includes(value);
}

function validId(value: string): boolean {
  return value.length > 0 && value.length <= MAX_ID_CHARS;
}

function grpcCodeOf(error: unknown): grpcStatus {
  if (!(error instanceof PoolError)) return grpcStatus.INTERNAL;
  switch (error.code) {
    case "model_unavailable":
      return grpcStatus.UNAVAILABLE;
    case "overloaded":
      return grpcStatus.RESOURCE_EXHAUSTED;
    case "deadline_exceeded":
      return grpcStatus.DEADLINE_EXCEEDED;
    case "invalid_audio":
    case "recording_too_long":
      return grpcStatus.INVALID_ARGUMENT;
    default:
      return grpcStatus.INTERNAL;
  }
}

/** A gRPC error whose details carry the pool's stable code; the client maps it back by that code. */
function toServiceError(error: unknown): Partial<ServiceError> {
  const code = error instanceof PoolError ? error.code : "internal";
  const message = error instanceof Error ? error.message : "internal error";
  return { code: grpcCodeOf(error), details: `${code}: ${message}` };
}

/** Serves the pool over gRPC: StreamAudio, Transcribe, GetStatus and the standard health service. */
export async function startPoolServer(
  pool: InferencePoolService,
  logger: Logger,
  options: Partial<PoolServerOptions> = {},
): Promise<RunningPoolServer> {
  const settings = { ...DEFAULT_POOL_SERVER_OPTIONS, ...options };
  const proto = loadInferenceProto();
  const server = new Server({
    "grpc.max_receive_message_length": settings.maxMessageBytes,
    "grpc.max_send_message_length": settings.maxMessageBytes,
  });
  const health = new HealthImplementation({ "": "SERVING", [settings.healthServiceName]: "SERVING" });
  health.addToServer(server);
  const calls = new Set<ServerDuplexStream<AudioIn__Output, AudioOut>>();

  const handlers: InferenceHandlers = {
    StreamAudio(call) {
      calls.add(call);
      // Tells the client at once that the pool accepted the call (its link counts as connected from here).
      call.sendMetadata(new Metadata());
      const log = logger.child({ rpc: "StreamAudio" });
      const reply = (output: PoolOutput) => {
        if (!call.writableEnded && !call.destroyed) call.write(toWire(output));
      };
      const session = pool.openAudioSession(reply);
      const refuse = (streamId: string, message: string) =>
        reply({ kind: "error", streamId, code: "invalid_audio", message });
      call.on("data", (message: AudioIn__Output) => {
        if (message.open) {
          const open = message.open;
          if (!validId(open.stream_id) || !validId(open.session_id) || !validId(open.participant_id)) {
            refuse(open.stream_id, "stream, session and participant ids need 1–128 characters");
          } else if (!isSampleRate(open.sample_rate)) {
            refuse(open.stream_id, `sample rate ${open.sample_rate} is not one of ${SUPPORTED_SAMPLE_RATES.join(", ")}`);
          } else {
            session.open({
              streamId: open.stream_id,
              sessionId: open.session_id,
              participantId: open.participant_id,
              sampleRate: open.sample_rate,
              offsetMs: open.offset_ms,
              ...(open.tutor_id === "" ? {} : { tutorId: open.tutor_id }),
            });
          }
        } else if (message.chunk) {
          const chunk = message.chunk;
          if (chunk.pcm16.byteLength > MAX_CHUNK_BYTES) refuse(chunk.stream_id, `a chunk is limited to ${MAX_CHUNK_BYTES} bytes`);
          else session.chunk(chunk.stream_id, chunk.seq, chunk.pcm16);
        } else if (message.close) {
          session.close(message.close.stream_id);
        }
      });
      const finish = () => {
        if (!calls.delete(call)) return;
        session.end();
        if (!call.writableEnded) call.end();
        log.debug("audio call ended");
      };
      call.on("end", finish);
      call.on("cancelled", finish);
      call.on("error", (error) => {
        log.warn({ err: error }, "audio call failed");
        finish();
      });
    },

    Transcribe(call, callback) {
      const { pcm16, sample_rate: sampleRate } = call.request;
      if (!isSampleRate(sampleRate)) {
        callback(toServiceError(new PoolError("invalid_audio", `sample rate ${sampleRate} is not supported`)));
        return;
      }
      pool.transcribe(pcm16, sampleRate).then(
        (result) =>
          callback(null, {
            text: result.text,
            segments: result.segments.map((s) => ({ text: s.text, start_ms: s.startMs, end_ms: s.endMs })),
            duration_ms: result.durationMs,
            timings: { vad_ms: result.timings.vadMs, asr_ms: result.timings.asrMs, total_ms: result.timings.totalMs },
          }),
        (error: unknown) => callback(toServiceError(error)),
      );
    },

    GetStatus(_call, callback) {
      const s = pool.status();
      const reply: PoolStatus = {
        models: s.models.map((m) => ({ name: m.name, loaded: m.loaded, error: m.error ?? "" })),
        execution_provider: s.executionProvider,
        open_streams: s.openStreams,
        vad_pending: s.vadPending,
        vad: {
          batches: s.vad.batches,
          items: s.vad.items,
          mean_batch_size: s.vad.meanBatchSize,
          max_batch_size: s.vad.maxBatchSize,
          size_buckets: s.vad.sizeBuckets.map((b) => ({ upper_bound: b.le, count: b.count })),
          run_ms_total: s.vad.runMsTotal,
          run_ms_buckets: s.vad.runMsBuckets.map((b) => ({ upper_bound: b.le, count: b.count })),
        },
        asr: {
          queued_live: s.asr.queuedLive,
          queued_file: s.asr.queuedFile,
          running: s.asr.running,
          completed: s.asr.completed,
          rejected_overloaded: s.asr.rejectedOverloaded,
          rejected_deadline: s.asr.rejectedDeadline,
        },
      };
      callback(null, reply);
    },
  };
  server.addService(proto.engine.inference.v1.Inference.service, handlers);

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
        health.setStatus("", "NOT_SERVING");
        health.setStatus(settings.healthServiceName, "NOT_SERVING");
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
