/**
 * One-time model setup: prepares the loadable Whisper model in MODELS_DIR (default `${DATA_DIR ?? "./data"}/models`)
 * and loads Whisper and Silero VAD once each to prove they run. Safe to repeat: a prepared model is reused.
 * Usage: npm run models:prepare
 */
import { join } from "node:path";
import { createLogger } from "../src/logger.js";
import { sileroVadModel } from "../src/inference/models/model-files.js";
import { SileroVad } from "../src/inference/models/silero-vad.js";
import { WhisperAsr } from "../src/inference/models/whisper-asr.js";
import { createWhisperPreparer } from "../src/inference/models/whisper-prepare.js";

async function main(): Promise<void> {
  const logger = createLogger(process.env.LOG_LEVEL ?? "info");
  const modelsDir = process.env.MODELS_DIR ?? join(process.env.DATA_DIR ?? "./data", "models");
  const preparer = createWhisperPreparer();

  let startedAt = performance.now();
  const prepared = await preparer.prepare({ modelsDir, logger });
  const prepareMs = performance.now() - startedAt;

  startedAt = performance.now();
  const asr = await WhisperAsr.load({ modelsDir, logger, preparer });
  const whisperLoadMs = performance.now() - startedAt;
  const silence = await asr.transcribe(new Float32Array(16_000));
  await asr.close();

  startedAt = performance.now();
  const vad = await SileroVad.load();
  const vadLoadMs = performance.now() - startedAt;
  const vadRun = await vad.runBatch(new Float32Array(vad.chunkSamples), vad.createStreamState(), 1);
  await vad.close();

  const report = {
    whisper_model: prepared.modelPath,
    whisper_vocabulary: prepared.vocabularyPath,
    silero_vad_model: sileroVadModel("v5").path,
    prepare_ms: Math.round(prepareMs),
    whisper_load_ms: Math.round(whisperLoadMs),
    whisper_run_ms_1s_silence_after_warm_up: Math.round(silence.runMs),
    vad_load_ms: Math.round(vadLoadMs),
    vad_probability_silence: Number((vadRun.probabilities[0] ?? Number.NaN).toFixed(3)),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`models:prepare failed: ${text}\n`);
  process.exitCode = 1;
});
