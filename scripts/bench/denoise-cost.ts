import { Denoiser } from "../../src/inference/audio/denoise/denoiser.js";
import { RNNOISE_FRAME_SAMPLES, type RnnoiseRuntime } from "../../src/inference/audio/denoise/rnnoise-runtime.js";
import { resample } from "../../src/inference/audio/resample.js";
import { MODEL_SAMPLE_RATE } from "../../src/inference/pool-types.js";
import { startCpuMeter } from "./cpu-meter.js";

/**
 * CPU cost of noise suppression for one stream: audio pushed through as fast as it goes, in 20 ms chunks as a live
 * stream sends it, timed with the process's CPU clock (user + system) rather than the wall clock, so time the
 * process spent waiting for a core that other processes held is not counted. Still, on a shared machine caches and
 * frequency are shared too: the median of several repetitions is reported, with the other processes' load beside it.
 */
export interface DenoiseCost {
  build: string;
  /** The whole stage: 16 → 48 kHz, RNNoise, 48 → 16 kHz, framing. */
  stage_cpu_ms_per_audio_s: number;
  /** RNNoise's frames alone (the two resamplers are the difference). */
  rnnoise_cpu_ms_per_audio_s: number;
  /** Stage CPU as a share of one core while the stream runs in real time. */
  stage_core_percent: number;
  /** Median over repetitions of the cores' worth other processes used meanwhile (null off Linux). */
  other_processes_cores: number | null;
  repetitions: number;
}

const CHUNK_SAMPLES = (MODEL_SAMPLE_RATE * 20) / 1000;

export function measureDenoiseCost(runtime: RnnoiseRuntime, audio16k: Float32Array, repetitions: number): DenoiseCost {
  const seconds = audio16k.length / MODEL_SAMPLE_RATE;
  const audio48k = resample(audio16k, MODEL_SAMPLE_RATE, 48_000);
  const frames = Math.floor(audio48k.length / RNNOISE_FRAME_SAMPLES);
  // Warm-up: the first frames pay for wasm tier-up and the JIT.
  stagePass(runtime, audio16k.subarray(0, MODEL_SAMPLE_RATE * 2));
  const stage: number[] = [];
  const frameOnly: number[] = [];
  const others: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    const started = performance.now();
    const meter = startCpuMeter();
    stagePass(runtime, audio16k);
    const figures = meter(performance.now() - started);
    stage.push(figures.process_cpu_ms / seconds);
    if (figures.other_processes_cores !== null) others.push(figures.other_processes_cores);

    const state = runtime.openState();
    const work = audio48k.slice(0, frames * RNNOISE_FRAME_SAMPLES);
    const before = process.cpuUsage();
    for (let offset = 0; offset < work.length; offset += RNNOISE_FRAME_SAMPLES) state.processFrame(work, offset);
    const used = process.cpuUsage(before);
    state.close();
    frameOnly.push((used.user + used.system) / 1000 / seconds);
  }
  const stageMs = median(stage);
  return {
    build: runtime.build,
    stage_cpu_ms_per_audio_s: round(stageMs),
    rnnoise_cpu_ms_per_audio_s: round(median(frameOnly)),
    stage_core_percent: round(stageMs / 10),
    other_processes_cores: others.length === 0 ? null : round(median(others)),
    repetitions,
  };
}

function stagePass(runtime: RnnoiseRuntime, audio16k: Float32Array): void {
  const denoiser = new Denoiser(runtime);
  for (let at = 0; at < audio16k.length; at += CHUNK_SAMPLES) denoiser.process(audio16k.subarray(at, at + CHUNK_SAMPLES));
  denoiser.flush();
  denoiser.close();
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
