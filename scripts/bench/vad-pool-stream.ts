import { ChunkCoalescer, type ChunkCoalescerOptions } from "../../src/inference/grpc/chunk-coalescer.js";
import type { AudioIn } from "../../src/inference/grpc/generated/engine/inference/v1/AudioIn.js";
import type { AudioOut__Output } from "../../src/inference/grpc/generated/engine/inference/v1/AudioOut.js";
import { outputFromWire, type PoolClient } from "../../src/inference/grpc/pool-client.js";
import type { InferencePool } from "../../src/inference/pool.js";
import type { PoolStatusView } from "../../src/inference/pool-service.js";
import type { PoolOutput } from "../../src/inference/pool-types.js";
import { trackOffset } from "./bench-audio.js";
import { startCpuMeter, type CpuFigures } from "./cpu-meter.js";
import {
  LatencyRecorder,
  perSecond,
  round,
  startEventLoopMonitor,
  type EventLoopDelaySummary,
  type LatencySummary,
} from "./latency-stats.js";
import type { VadPassBounds } from "./vad-in-process.js";

/**
 * Segmenter settings that keep ASR out of the VAD comparison: speech must last this long before it counts, so the
 * segmenter still runs on every chunk (tracking, retaining and dropping the speech) but never confirms an utterance.
 */
export const NEVER_CONFIRM_SPEECH_MS = 24 * 60 * 60 * 1000;

/** Longest wait for the pool to accept the call or acknowledge every close. */
const CALL_TIMEOUT_MS = 60_000;

export interface PoolStreamResult {
  transport: PoolStreamTarget["transport"];
  streams: number;
  window_chunks: number;
  /** 512-sample chunks the writer hands over at a time (per AudioChunk message before merging; per `chunk` call in process). */
  chunks_per_message: number;
  /**
   * 512-sample chunks per AudioChunk message actually written: over gRPC, the ChunkCoalescer merges a stream's
   * chunks while the call is congested, as the engine's AudioLink does; in process, `chunks_per_message`.
   */
  mean_chunks_per_message: number;
  /** 512-sample chunks written. */
  chunks_sent: number;
  /** Status `vad.items` after − before (GetStatus over gRPC): chunks the pool's VAD ran. */
  chunks_processed: number;
  /** First write → last `closed` output. */
  elapsed_ms: number;
  chunks_per_s: number;
  /** Wall time per chunk. All on one thread (every transport but grpc_worker), it is the path's cost per chunk. */
  wall_us_per_chunk: number;
  /**
   * Time inside the writer's synchronous `write`/`chunk` calls per chunk. For gRPC that is only grpc-js queueing
   * the message: its encoding, HTTP/2 framing and the socket write run later, outside this figure.
   */
  writer_us_per_chunk: number;
  /**
   * A round is one message of every stream. Write of the round → the pool's VAD item count covering it: an upper-side
   * estimate of per-chunk latency (the count is read once per event-loop turn).
   */
  round_latency: LatencySummary;
  mean_batch_size: number;
  /**
   * The VAD's own time per batch (status `vad.runMsTotal`: the model thread's run, its message hop included). Set
   * against the in-process batcher's, it says whether a path lost throughput between batches or inside them.
   */
  model_run_ms_per_batch: number;
  /**
   * Chunks waiting in the pool's VAD batcher, sampled each event-loop turn (a worker-thread pool: each GetStatus,
   * about every millisecond): the backlog that reached the batcher.
   * Written chunks not counted here are still in transit (client, HTTP/2, the server's read path).
   */
  mean_vad_pending: number;
  asr_jobs: number;
  transcripts: number;
  speech_events: number;
  errors: Record<string, number>;
  event_loop_delay: EventLoopDelaySummary;
  cpu: CpuFigures;
}

/** One audio session as the pass drives it: the gRPC call or the pool's in-process session handle. */
interface StreamTransport {
  accepted: Promise<void>;
  open(streamId: string, tag: string): void;
  chunk(streamId: string, seq: number, pcm16: Uint8Array): void;
  close(streamId: string): void;
  /** Messages (or in-process `chunk` calls) that carried the chunks so far. */
  messages(): number;
  /** Every stream opened was acknowledged `closed`. */
  allClosed: Promise<void>;
  counts: { transcripts: number; speech: number; errors: Record<string, number> };
  end(): Promise<void>;
}

/**
 * Where the pass sends its audio. `session`: `pool.openAudioSession` in process, no gRPC. `grpc`: one StreamAudio
 * call to a pool served on this thread. `grpc_worker`: one StreamAudio call to a pool (and server) on a worker
 * thread, as the engine runs it; the client stays on this thread. Both gRPC ones write through the engine's
 * ChunkCoalescer (`coalesce`: its options; `coalesceMaxDelayMs: 0` writes one message per chunk handed over).
 */
export type PoolStreamTarget =
  | { transport: "session"; pool: InferencePool }
  | { transport: "grpc"; pool: InferencePool; client: PoolClient; coalesce?: Partial<ChunkCoalescerOptions> }
  | { transport: "grpc_worker"; client: PoolClient; coalesce?: Partial<ChunkCoalescerOptions> };

/**
 * How often the writer reads the VAD's progress (through GetStatus when the pool is on another thread: each call
 * costs that thread a little). A timer, not every turn: a writer spinning on setImmediate keeps its thread busy all
 * the time, which on a small machine slows the model's thread beside it and is no part of the path measured.
 */
const STATUS_EVERY_MS = 1;

/**
 * N streams on one audio session, the same 512-sample chunks as the in-process batcher pass, written round-robin
 * (one message per stream per round), then a close per stream. The writer keeps at most N × window chunks written
 * but not yet through the VAD (the status counter GetStatus reports: read in process where the pool is on this
 * thread, through GetStatus otherwise): the same per-stream depth as the in-process batcher pass.
 */
export async function runPoolStreamPass(
  target: PoolStreamTarget,
  pcm16Chunks: readonly Uint8Array[],
  streams: number,
  windowChunks: number,
  chunksPerMessage: number,
  bounds: VadPassBounds,
  tag: string,
): Promise<PoolStreamResult> {
  const local = target.transport === "grpc_worker" ? null : target.pool;
  const status = (): Promise<PoolStatusView> =>
    target.transport === "session" ? Promise.resolve(target.pool.status()) : target.client.status();
  // On this thread the writer reads the batcher's two counters, not the whole status view, whose building (every
  // model's histograms) cost the shared thread more than a chunk does and is no part of the path measured.
  const progress = async (): Promise<{ processed: number; pending: number }> => {
    if (local !== null) return local.vadProgress();
    const view = await status();
    return { processed: view.vad.items, pending: view.vadPending };
  };
  const before = await status();
  const transport =
    target.transport === "session" ? sessionTransport(target.pool, streams) : grpcTransport(target.client, streams, target.coalesce ?? {});
  await withTimeout(transport.accepted, "the pool did not accept the audio session");

  const ids = Array.from({ length: streams }, (_, i) => `${tag}-${i}`);
  const offsets = ids.map((_, i) => trackOffset(i, pcm16Chunks.length));
  for (const id of ids) transport.open(id, tag);

  const k = Math.max(1, chunksPerMessage);
  const window = Math.max(windowChunks, k);
  const perStream = Math.max(1, Math.floor(bounds.maxChunks / (streams * k)));
  const messageAt = messageBuilder(pcm16Chunks, k);
  const itemsAtStart = (await progress()).processed;
  let pendingSum = 0;
  let pendingSamples = 0;
  const processed = async () => {
    const now = await progress();
    pendingSum += now.pending;
    pendingSamples += 1;
    return now.processed - itemsAtStart;
  };
  const roundLatency = new LatencyRecorder(perStream);
  const roundSentMs: number[] = [];
  const stopMonitor = startEventLoopMonitor();
  const stopCpu = startCpuMeter();
  const startedMs = performance.now();
  const deadlineMs = startedMs + bounds.maxMs;
  let rounds = 0;
  let roundsSeen = 0;
  let sent = 0;
  let writeMs = 0;
  let allClosed = false;
  void transport.allClosed.then(
    () => (allClosed = true),
    () => undefined,
  );

  await new Promise<void>((resolve, reject) => {
    let closing = false;
    const tick = async () => {
      const done = await processed();
      const now = performance.now();
      while (roundsSeen < rounds && done >= (roundsSeen + 1) * streams * k) {
        roundLatency.record(now - (roundSentMs[roundsSeen] ?? now));
        roundsSeen += 1;
      }
      while (!closing && rounds < perStream && now < deadlineMs && sent + streams * k - done <= streams * window) {
        const writeStartedMs = performance.now();
        ids.forEach((id, i) => transport.chunk(id, rounds + 1, messageAt((offsets[i] ?? 0) + rounds * k)));
        writeMs += performance.now() - writeStartedMs;
        roundSentMs.push(now);
        rounds += 1;
        sent += streams * k;
      }
      if (!closing && (rounds >= perStream || now >= deadlineMs)) {
        closing = true;
        for (const id of ids) transport.close(id);
      }
      // Chunks the pool refused never reach the VAD count; every stream acknowledged closed ends the wait anyway.
      if (closing && (roundsSeen >= rounds || allClosed || now > deadlineMs + CALL_TIMEOUT_MS)) resolve();
      else setTimeout(next, STATUS_EVERY_MS);
    };
    const next = () => void tick().catch(reject);
    next();
  });
  await withTimeout(transport.allClosed, "not every stream was acknowledged closed");
  const elapsedMs = performance.now() - startedMs;
  const eventLoopDelay = stopMonitor();
  const cpu = stopCpu(elapsedMs);
  const after = await status();
  await withTimeout(transport.end(), "the audio session did not end");

  const chunksProcessed = after.vad.items - before.vad.items;
  const messages = transport.messages();
  const batches = after.vad.batches - before.vad.batches;
  return {
    transport: target.transport,
    streams,
    window_chunks: window,
    chunks_per_message: k,
    mean_chunks_per_message: messages === 0 ? 0 : round(sent / messages, 2),
    chunks_sent: sent,
    chunks_processed: chunksProcessed,
    elapsed_ms: round(elapsedMs, 1),
    chunks_per_s: perSecond(chunksProcessed, elapsedMs),
    wall_us_per_chunk: chunksProcessed === 0 ? 0 : round((elapsedMs * 1000) / chunksProcessed, 1),
    writer_us_per_chunk: sent === 0 ? 0 : round((writeMs * 1000) / sent, 1),
    round_latency: roundLatency.summary(),
    mean_batch_size: batches === 0 ? 0 : round(chunksProcessed / batches, 1),
    model_run_ms_per_batch: batches === 0 ? 0 : round((after.vad.runMsTotal - before.vad.runMsTotal) / batches, 2),
    mean_vad_pending: pendingSamples === 0 ? 0 : round(pendingSum / pendingSamples, 1),
    asr_jobs: after.asr.completed - before.asr.completed,
    transcripts: transport.counts.transcripts,
    speech_events: transport.counts.speech,
    errors: transport.counts.errors,
    event_loop_delay: eventLoopDelay,
    cpu,
  };
}

/** PCM16 of `k` consecutive track chunks from `position` (looping), built once per position. */
function messageBuilder(pcm16Chunks: readonly Uint8Array[], k: number): (position: number) => Uint8Array {
  const built = new Map<number, Uint8Array>();
  return (position) => {
    const start = position % pcm16Chunks.length;
    const known = built.get(start);
    if (known !== undefined) return known;
    const parts = Array.from({ length: k }, (_, j) => pcm16Chunks[(start + j) % pcm16Chunks.length] ?? new Uint8Array(0));
    const message = k === 1 && parts[0] !== undefined ? parts[0] : Buffer.concat(parts);
    built.set(start, message);
    return message;
  };
}

/** Counts outputs and resolves once `streams` were acknowledged closed. */
function outputCounter(streams: number): {
  counts: StreamTransport["counts"];
  allClosed: Promise<void>;
  onOutput(output: PoolOutput): void;
  fail(error: Error): void;
} {
  const counts: StreamTransport["counts"] = { transcripts: 0, speech: 0, errors: {} };
  let closed = 0;
  let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const allClosed = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  allClosed.catch(() => undefined);
  return {
    counts,
    allClosed,
    onOutput(output) {
      if (output.kind === "closed") {
        closed += 1;
        if (closed === streams) settle?.resolve();
      } else if (output.kind === "transcript") {
        counts.transcripts += 1;
      } else if (output.kind === "speech") {
        counts.speech += 1;
      } else {
        counts.errors[output.code] = (counts.errors[output.code] ?? 0) + 1;
      }
    },
    fail(error) {
      settle?.reject(error);
    },
  };
}

/**
 * The raw generated client: one StreamAudio call, messages as the proto spells them, chunks through the engine's
 * ChunkCoalescer (busy from a refused `write` until 'drain', as ResilientCall tells AudioLink).
 */
function grpcTransport(client: PoolClient, streams: number, coalesce: Partial<ChunkCoalescerOptions>): StreamTransport {
  const call = client.grpc.StreamAudio();
  let busy = false;
  const write = (message: AudioIn) => {
    if (!call.write(message)) busy = true;
  };
  const coalescer = new ChunkCoalescer(
    { busy: () => busy, write: ({ streamId, seq, pcm16 }) => write({ chunk: { stream_id: streamId, seq, pcm16 } }) },
    coalesce,
  );
  call.on("drain", () => {
    busy = false;
    coalescer.flushAll();
  });
  const counter = outputCounter(streams);
  const accepted = new Promise<void>((resolve, reject) => {
    call.once("metadata", () => resolve());
    call.once("error", reject);
  });
  accepted.catch(() => undefined);
  const finished = new Promise<void>((resolve) => {
    call.on("status", () => resolve());
    call.on("error", () => resolve());
  });
  call.on("data", (message: AudioOut__Output) => {
    const output = outputFromWire(message);
    if (output !== null) counter.onOutput(output);
  });
  call.on("error", (error: Error) => counter.fail(error));
  return {
    accepted,
    open(streamId, tag) {
      write({
        open: {
          stream_id: streamId,
          session_id: `bench-${tag}`,
          participant_id: streamId,
          sample_rate: 16_000,
          tutor_id: "",
        },
      });
    },
    chunk(streamId, seq, pcm16) {
      coalescer.push(streamId, seq, pcm16);
    },
    close(streamId) {
      coalescer.flush(streamId);
      write({ close: { stream_id: streamId } });
    },
    messages: () => coalescer.written.messages,
    allClosed: counter.allClosed,
    counts: counter.counts,
    end() {
      coalescer.flushAll();
      call.end();
      return finished;
    },
  };
}

/** The pool's own audio session, in process: what StreamAudio's handler drives, without gRPC. */
function sessionTransport(pool: InferencePool, streams: number): StreamTransport {
  const counter = outputCounter(streams);
  const session = pool.openAudioSession((output) => counter.onOutput(output));
  let calls = 0;
  return {
    accepted: Promise.resolve(),
    open(streamId, tag) {
      session.open({ streamId, sessionId: `bench-${tag}`, participantId: streamId, sampleRate: 16_000 });
    },
    chunk(streamId, seq, pcm16) {
      calls += 1;
      session.chunk(streamId, seq, pcm16);
    },
    close(streamId) {
      session.close(streamId);
    },
    messages: () => calls,
    allClosed: counter.allClosed,
    counts: counter.counts,
    end() {
      session.end();
      return Promise.resolve();
    },
  };
}

async function withTimeout(promise: Promise<void>, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
