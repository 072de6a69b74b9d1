import type { BenchOptions } from "./bench-options.js";
import type { BenchReport } from "./bench-report.js";
import { round } from "./latency-stats.js";
import { NEVER_CONFIRM_SPEECH_MS } from "./vad-pool-stream.js";

/** Other processes using this many cores' worth of CPU during a pass skewed it (2-core machines: most of a core). */
const CONTENDED_OTHER_CORES = 0.3;

/** How each figure was measured: written into the JSON so it reads without this source. */
export function benchNotes(options: BenchOptions): string[] {
  const w = options.windowChunks;
  return [
    "Repetitions: every measured pass runs " +
      `${options.repetitions}× and the median repetition is reported (its latency too); \`repetitions\` lists ` +
      "each one's figure. They are interleaved (per N: VadBatcher, pool session, gRPC; ASR: raw, gRPC, in process) " +
      "so compared figures share the machine's conditions.",
    "VAD baseline: SileroVad.runBatch with a batch of 1 (one session.run per 512-sample chunk) on this thread " +
      '(thread: "current", no thread hop), awaited one at a ' +
      `time, round-robin over ${options.vadBaselineStreams} streams each keeping its own [2,128] state. Latency = ` +
      "that call. It does not depend on N (runs are sequential), so every N is compared with it.",
    "VAD batched: a fresh VadBatcher (pool defaults: maxBatchSize 128, maxWaitMs 4) over a SileroVad on its own " +
      `model thread, as the pool runs it. Each of N streams keeps ${w} real-speech chunks enqueued and enqueues the ` +
      "next as one resolves, all streams at once. chunks/s = chunks resolved ÷ first enqueue → last resolve.",
    "VAD batched latency (enqueue → resolved) is a saturation figure: the batcher runs one chunk per stream per " +
      `batch, so a chunk waits behind up to ${w - 1} of its own stream's chunks (≈ ${w} × batch time). A real-time ` +
      "stream offers one chunk per 32 ms and would see about one batch time (plus up to maxWaitMs when alone).",
    `Warm-up: before the measured passes of each N, one pass per path on fresh streams (${options.vadWarmUpMs} ms); ` +
      "the baseline runs a few hundred chunks first; each ASR path transcribes " +
      `${options.asrWarmUpUtterances} utterance(s) first.`,
    "VAD over gRPC: InferencePool + startPoolServer on 127.0.0.1:0 in this process; the client is PoolClient.grpc " +
      "(the raw generated client). One StreamAudio call per pass opens N streams (sample_rate 16000, so the pool's " +
      `resampler is a pass-through); each AudioChunk carries ${options.chunksPerMessage} 512-sample chunk(s) of the ` +
      "same track as the in-process pass, written round-robin one message per stream per round; then a close each.",
    `VAD over gRPC pacing: the writer keeps at most N × ${w} chunks written but not yet through the VAD, read from ` +
      "the in-process pool.status().vad.items (the counter GetStatus reports): the same per-stream depth as the " +
      "in-process pass, and far from the pool's own bounds (it queues up to 30 s per stream and hands the batcher " +
      "32 chunks per stream at a time). chunks/s = GetStatus vad.items after − before ÷ (first write → last " +
      "`closed` output). " +
      "round_latency: write of a round → the VAD count covering it. mean_vad_pending: chunks waiting in the batcher " +
      "(sampled each event-loop turn); the rest of the window is still in transit.",
    "gRPC to a worker: the same VAD-only pool and its server on a worker thread of this process (as the engine " +
      "runs src/inference/pool-thread.ts), the client on the main thread; the writer paces itself with GetStatus " +
      "about every millisecond instead of reading the pool directly. Closest to production: the client's work " +
      "is off the pool's thread, and the two threads use both cores of a 2-core machine. At 1 stream this figure " +
      "is bounded by that pacing: the window is refilled a few ms late, and a lone stream's chunks then wait out " +
      "the batcher's maxWaitMs.",
    "Pool session rows: the same pass through pool.openAudioSession (what the StreamAudio handler drives), without " +
      "gRPC. VadBatcher → session isolates the pool's per-chunk work (PCM decode, promise chain, segmenter); " +
      "session → gRPC isolates gRPC (protobuf, HTTP/2, grpc-js read path).",
    `ASR kept out of the VAD pool: its segmenter needs speech to last ${NEVER_CONFIRM_SPEECH_MS} ms before ` +
      "confirming it (minSpeechMs), so VAD and segmenter run on every chunk (speech is tracked, retained and " +
      "dropped) but no utterance is produced; asr_jobs (asr.completed delta) shows it. Speech events are not " +
      "emitted either (they follow confirmation): a handful of messages per stream saved.",
    "Client, server and pool share one JS thread; the models run on threads of their own (SileroVad and " +
      "WhisperAsr default to a model thread), so the gRPC ratio charges protobuf encode and decode on both sides, " +
      "HTTP/2 framing, the pool's per-chunk work and the segmenter against VAD throughput, overlapped with the model " +
      "runs. The grpc_worker rows take the client half off the pool's thread.",
    'ASR raw: WhisperAsr.transcribe (thread: "current", the model alone on this thread) on the utterances ' +
      "(eSpeak sentences of ~2.5–3.5 s with 250 ms of silence each " +
      "side), one at a time. Pool (default options): the same PCM16 through gRPC Transcribe and through " +
      `pool.transcribe in process, ${options.asrPoolConcurrency} requests in flight so the ASR queue never runs dry. ` +
      "A pool request runs the VAD over the recording, then one Whisper job per segment (whisper runs column). " +
      "Latency = submit → answer (pool: includes queue wait behind the requests in flight); asr_run = the Whisper " +
      "run(s) alone as the serving side timed them.",
    "event_loop_delay: how far a 5 ms timer fired late: how long the JS thread was held at a time. " +
      "onnxruntime-node's session.run defers to setImmediate and then runs the model synchronously, blocking the " +
      "calling thread for the whole run: the in-thread baseline and ASR raw pay that on this thread, the " +
      "model-thread sessions on their own. cpu.cpu_per_wall: process CPU time ÷ wall time of the pass.",
    "Every loop stops at whichever comes first of its count and time bounds (parameters); times are " +
      "performance.now().",
  ];
}

/** What stands out in this run's figures. */
export function benchObservations(report: BenchReport): string[] {
  const out: string[] = [];
  const base = report.vad.baseline;
  const batched = report.vad.batched;
  const one = batched.find((b) => b.streams === 1);
  if (base !== null && one !== undefined && one.chunks_per_s < base.chunks_per_s) {
    out.push(
      `VadBatcher with 1 stream: ${Math.round(one.chunks_per_s)} chunks/s vs ${Math.round(base.chunks_per_s)} ` +
        `for direct runs (${one.ratio_vs_baseline}×, latency p50 ${round(one.latency.p50_ms, 1)} ms). ` +
        "A lone stream runs batches of 1 at once (the batcher waits only for streams that can send), so what " +
        "it pays over direct runs is each batch's round trip to the model thread.",
    );
  }
  const best = [...batched].sort((a, b) => b.chunks_per_s - a.chunks_per_s)[0];
  if (best !== undefined) {
    const modelVsBaseline =
      base === null ? "" : ` (${round(best.model_only_chunks_per_s / Math.max(1, base.chunks_per_s), 2)}× baseline)`;
    out.push(
      `Best VadBatcher throughput: ${Math.round(best.chunks_per_s)} chunks/s at ${best.streams} streams (mean ` +
        `batch ${best.mean_batch_size}, ${best.ratio_vs_baseline}× baseline). The model alone ran ` +
        `${Math.round(best.model_only_chunks_per_s)} chunks/s of its own time${modelVsBaseline}; ` +
        `${Math.round((1 - best.model_share) * 100)}% of ` +
        "the pass was JS around it (batch assembly, state copies, promise resolution).",
    );
  }
  const at128 = batched.find((x) => x.streams === 128);
  for (const b of batched) {
    if (b.streams <= 128 || at128 === undefined) continue;
    out.push(
      `${b.streams} streams exceed maxBatchSize 128: batches stay at ≤ 128 (mean ${b.mean_batch_size}); ` +
        `${Math.round(b.chunks_per_s)} vs ${Math.round(at128.chunks_per_s)} chunks/s at 128, and latency p50 ` +
        `${round(b.latency.p50_ms, 1)} vs ${round(at128.latency.p50_ms, 1)} ms since a stream gets a slot every ` +
        "other batch.",
    );
  }
  for (const g of report.grpc_vad) {
    const session = report.pool_session_vad.find((x) => x.streams === g.streams);
    const inProcess = batched.find((b) => b.streams === g.streams);
    if (session === undefined || inProcess === undefined || g.streams < 64) continue;
    const poolUs = round(session.wall_us_per_chunk - inProcess.wall_us_per_chunk, 1);
    const grpcUs = round(g.wall_us_per_chunk - session.wall_us_per_chunk, 1);
    out.push(
      `${g.streams} streams, wall time per chunk: VadBatcher ${inProcess.wall_us_per_chunk} µs, + ${poolUs} µs ` +
        `in the pool session (PCM decode, promise chain, segmenter), + ${grpcUs} µs over gRPC (client and server ` +
        `halves together) = ${g.wall_us_per_chunk} µs. Over gRPC the ` +
        `batcher had ${g.mean_vad_pending} chunks waiting on average (session: ${session.mean_vad_pending}) and ran ` +
        `batches of ${g.mean_batch_size} (session: ${session.mean_batch_size}).`,
    );
  }
  for (const inProcess of batched) {
    if (inProcess.streams < 64 || inProcess.batches === 0) continue;
    const perBatch = (r: { chunks_per_s: number; mean_batch_size: number }) => round((1000 * r.mean_batch_size) / Math.max(1, r.chunks_per_s), 2);
    const paths = [
      ["pool session", report.pool_session_vad.find((x) => x.streams === inProcess.streams)],
      ["gRPC", report.grpc_vad.find((x) => x.streams === inProcess.streams)],
      ["gRPC to a worker", report.grpc_worker_vad.find((x) => x.streams === inProcess.streams)],
    ] as const;
    const parts = paths.flatMap(([name, r]) => (r === undefined ? [] : [`${name} ${r.model_run_ms_per_batch} of ${perBatch(r)} ms`]));
    out.push(
      `${inProcess.streams} streams, the VAD model's own run per batch of wall time per batch: VadBatcher ` +
        `${round(inProcess.model_run_ms / inProcess.batches, 2)} of ${perBatch(inProcess)} ms, ${parts.join(", ")}. ` +
        "Where a path's run grows while the time between runs stays small, what it lost is the model thread's CPU: " +
        "its other threads (the pool's per-chunk JS, gRPC, the client) run on the same cores.",
    );
  }
  for (const g of report.grpc_worker_vad) {
    const same = report.grpc_vad.find((x) => x.streams === g.streams);
    if (same === undefined || g.streams < 64) continue;
    out.push(
      `${g.streams} streams with the pool on a worker thread (client on the main thread, as in the engine): ` +
        `${Math.round(g.chunks_per_s)} chunks/s (${g.ratio_vs_in_process}× in-process; same thread: ` +
        `${same.ratio_vs_in_process}×), batches of ${g.mean_batch_size}, ${g.mean_vad_pending} chunks waiting in ` +
        `the batcher, ${g.cpu.cpu_per_wall} CPUs busy.` +
        (Math.abs(g.chunks_per_s - same.chunks_per_s) <= 0.1 * same.chunks_per_s
          ? " Taking the client off the pool's thread gained nothing: the limit is the pool thread's receive path " +
            "(gRPC decode and the pool's per-chunk work), not the client's encoding."
          : ""),
    );
  }
  const grpcRates = report.grpc_vad.filter((g) => g.streams >= 16).map((g) => g.chunks_per_s);
  const ceiling = grpcRates.length === 0 ? 0 : Math.max(...grpcRates);
  if (ceiling > 0) {
    const k = report.grpc_vad[0]?.chunks_per_message ?? 1;
    const flat = Math.min(...grpcRates) >= 0.8 * ceiling;
    // What the ChunkCoalescer made of them on the congested call, per stream count.
    const merged = report.grpc_vad.map((g) => `${g.mean_chunks_per_message} at ${g.streams}`).join(", ");
    const g128 = report.grpc_vad.find((g) => g.streams === 128);
    const s128 = report.pool_session_vad.find((x) => x.streams === 128);
    const b128 = batched.find((b) => b.streams === 128);
    const splitAt128 =
      g128 === undefined || s128 === undefined || b128 === undefined
        ? ""
        : ` At 128 streams the pool's session alone keeps ${round(s128.chunks_per_s / b128.chunks_per_s, 2)}× of ` +
          `the in-process rate and gRPC takes it to ${g128.ratio_vs_in_process}×.`;
    out.push(
      `Over gRPC the VAD throughput ${flat ? "levels off at" : "peaks at"} about ${Math.round(ceiling)} chunks/s ` +
        `from 16 streams up (${k} chunk(s) handed over a message, ${merged} per message written after merging` +
        `${flat ? ", whatever the stream count" : ""}): ` +
        `≈ ${Math.round(ceiling / 31.25)} real-time 16 kHz ` +
        "streams per pool thread at one 32 ms message each (smaller frames mean more messages, and part of the cost " +
        `is per message; see --chunks-per-message).${splitAt128}`,
    );
  }
  const asrLeak = [...report.grpc_vad, ...report.grpc_worker_vad].filter((g) => g.asr_jobs > 0);
  if (asrLeak.length > 0) {
    out.push(`ASR ran during gRPC VAD passes (${asrLeak.map((g) => `${g.streams}: ${g.asr_jobs} jobs`).join(", ")}).`);
  }
  const refused = [...report.grpc_vad, ...report.grpc_worker_vad].filter((g) => Object.keys(g.errors).length > 0);
  if (refused.length > 0) {
    const listed = refused.map((g) => `${g.streams}: ${JSON.stringify(g.errors)}`).join("; ");
    out.push(`The pool answered errors on gRPC VAD passes: ${listed}.`);
  }
  const { raw, pool_grpc: poolGrpc } = report.asr;
  if (raw !== null) {
    out.push(
      `A Whisper run (p50 ${round(raw.asr_run.p50_ms, 1)} ms for ~${round(raw.mean_audio_ms / 1000, 1)} s of ` +
        `audio) on the calling thread held it for up to ${round(raw.event_loop_delay.max_ms, 1)} ms at a time ` +
        "(ASR raw, in-thread session): why the pool's models run on threads of their own.",
    );
  }
  if (raw !== null && poolGrpc !== null) {
    out.push(
      `ASR latency p50: raw ${round(raw.latency.p50_ms, 1)} ms (nothing queued) vs pool ` +
        `${round(poolGrpc.latency.p50_ms, 1)} ms with ${poolGrpc.concurrency} in flight (queue wait); the pool's own ` +
        `Whisper runs took p50 ${round(poolGrpc.asr_run.p50_ms, 1)} ms and it kept ${poolGrpc.ratio_vs_raw}× the raw ` +
        "throughput.",
    );
    if (poolGrpc.asr_jobs !== poolGrpc.utterances) {
      out.push(
        `The pool ran ${poolGrpc.asr_jobs} Whisper jobs for ${poolGrpc.utterances} gRPC requests of one sentence ` +
          "each: its VAD split (or dropped) some, and each extra job costs a whole Whisper run.",
      );
    }
  }
  const passes = [
    ...(base === null ? [] : [{ name: "baseline", cpu: base.cpu }]),
    ...batched.map((b) => ({ name: `VadBatcher ${b.streams}`, cpu: b.cpu })),
    ...report.pool_session_vad.map((x) => ({ name: `session ${x.streams}`, cpu: x.cpu })),
    ...report.grpc_vad.map((g) => ({ name: `gRPC ${g.streams}`, cpu: g.cpu })),
    ...report.grpc_worker_vad.map((g) => ({ name: `gRPC worker ${g.streams}`, cpu: g.cpu })),
    ...[raw, poolGrpc, report.asr.pool_in_process].flatMap((p) =>
      p === null ? [] : [{ name: `ASR ${p.path}`, cpu: p.cpu }],
    ),
  ];
  const contended = passes.filter((p) => (p.cpu.other_processes_cores ?? 0) >= CONTENDED_OTHER_CORES);
  const m = report.machine;
  if (contended.length > 0) {
    const listed = contended.map((p) => `${p.name} ${p.cpu.other_processes_cores}`).join(", ");
    out.push(
      `Other processes used the machine during the bench (load ${m.load_average_1m} at start on ${m.cpus} CPUs; ` +
        `cores they used during the reported passes, where ≥ ${CONTENDED_OTHER_CORES}: ${listed}): absolute ` +
        "figures are low there and ratios noisier; compare the repetitions' spread.",
    );
  }
  return out;
}
