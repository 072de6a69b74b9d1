/**
 * Inference pool benchmark, in one run:
 *   1. Silero VAD: one `session.run` per chunk vs the pool's `VadBatcher` at N streams.
 *   2. The same VAD work end to end through the pool's gRPC StreamAudio (and, to split the cost, through the pool's
 *      in-process audio session), vs 1. at the same N.
 *   3. Whisper ASR: `WhisperAsr.transcribe` in a loop vs the pool (gRPC Transcribe and in-process `transcribe`).
 *   4–7. The face pipeline (JPEG decode, BlazeFace, expression): one frame at a time vs the dynamic batcher, the
 *      expression model batched vs one at a time, BlazeFace's shipped vs opened graph, live cameras over StreamVideo.
 *   Then RNNoise's cost (`denoise`), streamed vs whole WER (`wer`), speech synthesis (`tts`: gRPC Synthesize), and
 *   ESRGAN super-resolution (`enhance`: ms per frame, PSNR against bicubic and nearest on real photos).
 * Writes JSON (default bench-results/inference.json) and prints a table. Every loop is bounded in count and time.
 * Usage: npm run bench:inference -- [--quick] [--only vad,asr,face] [--json PATH] (see --help)
 */
import { parseBenchCli, runBenchMain } from "./bench/bench-cli.js";
import { mkdir, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { createWhisperPreparer } from "../src/inference/models/whisper-prepare.js";
import { createLogger, type Logger } from "../src/logger.js";
import { benchAsr } from "./bench/asr-phase.js";
import { prepareBenchAudio, type BenchAudio } from "./bench/bench-audio.js";
import { BenchUsageError, parseBenchOptions, USAGE, type BenchOptions, type BenchPart } from "./bench/bench-options.js";
import type { PhaseRunner } from "./bench/phase-runner.js";
import {
  asrSection,
  BENCH_TARGETS,
  evaluateTargets,
  overallPass,
  vadSections,
  type BenchReport,
} from "./bench/bench-report.js";
import { benchFace } from "./bench/face-phase.js";
import { evaluateFaceTargets, faceNotes, faceSection } from "./bench/face-report.js";
import { round } from "./bench/latency-stats.js";
import { machineInfo } from "./bench/machine-info.js";
import { benchNotes, benchObservations } from "./bench/observations.js";
import { createPhaseRunner } from "./bench/phase-runner.js";
import { renderReport } from "./bench/report-table.js";
import { benchVad } from "./bench/vad-phase.js";
import { measureDenoiseStage, noisySpeech, type DenoiseStageReport } from "./bench/denoise-stage.js";
import { measureStreamedWer, type StreamedWerReport } from "./bench/streamed-wer.js";
import { NEVER_CONFIRM_SPEECH_MS } from "./bench/vad-pool-stream.js";
import { benchTts, type TtsReport } from "./bench/tts-phase.js";
import { benchEnhance, type EnhanceReport } from "./bench/enhance-phase.js";
import { measureWindowWer, type WindowWerReport } from "./bench/window-wer.js";

function parameters(options: BenchOptions): Record<string, unknown> {
  return {
    stream_counts: options.streamCounts,
    window_chunks: options.windowChunks,
    repetitions: options.repetitions,
    vad_chunk_samples: 512,
    chunks_per_grpc_message: options.chunksPerMessage,
    // The gRPC passes merge chunks on a congested call as AudioLink does (ChunkCoalescer); 0: they did not.
    grpc_coalesce_max_delay_ms: options.coalesceMaxDelayMs,
    vad_warm_up_ms: options.vadWarmUpMs,
    vad_baseline: {
      streams: options.vadBaselineStreams,
      max_ms: options.vadBaselineMaxMs,
      max_chunks: options.vadBaselineMaxChunks,
    },
    vad_pass: { max_ms: options.vadPassMaxMs, max_chunks: options.vadPassMaxChunks },
    vad_batcher: "VadBatcher defaults (maxBatchSize 128, maxWaitMs 4, maxPendingPerStream 64)",
    vad_model: "Silero VAD v5, intraOpNumThreads 1 (SileroVad defaults)",
    vad_pool_segmenter: { paddingMs: 300, minSpeechMs: NEVER_CONFIRM_SPEECH_MS },
    face: {
      stream_counts: options.faceStreamCounts,
      decoder_threads: options.faceDecoderThreads,
      pass: { max_ms: options.facePassMaxMs, max_frames: options.facePassMaxFrames, warm_up_ms: options.faceWarmUpMs },
      expression_streams: options.faceExpressionStreams,
      live: {
        cameras: options.faceLiveStreams,
        fps: options.faceLiveFps,
        cameras_per_call: options.faceStreamsPerCall,
        warm_up_ms: options.faceLiveWarmUpMs,
        measured_ms: options.faceLiveMs,
      },
      models: "BlazeFace front 128 (onnxruntime-node, shipped graph, own thread) + human's emotion model (TF.js wasm)",
    },
    asr: {
      warm_up_utterances: options.asrWarmUpUtterances,
      max_ms: options.asrMaxMs,
      max_utterances: options.asrMaxUtterances,
      pool_in_flight: options.asrPoolConcurrency,
      model: "Whisper tiny.en int8, greedy, intraOpNumThreads = available parallelism (WhisperAsr defaults)",
    },
    tts: { sentences_per_case: options.ttsSentences, in_flight: options.ttsInFlight, model: "eSpeak NG (espeak_ng), its threads as sized for this machine" },
    enhance: {
      model: "ESRGAN slim (esrgan_slim) on its own thread, as the registry loads it; no gRPC, no image decoding or encoding",
      photos: "Debian python3-skimage astronaut, chelsea, coffee; centre crop ≤ 512×512, box-downscaled by 2 and 4",
      runs: options.mode === "quick" ? "2 per case, no 512×512 cases, no medium variant" : "5 per case (2 at 512×512), medium variant on the calling thread",
    },
    targets: BENCH_TARGETS,
    models_dir: resolve(options.modelsDir),
  };
}

function audioSummary(audio: BenchAudio): Record<string, unknown> {
  return {
    synthesizer: "eSpeak NG (espeak-ng WASM), en-us, resampled to 16 kHz, PCM16 round trip",
    sentences: audio.utterances.map((u) => u.text),
    utterance_ms: audio.utterances.map((u) => round(u.durationMs, 0)),
    track_ms: round(audio.track.durationMs, 0),
    track_chunks: audio.track.chunks.length,
    track_speech_fraction: round(audio.track.speechFraction),
    synthesis_ms: round(audio.synthesisMs, 0),
  };
}

/** Speech for the VAD and ASR parts, and Whisper prepared in the models folder. */
async function prepareAudio(options: BenchOptions, logger: Logger, runner: PhaseRunner): Promise<BenchAudio> {
  runner.progress(`mode ${options.mode}; synthesizing speech and preparing Whisper in ${options.modelsDir}`);
  const [audio] = await Promise.all([prepareBenchAudio(), createWhisperPreparer().prepare({ modelsDir: options.modelsDir, logger })]);
  return audio;
}

async function main(): Promise<number> {
  const cli = parseBenchCli(parseBenchOptions, USAGE, BenchUsageError);
  if ("exitCode" in cli) return cli.exitCode;
  const options: BenchOptions = cli.options;

  const startedAt = new Date();
  const startedMs = performance.now();
  const machine = machineInfo();
  const logger = createLogger(options.logLevel);
  const runner = createPhaseRunner((line) => process.stderr.write(line));

  const runs = (part: BenchPart) => options.parts.includes(part);
  const audio = runs("vad") || runs("asr") ? await prepareAudio(options, logger, runner) : null;
  const vad = (audio !== null && runs("vad") ? await runner.run("vad", () => benchVad(options, audio, logger, runner)) : null) ?? {
    baseline: null,
    batched: [],
    sessions: [],
    grpc: [],
    grpcWorker: [],
  };
  const asr = (audio !== null && runs("asr") ? await runner.run("asr", () => benchAsr(options, audio, logger, runner)) : null) ?? {
    raw: null,
    raw_full_window: null,
    pool_grpc: null,
    pool_in_process: null,
  };
  const whisperWindow: WindowWerReport | null = runs("window")
    ? await runner.run("window", () => measureWindowWer({ modelsDir: options.modelsDir, logger, log: (line) => runner.progress(line) }))
    : null;
  const faceFigures = runs("face") ? await runner.run("face", () => benchFace(options, logger, runner)) : null;
  const face = faceFigures === null ? null : faceSection(faceFigures);
  // RNNoise's cost per stream through the pool (20 s of noisy speech, 1 and 8 streams), and streamed vs whole WER on
  // recorded speech; the WER table in noise takes ≈ 12 min: scripts/bench/denoise-bench.ts.
  const denoise: DenoiseStageReport | null = runs("denoise")
    ? await runner.run("denoise", async () =>
        measureDenoiseStage({ modelsDir: options.modelsDir, logger, audio16k: await noisySpeech(20), streamCounts: [1, 8], repetitions: options.repetitions }),
      )
    : null;
  const wer: StreamedWerReport | null = runs("wer")
    ? await runner.run("wer", () => measureStreamedWer({ modelsDir: options.modelsDir }))
    : null;

  const tts: TtsReport | null = runs("tts")
    ? await runner.run("tts", () => benchTts({ modelsDir: options.modelsDir, logger, sentences: options.ttsSentences, inFlight: options.ttsInFlight }))
    : null;

  const enhance: EnhanceReport | null = runs("enhance") ? await runner.run("enhance", () => benchEnhance({ logger, mode: options.mode })) : null;

  const sections = { ...vadSections(vad), asr: asrSection(asr) };
  const targets = [...(runs("vad") || runs("asr") ? evaluateTargets(sections) : []), ...(runs("face") ? evaluateFaceTargets(face) : [])];
  const report: BenchReport = {
    schema: "bench-inference/1",
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    duration_ms: round(performance.now() - startedMs, 0),
    mode: options.mode,
    parts: options.parts,
    ok: runner.errors.length === 0,
    pass: overallPass(targets),
    machine: { ...machine, load_average_1m_end: round(loadavg()[0] ?? 0, 2) },
    parameters: parameters(options),
    audio: audio === null ? {} : audioSummary(audio),
    targets,
    ...sections,
    face,
    denoise,
    whisper_window: whisperWindow,
    streamed_wer: wer,
    tts,
    enhance,
    phase_errors: runner.errors,
    notes: [...(runs("vad") || runs("asr") ? benchNotes(options) : []), ...(runs("face") ? faceNotes() : [])],
    observations: [],
  };
  report.observations = benchObservations(report);

  const jsonPath = resolve(options.jsonPath);
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${renderReport(report, options.jsonPath)}\n`);
  return report.ok ? 0 : 1;
}

// The batcher's timers are unref'd: runBenchMain holds the process open until the end.
runBenchMain("bench:inference", main);
