import type { AsrResult, WhisperAsr } from "../models/whisper-asr.js";
import { PoolError } from "../pool-error.js";

/** How Whisper is laid out on the cores: `lanes` sessions run side by side, `threadsPerLane` threads each. */
export interface AsrLayout {
  lanes: number;
  threadsPerLane: number;
}

/**
 * The default layout for `cores`: lanes of 1 thread below 4 cores, of 2 threads from 4 cores. Measured on 2 cores
 * (`npm run loadtest:capacity`): two 1-thread lanes held 10 talking sessions within a 2 s p99 and sustained 2.65
 * utterances/s, against 8 and 2.2/s for one 2-thread lane, which is faster per utterance (≈ 0.39 s vs 0.67 s) only
 * while nothing else runs. From 4 cores 2 threads per lane is an unmeasured middle: lower latency per run, and
 * Whisper tiny gains little from more threads than that.
 */
export function defaultAsrLayout(cores: number, lanes?: number, threadsPerLane?: number): AsrLayout {
  const threads = Math.max(1, threadsPerLane ?? (cores < 4 ? 1 : 2));
  const laneCount = Math.max(1, lanes ?? Math.floor(cores / threads));
  return { lanes: laneCount, threadsPerLane: Math.max(1, threadsPerLane ?? Math.floor(cores / laneCount)) };
}

/** Settings as configuration carries them (null: unset) → the pool's partial layout. */
export function asrLayoutOverrides(settings: { lanes: number | null; threadsPerLane: number | null }): Partial<AsrLayout> {
  return {
    ...(settings.lanes === null ? {} : { lanes: settings.lanes }),
    ...(settings.threadsPerLane === null ? {} : { threadsPerLane: settings.threadsPerLane }),
  };
}

/**
 * Whisper sessions used in parallel. The ASR queue runs at most `size` jobs at once, so a job always finds a free
 * lane; each lane is its own session on its own thread.
 */
export class AsrLanes {
  readonly #all: readonly WhisperAsr[];
  readonly #free: WhisperAsr[];

  private constructor(lanes: WhisperAsr[]) {
    this.#all = lanes;
    this.#free = [...lanes];
  }

  /** Loads the lanes one after another: the first prepares the model once, the others reuse the cache. */
  static async load(count: number, loadLane: () => Promise<WhisperAsr>): Promise<AsrLanes> {
    const lanes: WhisperAsr[] = [];
    try {
      for (let i = 0; i < count; i++) lanes.push(await loadLane());
    } catch (error) {
      await Promise.all(lanes.map((lane) => lane.close()));
      throw error;
    }
    return new AsrLanes(lanes);
  }

  get size(): number {
    return this.#all.length;
  }

  async transcribe(samples16k: Float32Array): Promise<AsrResult> {
    const lane = this.#free.pop();
    // The queue's concurrency equals the lane count, so this means the two went out of step: a bug, not load.
    if (lane === undefined) throw new PoolError("internal", "no free ASR lane");
    try {
      return await lane.transcribe(samples16k);
    } finally {
      this.#free.push(lane);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#all.map((lane) => lane.close()));
  }
}
