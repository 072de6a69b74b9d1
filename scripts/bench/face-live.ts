import type { ClientDuplexStream } from "@grpc/grpc-js";
import type { VideoIn } from "../../src/inference/grpc/generated/engine/inference/v1/VideoIn.js";
import type { VideoOut__Output } from "../../src/inference/grpc/generated/engine/inference/v1/VideoOut.js";
import { videoOutputFromWire } from "../../src/inference/grpc/video-wire.js";
import type { PoolClient } from "../../src/inference/grpc/pool-client.js";
import type { VideoOutput } from "../../src/inference/pool-types.js";
import { startCpuMeter, type CpuFigures } from "./cpu-meter.js";
import { round, summarize, type LatencySummary } from "./latency-stats.js";

/**
 * Live cameras through the pool's gRPC StreamVideo: N streams, each sending one frame every 1000 / fps ms (phases
 * spread evenly over the period), over calls of `streamsPerCall` streams (a room's cameras share one call). Frames
 * sent during the warm-up are answered but not counted; then every frame sent in the measured window is followed to
 * its answer: `faces` (latency = write → answer), `dropped` (a newer frame of its stream replaced it: keep-newest),
 * or an error. Bounded: the window, then at most `drainMs` for the last answers.
 */
export interface FaceLiveSetup {
  streams: number;
  fps: number;
  streamsPerCall: number;
  warmUpMs: number;
  measureMs: number;
  drainMs: number;
}

export interface FaceLiveResult {
  streams: number;
  fps: number;
  calls: number;
  /** Frames written in the measured window, and what became of them. */
  sent: number;
  answered: number;
  dropped: number;
  errors: number;
  /** Not answered within the window plus `drainMs`. */
  unanswered: number;
  dropped_share: number;
  /** Frames analysed per second of the window (answers with faces). */
  analysed_per_s: number;
  /** Client write → `faces` answer, over the counted frames. */
  latency: LatencySummary;
  /** The pool's own per-frame timings (answered frames): queue wait, decode on its thread, batch's models, total. */
  pool_timings_mean_ms: { queue: number; decode: number; detect: number; expression: number; total: number };
  error_codes: Record<string, number>;
  cpu: CpuFigures;
  /** This process's CPU time (client, server, pool, every thread) over the window ÷ frames analysed in it. */
  cpu_ms_per_analysed_frame: number;
}

interface SentFrame {
  sentAtMs: number;
  counted: boolean;
}

export async function runFaceLive(client: PoolClient, jpeg: Uint8Array, setup: FaceLiveSetup): Promise<FaceLiveResult> {
  const periodMs = 1000 / setup.fps;
  const callCount = Math.ceil(setup.streams / setup.streamsPerCall);
  const calls: ClientDuplexStream<VideoIn, VideoOut__Output>[] = [];
  const sent = new Map<string, SentFrame>();
  const latencies: number[] = [];
  const timings = { queue: 0, decode: 0, detect: 0, expression: 0, total: 0 };
  const errorCodes: Record<string, number> = {};
  const tally = { sent: 0, answered: 0, dropped: 0, errors: 0 };
  let closedStreams = 0;
  let settleWaiter: (() => void) | undefined;
  const outstanding = () => [...sent.values()].filter((frame) => frame.counted).length;

  const onOutput = (callIndex: number, output: VideoOutput) => {
    if (output.kind === "closed") {
      closedStreams += 1;
      settleWaiter?.();
      return;
    }
    if (output.kind === "error") {
      // A stream-level error names no seq: count it against the stream, not a frame.
      const seq = /^frame (\d+):/.exec(output.message)?.[1];
      const frame = seq === undefined ? undefined : sent.get(`${callIndex}/${output.streamId}/${seq}`);
      if (frame !== undefined) sent.delete(`${callIndex}/${output.streamId}/${seq}`);
      if (frame?.counted ?? seq === undefined) {
        tally.errors += 1;
        errorCodes[output.code] = (errorCodes[output.code] ?? 0) + 1;
      }
      settleWaiter?.();
      return;
    }
    const key = `${callIndex}/${output.streamId}/${output.seq}`;
    const frame = sent.get(key);
    if (frame === undefined) return;
    sent.delete(key);
    if (!frame.counted) return;
    if (output.kind === "dropped") {
      tally.dropped += 1;
    } else {
      tally.answered += 1;
      latencies.push(performance.now() - frame.sentAtMs);
      timings.queue += output.timings.queueMs;
      timings.decode += output.timings.decodeMs;
      timings.detect += output.timings.detectMs;
      timings.expression += output.timings.expressionMs;
      timings.total += output.timings.totalMs;
    }
    settleWaiter?.();
  };

  for (let c = 0; c < callCount; c++) {
    const call = client.grpc.StreamVideo();
    call.on("data", (message: VideoOut__Output) => {
      const output = videoOutputFromWire(message);
      if (output !== null) onOutput(c, output);
    });
    call.on("error", () => undefined);
    calls.push(call);
  }
  const streams = Array.from({ length: setup.streams }, (_, i) => ({ call: Math.floor(i / setup.streamsPerCall), id: `cam-${i}`, seq: 0 }));
  for (const stream of streams) {
    calls[stream.call]?.write({ open: { stream_id: stream.id, session_id: `bench-${stream.call}`, participant_id: stream.id } });
  }

  const startedAtMs = performance.now();
  const windowStartMs = startedAtMs + setup.warmUpMs;
  const windowEndMs = windowStartMs + setup.measureMs;
  let meter: ((elapsedMs: number) => CpuFigures) | undefined;
  const timers: NodeJS.Timeout[] = [];
  const send = (stream: (typeof streams)[number]) => {
    const nowMs = performance.now();
    if (nowMs >= windowEndMs) return;
    meter ??= nowMs >= windowStartMs ? startCpuMeter() : undefined;
    stream.seq += 1;
    const counted = nowMs >= windowStartMs;
    if (counted) tally.sent += 1;
    sent.set(`${stream.call}/${stream.id}/${stream.seq}`, { sentAtMs: nowMs, counted });
    calls[stream.call]?.write({ frame: { stream_id: stream.id, seq: stream.seq, jpeg, captured_at_ms: Date.now() } });
  };
  streams.forEach((stream, i) => {
    const first = setTimeout(() => {
      send(stream);
      timers.push(setInterval(() => send(stream), periodMs));
    }, (i * periodMs) / setup.streams);
    timers.push(first);
  });

  const waitUntil = (done: () => boolean, timeoutMs: number) =>
    new Promise<void>((resolve) => {
      if (done()) return resolve();
      const timer = setTimeout(finish, timeoutMs);
      function finish() {
        clearTimeout(timer);
        settleWaiter = undefined;
        resolve();
      }
      settleWaiter = () => {
        if (done()) finish();
      };
    });
  await new Promise((resolve) => setTimeout(resolve, windowEndMs - performance.now()));
  for (const timer of timers) clearInterval(timer);
  const cpu = meter?.(performance.now() - windowStartMs);
  await waitUntil(() => outstanding() === 0, setup.drainMs);
  const unanswered = outstanding();
  for (const stream of streams) calls[stream.call]?.write({ close: { stream_id: stream.id } });
  await waitUntil(() => closedStreams >= streams.length, setup.drainMs);
  for (const call of calls) call.end();

  const answered = Math.max(1, tally.answered);
  return {
    streams: setup.streams,
    fps: setup.fps,
    calls: callCount,
    sent: tally.sent,
    answered: tally.answered,
    dropped: tally.dropped,
    errors: tally.errors,
    unanswered,
    dropped_share: tally.sent === 0 ? 0 : round(tally.dropped / tally.sent),
    analysed_per_s: round((tally.answered * 1000) / setup.measureMs, 1),
    latency: summarize(latencies),
    pool_timings_mean_ms: {
      queue: round(timings.queue / answered, 1),
      decode: round(timings.decode / answered, 1),
      detect: round(timings.detect / answered, 1),
      expression: round(timings.expression / answered, 1),
      total: round(timings.total / answered, 1),
    },
    error_codes: errorCodes,
    cpu: cpu ?? { process_cpu_ms: 0, cpu_per_wall: 0, other_processes_cores: null },
    cpu_ms_per_analysed_frame: tally.answered === 0 || cpu === undefined ? 0 : round(cpu.process_cpu_ms / tally.answered, 1),
  };
}
