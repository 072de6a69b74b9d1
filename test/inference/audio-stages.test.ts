import { beforeAll, describe, expect, it } from "vitest";
import { AudioStages, type StreamStages } from "../../src/inference/audio-stages.js";
import { denoiseRecording } from "../../src/inference/audio/denoise/denoiser.js";
import { RnnoiseLoader } from "../../src/inference/audio/denoise/rnnoise-runtime.js";
import { RNNOISE_MODULE } from "../../src/inference/models/rnnoise-model.js";
import { PoolError } from "../../src/inference/pool-error.js";
import type { DenoiseModel, LoadedModel } from "../../src/inference/registry/model-module.js";
import { createLogger } from "../../src/logger.js";
import { eventually } from "../support/engine.js";
import { concatenate, mixAtSnr, speechTrack, whiteNoise } from "../support/noisy-speech.js";
import { createSpeechSynthesizer } from "../support/speech.js";

/**
 * The pool's per-stream stages on the real RNNoise module (its wasm, loaded as the registry loads it): audio held
 * while the model loads comes out denoised and aligned once it is in, a stream whose model is unavailable gets
 * nothing through, and every state is freed on end, idle and close (the runtime's own count says so).
 */

const log = createLogger("silent");
let loaded: LoadedModel<"denoise">;
let noisy: Float32Array;

beforeAll(async () => {
  loaded = await RNNOISE_MODULE.load({ modelsDir: "/nowhere", device: "cpu", logger: log, placement: { instances: 1, threads: 1 } });
  await loaded.warmup?.();
  const track = await speechTrack(createSpeechSynthesizer(), ["thank you all for joining the call this morning"], 500);
  noisy = mixAtSnr(track.samples, whiteNoise(track.samples.length, 3), 5);
}, 60_000);

/** The model, handed over after `delayMs` (a registry still loading it), or a refusal. */
function later(model: DenoiseModel | PoolError, delayMs: number): () => Promise<DenoiseModel> {
  return () => new Promise((resolve, reject) => setTimeout(() => (model instanceof PoolError ? reject(model) : resolve(model)), delayMs));
}

/** 20 ms chunks of `samples`. */
function chunks(samples: Float32Array): Float32Array[] {
  const out: Float32Array[] = [];
  for (let at = 0; at < samples.length; at += 320) out.push(samples.subarray(at, at + 320));
  return out;
}

function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe("a stream's denoise stage", () => {
  it("holds audio while the model loads, then gives it out denoised exactly as the whole recording, ending with the state freed", async () => {
    const stages = new AudioStages({ denoise: later(loaded.model, 30) }, log);
    const errors: PoolError[] = [];
    const stream = stages.open(["denoise"], (error) => errors.push(error)) as StreamStages;
    const parts = chunks(noisy);
    const out: Float32Array[] = [];
    // The first half before the model is in: nothing comes out yet.
    for (const chunk of parts.slice(0, parts.length / 2)) out.push(stream.process(chunk));
    expect(stream.holding).toBe(true);
    expect(out.every((o) => o.length === 0)).toBe(true);
    expect(await stream.ready).toBeNull();
    out.push(stream.release());
    expect(stream.holding).toBe(false);
    expect(loaded.model.openStreams).toBe(1);
    for (const chunk of parts.slice(parts.length / 2, -1)) out.push(stream.process(chunk));
    out.push(stream.end(parts.at(-1) ?? new Float32Array(0)));
    expect(loaded.model.openStreams).toBe(0);
    const expected = denoiseRecording(await new RnnoiseLoader().load(), noisy);
    expect(firstDifference(concatenate(out), expected)).toBe(-1);
    expect(errors).toEqual([]);
    expect(stages.stats().states).toEqual({ open: 0, opened: 1, freedOnClose: 1, freedIdle: 0 });
    stages.close();
  });

  it("ended while the model still loads: the release gives the whole stream out, and frees the state", async () => {
    const stages = new AudioStages({ denoise: later(loaded.model, 30) }, log);
    const stream = stages.open(["denoise"], () => undefined) as StreamStages;
    stream.process(noisy.subarray(0, 8_000));
    expect(stream.end(noisy.subarray(8_000, 16_000)).length).toBe(0);
    expect(stream.holding).toBe(true);
    await stream.ready;
    expect(stream.release().length).toBe(16_000);
    expect(stream.holding).toBe(false);
    expect(loaded.model.openStreams).toBe(0);
    stages.close();
  });

  it("is refused when the model is unavailable: nothing goes through, no state is opened", async () => {
    const refusal = new PoolError("model_unavailable", "no denoise model is configured");
    const stages = new AudioStages({ denoise: later(refusal, 0) }, log);
    const stream = stages.open(["denoise"], () => undefined) as StreamStages;
    stream.process(noisy.subarray(0, 3_200));
    expect(await stream.ready).toMatchObject({ code: "model_unavailable" });
    expect(stream.release().length).toBe(0);
    expect(stream.process(noisy.subarray(0, 3_200)).length).toBe(0);
    expect(stream.end(new Float32Array(0)).length).toBe(0);
    expect(stages.stats().states).toMatchObject({ open: 0, opened: 0 });
    stages.close();
  });

  it("refuses audio past its bound while the model loads, as overloaded, and goes on with the next", async () => {
    const stages = new AudioStages({ denoise: later(loaded.model, 30) }, log, { maxHeldMs: 100 });
    const errors: PoolError[] = [];
    const stream = stages.open(["denoise"], (error) => errors.push(error)) as StreamStages;
    // 100 ms is 5 chunks of 20 ms: the sixth is refused.
    for (const chunk of chunks(noisy.subarray(0, 6 * 320))) stream.process(chunk);
    expect(errors.map((e) => e.code)).toEqual(["overloaded"]);
    expect(stages.stats()).toMatchObject({ heldChunks: 5, rejectedOverloaded: 1 });
    await stream.ready;
    expect(stream.release().length).toBeGreaterThan(0);
    stream.end(new Float32Array(0));
    stages.close();
  });

  it("asks for nothing when the stream asked for no stage", () => {
    const stages = new AudioStages({ denoise: later(loaded.model, 0) }, log);
    expect(stages.open([], () => undefined)).toBeNull();
    stages.close();
  });
});

describe("the pool's stages", () => {
  it("free an idle stream's state, keep its held-back output, and open a fresh one when its audio resumes", async () => {
    const stages = new AudioStages({ denoise: later(loaded.model, 0) }, log, { idleTimeoutMs: 40 });
    const stream = stages.open(["denoise"], () => undefined) as StreamStages;
    await stream.ready;
    stream.release();
    const first = stream.process(noisy.subarray(0, 8_000));
    expect(loaded.model.openStreams).toBe(1);
    await eventually(() => (stages.stats().states.freedIdle === 1 ? true : undefined), 2_000);
    expect(loaded.model.openStreams).toBe(0);
    const second = stream.process(noisy.subarray(8_000, 16_000));
    expect(loaded.model.openStreams).toBe(1);
    const rest = stream.end(new Float32Array(0));
    // Output as long as input: nothing the freed state held back was lost.
    expect(first.length + second.length + rest.length).toBe(16_000);
    expect(stages.stats().states).toEqual({ open: 0, opened: 2, freedOnClose: 1, freedIdle: 1 });
    stages.close();
  });

  it("free every stream's state when the pool closes", async () => {
    const stages = new AudioStages({ denoise: later(loaded.model, 0) }, log);
    const streams = [0, 1, 2].map(() => stages.open(["denoise"], () => undefined) as StreamStages);
    for (const stream of streams) {
      await stream.ready;
      stream.release();
      stream.process(noisy.subarray(0, 1_600));
    }
    expect(loaded.model.openStreams).toBe(3);
    stages.close();
    expect(loaded.model.openStreams).toBe(0);
    expect(stages.stats().states).toMatchObject({ open: 0, opened: 3, freedOnClose: 3 });
  });
});
