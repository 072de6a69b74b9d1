import { WhisperAsr } from "../../src/inference/models/whisper-asr.js";
import { WHISPER_FULL_WINDOW_FRAMES } from "../../src/inference/models/whisper-window.js";
import { MODEL_SAMPLE_RATE } from "../../src/inference/pool-types.js";
import type { Logger } from "../../src/logger.js";
import { runAsrPath, type AsrAnswer, type AsrBounds, type AsrPathResult } from "./asr-throughput.js";
import type { BenchAudio, BenchUtterance } from "./bench-audio.js";
import type { BenchOptions } from "./bench-options.js";
import type { PhaseRunner } from "./phase-runner.js";
import { medianRepetition, type WithRepetitions } from "./repetitions.js";
import { servePool } from "./served-pool.js";

export type AsrPoolResult = AsrPathResult & {
  /** Whisper jobs the pool's queue completed during the path (status asr.completed delta). */
  asr_jobs: number;
};

export interface AsrFigures {
  /** The model alone with its default windows (fitted to each utterance: 15 s, or 30 s past it). */
  raw: WithRepetitions<AsrPathResult> | null;
  /** The same with the shipped 30 s window only: the figure before windows were fitted. */
  raw_full_window: WithRepetitions<AsrPathResult> | null;
  pool_grpc: WithRepetitions<AsrPoolResult> | null;
  pool_in_process: WithRepetitions<AsrPoolResult> | null;
}

/**
 * Part 3: a standalone WhisperAsr and a default pool served over gRPC, loaded together; each repetition runs raw,
 * then gRPC Transcribe, then pool.transcribe. Only one of them transcribes at a time, so they never share cores.
 */
export async function benchAsr(
  options: BenchOptions,
  audio: BenchAudio,
  logger: Logger,
  runner: PhaseRunner,
): Promise<AsrFigures> {
  const figures: AsrFigures = { raw: null, raw_full_window: null, pool_grpc: null, pool_in_process: null };
  // Raw = the model alone on this thread, as before model threads: the pool's own Whisper runs on a model thread.
  const asr = await WhisperAsr.load({ modelsDir: options.modelsDir, logger, thread: "current" });
  const fullWindow = await WhisperAsr.load({ modelsDir: options.modelsDir, logger, thread: "current", windowsFrames: [WHISPER_FULL_WINDOW_FRAMES] });
  const served = await servePool({ modelsDir: options.modelsDir, logger });
  const raw: AsrPathResult[] = [];
  const rawFull: AsrPathResult[] = [];
  const grpc: AsrPoolResult[] = [];
  const inProcess: AsrPoolResult[] = [];
  const inFlight = options.asrPoolConcurrency;

  const modelSubmit = (model: WhisperAsr) => async (utterance: BenchUtterance): Promise<AsrAnswer> => {
    const result = await model.transcribe(utterance.samples16k);
    return { text: result.text, asrMs: result.runMs, segments: 1 };
  };
  const grpcSubmit = async (utterance: BenchUtterance): Promise<AsrAnswer> => {
    const result = await served.client.transcribe(utterance.pcm16, MODEL_SAMPLE_RATE);
    return { text: result.text, asrMs: result.timings.asrMs, segments: result.segments.length };
  };
  const inProcessSubmit = async (utterance: BenchUtterance): Promise<AsrAnswer> => {
    const result = await served.pool.transcribe(utterance.pcm16, MODEL_SAMPLE_RATE);
    return { text: result.text, asrMs: result.timings.asrMs, segments: result.segments.length };
  };
  const poolPath = async (path: string, submit: typeof grpcSubmit, rep: number): Promise<AsrPoolResult> => {
    const before = served.pool.status().asr.completed;
    const result = await runAsrPath(path, submit, audio.utterances, inFlight, bounds(options, rep));
    return { ...result, asr_jobs: served.pool.status().asr.completed - before };
  };

  try {
    for (let rep = 0; rep < options.repetitions; rep++) {
      const of = `${rep + 1}/${options.repetitions}`;
      runner.progress(`ASR ${of}: WhisperAsr.transcribe in a loop`);
      const r = await runner.run(`asr_raw_${rep}`, () => runAsrPath("raw", modelSubmit(asr), audio.utterances, 1, bounds(options, rep)));
      if (r !== null) raw.push(r);
      runner.progress(`ASR ${of}: WhisperAsr.transcribe in a loop, 30 s window only`);
      const f = await runner.run(`asr_raw_full_window_${rep}`, () => runAsrPath("raw_full_window", modelSubmit(fullWindow), audio.utterances, 1, bounds(options, rep)));
      if (f !== null) rawFull.push(f);
      runner.progress(`ASR ${of}: gRPC Transcribe, ${inFlight} in flight`);
      const g = await runner.run(`asr_pool_grpc_${rep}`, () => poolPath("pool_grpc", grpcSubmit, rep));
      if (g !== null) grpc.push(g);
      runner.progress(`ASR ${of}: pool.transcribe in process, ${inFlight} in flight`);
      const p = await runner.run(`asr_pool_in_process_${rep}`, () => poolPath("pool_in_process", inProcessSubmit, rep));
      if (p !== null) inProcess.push(p);
    }
  } finally {
    await served.close();
    await asr.close();
    await fullWindow.close();
  }
  const byThroughput = (result: AsrPathResult) => result.utterances_per_s;
  figures.raw = medianRepetition(raw, byThroughput);
  figures.raw_full_window = medianRepetition(rawFull, byThroughput);
  figures.pool_grpc = medianRepetition(grpc, byThroughput);
  figures.pool_in_process = medianRepetition(inProcess, byThroughput);
  return figures;
}

/** Warm-up utterances only before a path's first repetition. */
function bounds(options: BenchOptions, rep: number): AsrBounds {
  return {
    maxMs: options.asrMaxMs,
    maxUtterances: options.asrMaxUtterances,
    warmUpUtterances: rep === 0 ? options.asrWarmUpUtterances : 0,
  };
}
