import { availableParallelism } from "node:os";
import { join } from "node:path";
import { pcm16ToFloat32 } from "../src/inference/audio/pcm.js";
import { configFromEnv } from "../src/config.js";
import { AsrLanes, defaultAsrLayout, type AsrLayout } from "../src/inference/asr/asr-lanes.js";
import { WhisperAsr } from "../src/inference/models/whisper-asr.js";
import { MODEL_SAMPLE_RATE } from "../src/inference/pool-types.js";
import { summarize, type LatencySummary } from "../scripts/bench/latency-stats.js";
import type { SpeechScript } from "./speech-script.js";

export interface RawAsrResult {
  /** Whisper sessions run side by side × threads each: the engine's layout (ASR_LANES / ASR_THREADS or the default). */
  layout: AsrLayout;
  utterances: number;
  elapsed_ms: number;
  utterances_per_s: number;
  run: LatencySummary;
  sample_text: string;
}

/** What the engine's segmenter adds around speech (300 ms pre-roll; the end lands ~100 ms late): same audio for both. */
const PRE_ROLL_MS = 300;
const POST_ROLL_MS = 100;

/**
 * The raw model on the same audio: each utterance of the script, cut as the engine cuts it, through `WhisperAsr`
 * (onnxruntime-node) laid out as the engine's pool lays it out — one loop per lane, utterances one after another in
 * each — nothing else running. Bounded by count and time.
 */
export async function measureRawAsr(script: SpeechScript, bounds = { maxUtterances: 40, maxMs: 30_000 }): Promise<RawAsrResult> {
  const samples = pcm16ToFloat32(script.pcm16);
  const cut = script.utterances.map((u) =>
    samples.subarray(
      Math.max(0, Math.floor(((u.startMs - PRE_ROLL_MS) * MODEL_SAMPLE_RATE) / 1000)),
      Math.min(samples.length, Math.ceil(((u.endMs + POST_ROLL_MS) * MODEL_SAMPLE_RATE) / 1000)),
    ),
  );
  const modelsDir = process.env["MODELS_DIR"] ?? join(process.cwd(), "data", "models");
  // The engine this run starts reads the same environment: read ASR_LANES / ASR_THREADS the way it does.
  const config = configFromEnv();
  const layout = defaultAsrLayout(availableParallelism(), config.asrLanes ?? undefined, config.asrThreads ?? undefined);
  const asr = await AsrLanes.load(layout.lanes, () => WhisperAsr.load({ modelsDir, intraOpNumThreads: layout.threadsPerLane }));
  try {
    const first = cut[0];
    const warm = first === undefined ? { text: "" } : await asr.transcribe(first);
    const runs: number[] = [];
    let started = 0;
    const startedMs = performance.now();
    const lane = async () => {
      while (started < bounds.maxUtterances && performance.now() - startedMs < bounds.maxMs) {
        const utterance = cut[started++ % cut.length];
        if (utterance === undefined) break;
        const t0 = performance.now();
        await asr.transcribe(utterance);
        runs.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: layout.lanes }, lane));
    const elapsedMs = performance.now() - startedMs;
    return {
      layout,
      utterances: runs.length,
      elapsed_ms: Math.round(elapsedMs),
      utterances_per_s: Math.round((runs.length / (elapsedMs / 1000)) * 100) / 100,
      run: summarize(runs),
      sample_text: warm.text,
    };
  } finally {
    await asr.close();
  }
}
