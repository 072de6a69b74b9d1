import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, credentials, Metadata, type ClientDuplexStream, type StatusObject } from "@grpc/grpc-js";
import type { AudioIn } from "../../src/inference/grpc/generated/engine/inference/v1/AudioIn.js";
import type { AudioOut__Output } from "../../src/inference/grpc/generated/engine/inference/v1/AudioOut.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { startPoolServer, type RunningPoolServer } from "../../src/inference/grpc/pool-server.js";
import { loadInferenceProto } from "../../src/inference/grpc/proto.js";
import type { InferencePoolService } from "../../src/inference/pool-service.js";
import type { InferencePoolOptions } from "../../src/inference/pool-options.js";
import { InferencePool } from "../../src/inference/pool.js";
import { createLogger, type Logger } from "../../src/logger.js";
import { TEST_INFERENCE_TOKEN } from "./pool-process.js";
import { FRAME_BYTES } from "./room-audio-client.js";

/** A real pool with its gRPC server on 127.0.0.1:<free port> (behind TEST_INFERENCE_TOKEN) and a client to it. */
export interface TestPool {
  pool: InferencePool;
  server: RunningPoolServer;
  client: PoolClient;
  logger: Logger;
  close(): Promise<void>;
}

export async function startTestPool(options: Partial<InferencePoolOptions> = {}): Promise<TestPool> {
  const logger = createLogger(process.env["TEST_LOG_LEVEL"] ?? "silent");
  // One Whisper lane, as the test engines have: a second lane is a second model load on two shared cores. No interim
  // captions unless a test asks (pool-interim.test.ts): they would add runs, and messages, to tests of finals.
  const pool = new InferencePool({ modelsDir: join(tmpdir(), "engine-test-models"), logger, asr: { lanes: 1 }, interim: { enabled: false }, ...options });
  const server = await serve(pool, logger);
  const client = new PoolClient(server.address, { token: TEST_INFERENCE_TOKEN });
  return {
    pool,
    server,
    client,
    logger,
    async close() {
      client.close();
      await server.close();
      await pool.close();
    },
  };
}

/** Another server in front of `pool` (a wrapper of the real pool, say), behind the same token. */
export function serve(pool: InferencePoolService, logger: Logger): Promise<RunningPoolServer> {
  return startPoolServer(pool, logger, { host: "127.0.0.1", port: 0, token: TEST_INFERENCE_TOKEN });
}

/** A StreamAudio call: what it received, its final status, and event-driven waits on both. */
export interface AudioCall<In = AudioIn> {
  call: ClientDuplexStream<In, AudioOut__Output>;
  received: AudioOut__Output[];
  status(): StatusObject | null;
  /** Resolves once the pool accepted the call (its metadata), rejects when the call ends first. */
  accepted(timeoutMs?: number): Promise<void>;
  /** Consumes messages in order: each wait starts after the message the previous one matched. */
  next<T>(pick: (message: AudioOut__Output) => T | undefined, timeoutMs?: number): Promise<T>;
  /** Resolves with the call's final status. */
  ended(timeoutMs?: number): Promise<StatusObject>;
}

export function waitFor<T>(subscribe: (check: () => void) => () => void, probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let unsubscribe: () => void = () => undefined;
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`${what}: not seen within ${timeoutMs} ms`));
    }, timeoutMs);
    const check = () => {
      const value = probe();
      if (value === undefined) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    };
    unsubscribe = subscribe(check);
    check();
  });
}

/** Starts recording a call's outputs and status (before any is missed). */
export function watchAudioCall<In>(call: ClientDuplexStream<In, AudioOut__Output>): AudioCall<In> {
  const received: AudioOut__Output[] = [];
  let final: StatusObject | null = null;
  let metadata = false;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  call.on("data", (message: AudioOut__Output) => {
    received.push(message);
    notify();
  });
  call.on("status", (status: StatusObject) => {
    final = status;
    notify();
  });
  call.on("metadata", () => {
    metadata = true;
    notify();
  });
  // Failures arrive as the status too; without a listener an `error` event would throw.
  call.on("error", () => notify());
  const subscribe = (check: () => void) => {
    listeners.add(check);
    return () => listeners.delete(check);
  };
  let seen = 0;
  return {
    call,
    received,
    status: () => final,
    async accepted(timeoutMs = 5_000) {
      const outcome = await waitFor(subscribe, () => (metadata ? "accepted" : (final ?? undefined)), timeoutMs, "the pool's metadata");
      if (outcome !== "accepted") throw new Error(`call refused: ${outcome.code} ${outcome.details}`);
    },
    next(pick, timeoutMs = 5_000) {
      const probe = () => {
        for (; seen < received.length; seen++) {
          const message = received[seen];
          const picked = message === undefined ? undefined : pick(message);
          if (picked !== undefined) {
            seen += 1;
            return picked;
          }
        }
        return undefined;
      };
      return waitFor(subscribe, probe, timeoutMs, "an expected pool output");
    },
    ended(timeoutMs = 5_000) {
      return waitFor(subscribe, () => final ?? undefined, timeoutMs, "the call's status");
    },
  };
}

/** A StreamAudio call through `client` (it carries the client's token), once the pool has accepted it. */
export async function openAudioCall(client: PoolClient): Promise<AudioCall> {
  const audio = watchAudioCall(client.grpc.StreamAudio());
  await audio.accepted();
  return audio;
}

/**
 * A StreamAudio call that can also send raw bytes as a message (malformed protobuf), with exactly `metadata`
 * (no token unless it is in there). Close the returned client when done.
 */
export function openRawAudioCall(address: string, metadata: Metadata): { audio: AudioCall<AudioIn | Uint8Array>; client: Client } {
  const method = loadInferenceProto().engine.inference.v1.Inference.service.StreamAudio;
  const client = new Client(address, credentials.createInsecure());
  const serialize = (value: AudioIn | Uint8Array): Buffer => (value instanceof Uint8Array ? Buffer.from(value) : method.requestSerialize(value));
  const call = client.makeBidiStreamRequest(method.path, serialize, method.responseDeserialize, metadata);
  return { audio: watchAudioCall(call), client };
}

/** `authorization: Bearer <token>` metadata (the test pools' token by default). */
export function bearer(token: string = TEST_INFERENCE_TOKEN): Metadata {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

export function openMessage(
  streamId: string,
  sampleRate = 16_000,
  ids: { session_id?: string; participant_id?: string; vad?: { speech_threshold?: number; end_of_turn_silence_ms?: number } } = {},
): AudioIn {
  return {
    open: { stream_id: streamId, session_id: "session-1", participant_id: "participant-1", sample_rate: sampleRate, tutor_id: "", ...ids },
  };
}

/** Sends 16 kHz PCM in 20 ms chunks, about 4× real time (well inside the VAD's per-stream pending bound). */
export async function sendSpeech(call: ClientDuplexStream<AudioIn, AudioOut__Output> | ClientDuplexStream<AudioIn | Uint8Array, AudioOut__Output>, streamId: string, pcm: Uint8Array): Promise<void> {
  let seq = 0;
  for (let offset = 0; offset < pcm.byteLength; offset += FRAME_BYTES) {
    seq += 1;
    call.write({ chunk: { stream_id: streamId, seq, pcm16: pcm.subarray(offset, Math.min(pcm.byteLength, offset + FRAME_BYTES)) } });
    // Pacing, not a wait for anything.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The error output for `streamId`, as a `next` picker. */
export const errorFor = (streamId: string) => (m: AudioOut__Output) => (m.error?.stream_id === streamId ? m.error : undefined);
export const closedFor = (streamId: string) => (m: AudioOut__Output) => (m.closed?.stream_id === streamId ? true : undefined);
