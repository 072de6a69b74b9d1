import type { BenchReport } from "./bench-report.js";
import { faceTables } from "./face-report.js";
import { streamedWerTable } from "./streamed-wer.js";
import { windowWerTable } from "./window-wer.js";
import { ttsTable } from "./tts-phase.js";
import { enhanceTables } from "./enhance-phase.js";
import { formatTable, spread, verdict, type Cell } from "./text-table.js";
import { round } from "./latency-stats.js";

export { formatTable, type Cell } from "./text-table.js";

export function renderReport(report: BenchReport, jsonPath: string): string {
  const m = report.machine;
  const out: string[] = [
    `Inference bench (${report.mode}) — ${m.cpus} CPUs (${m.cpu_model}), Node ${m.node_version}, ` +
      `onnxruntime-node ${m.onnxruntime_node_version}; load ${m.load_average_1m} → ${m.load_average_1m_end}; ` +
      `median of ${String(report.parameters["repetitions"])} interleaved repetitions`,
    "others = cores' worth of CPU other processes used during the pass (≈ 0 on a quiet machine)",
  ];
  if (report.parts.includes("vad") || report.parts.includes("asr")) out.push(...audioTables(report));
  if (report.face !== null) out.push(...faceTables(report.face));
  if (report.denoise !== null) {
    out.push(
      "",
      `Noise suppression (${report.denoise.model}): cost per stream, ${report.denoise.audio_s_per_stream} s of noisy speech in ${report.denoise.chunk_ms} ms chunks`,
      formatTable(
        ["streams", "stage CPU ms per audio s", "stage run ms per audio s", "% of a core", "states open / opened / freed"],
        report.denoise.entries.map((e) => [
          e.streams,
          e.stage_cpu_ms_per_audio_s,
          e.stage_self_ms_per_audio_s,
          e.stage_core_percent,
          `${e.states_after.open} / ${e.states_after.opened} / ${e.states_after.freed_on_close + e.states_after.freed_idle}`,
        ]),
      ),
    );
  }
  if (report.whisper_window !== null) out.push("", "Whisper's window vs word errors (each utterance alone)", windowWerTable(report.whisper_window));
  if (report.streamed_wer !== null) out.push("", "Streamed vs whole-file WER (recorded speech)", streamedWerTable(report.streamed_wer));
  if (report.tts !== null) {
    const { model, threads, idle_event_loop: idle } = report.tts;
    out.push("", `Speech synthesis (${model}, ${threads} thread(s), gRPC Synthesize; idle loop p99 ${idle.p99_ms} ms)`, ttsTable(report.tts));
  }
  if (report.enhance !== null) out.push("", ...enhanceTables(report.enhance));
  out.push(
    "",
    "Targets",
    formatTable(
      ["target", "min", "max", "actual", "result"],
      report.targets.map((t) => [t.id, t.min, t.max, t.actual, verdict(t.pass)]),
    ),
  );
  for (const error of report.phase_errors) out.push(`phase ${error.phase} failed: ${error.message}`);
  if (report.observations.length > 0) out.push("", "Observations", ...report.observations.map((o) => `- ${o}`));
  out.push("", `JSON: ${jsonPath} (${(report.duration_ms / 1000).toFixed(1)} s)`);
  return out.join("\n");
}

/** Parts 1–3: VAD in process, VAD over gRPC, ASR. */
function audioTables(report: BenchReport): string[] {
  const out: string[] = ["", "1. VAD in process (Silero v5, 512-sample chunks; latency = enqueue → resolved)"];
  const vadRows: Cell[][] = [];
  const base = report.vad.baseline;
  if (base !== null) {
    const l = base.latency;
    vadRows.push([
      "one run per chunk",
      base.streams,
      base.chunks,
      base.chunks_per_s,
      spread(base, base.chunks_per_s),
      l.p50_ms,
      l.p95_ms,
      l.p99_ms,
      1,
      base.cpu.cpu_per_wall,
      base.cpu.other_processes_cores,
      1,
    ]);
  }
  for (const b of report.vad.batched) {
    const l = b.latency;
    vadRows.push([
      "VadBatcher",
      b.streams,
      b.chunks,
      b.chunks_per_s,
      spread(b, b.chunks_per_s),
      l.p50_ms,
      l.p95_ms,
      l.p99_ms,
      b.mean_batch_size,
      b.cpu.cpu_per_wall,
      b.cpu.other_processes_cores,
      b.ratio_vs_baseline,
    ]);
  }
  out.push(
    formatTable(
      [
        "path",
        "streams",
        "chunks",
        "chunks/s",
        "spread",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "mean batch",
        "cpu/wall",
        "others",
        "vs baseline",
      ],
      vadRows,
    ),
    "",
    "2. VAD through gRPC StreamAudio (one call, N streams, same chunks, ASR kept out) ÷ in-process VadBatcher.",
    "   pool on: this thread = client, server and VAD share one thread (as specified); worker = pool and server on a",
    "   worker thread, client here (the engine's set-up). session/s = pool.openAudioSession, no gRPC (pool overhead)",
    formatTable(
      [
        "streams",
        "pool on",
        "chunks",
        "grpc/s",
        "spread",
        "in-proc/s",
        "ratio",
        "≥0.8",
        "session/s",
        "grpc÷session",
        "mean batch",
        "vad pending",
        "round p50 ms",
        "cpu/wall",
        "others",
        "asr jobs",
        "errors",
      ],
      report.vad.batched.flatMap((b) =>
        [
          { where: "this thread", entry: report.grpc_vad.find((g) => g.streams === b.streams) },
          { where: "worker", entry: report.grpc_worker_vad.find((g) => g.streams === b.streams) },
        ].flatMap(({ where, entry: g }) =>
          g === undefined
            ? []
            : [
                [
                  g.streams,
                  where,
                  g.chunks_processed,
                  g.chunks_per_s,
                  spread(g, g.chunks_per_s),
                  g.in_process_chunks_per_s,
                  g.ratio_vs_in_process,
                  verdict(g.meets_target),
                  g.pool_session_chunks_per_s,
                  g.ratio_vs_pool_session,
                  g.mean_batch_size,
                  g.mean_vad_pending,
                  g.round_latency.p50_ms,
                  g.cpu.cpu_per_wall,
                  g.cpu.other_processes_cores,
                  g.asr_jobs,
                  Object.values(g.errors).reduce((sum, n) => sum + n, 0),
                ],
              ],
        ),
      ),
    ),
    "",
    "3. ASR (Whisper tiny.en int8; latency = submit → answer; stall = longest the JS thread was held)",
  );
  const { raw, raw_full_window: rawFull, pool_grpc: poolGrpc, pool_in_process: poolInProcess } = report.asr;
  const paths = [
    { path: raw, ratioVsRaw: raw === null ? null : 1, jobs: null },
    { path: rawFull, ratioVsRaw: raw === null || rawFull === null ? null : round(rawFull.utterances_per_s / Math.max(1e-9, raw.utterances_per_s), 2), jobs: null },
    { path: poolGrpc, ratioVsRaw: poolGrpc?.ratio_vs_raw ?? null, jobs: poolGrpc?.asr_jobs ?? null },
    { path: poolInProcess, ratioVsRaw: poolInProcess?.ratio_vs_raw ?? null, jobs: poolInProcess?.asr_jobs ?? null },
  ];
  const asrRows: Cell[][] = [];
  for (const { path, ratioVsRaw, jobs } of paths) {
    if (path === null) continue;
    const l = path.latency;
    asrRows.push([
      path.path,
      path.concurrency,
      path.utterances,
      jobs ?? path.utterances,
      path.utterances_per_s,
      spread(path, path.utterances_per_s),
      l.p50_ms,
      l.p95_ms,
      l.p99_ms,
      path.asr_run.p50_ms,
      path.event_loop_delay.max_ms,
      path.cpu.cpu_per_wall,
      path.cpu.other_processes_cores,
      ratioVsRaw,
    ]);
  }
  out.push(
    formatTable(
      [
        "path",
        "in flight",
        "utterances",
        "whisper runs",
        "utt/s",
        "spread",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "run p50 ms",
        "stall ms",
        "cpu/wall",
        "others",
        "vs raw",
      ],
      asrRows,
    ),
  );
  return out;
}
