import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import type { ModelStatusView } from "../../src/inference/pool-service.js";
import { eventually } from "../support/engine.js";
import { closedFor, errorFor, openAudioCall, openMessage, sendSpeech, startTestPool, type TestPool } from "../support/pool-audio-call.js";
import { spawnPool, stopPool, TEST_INFERENCE_TOKEN, type PoolProcess } from "../support/pool-process.js";
import { rejection } from "../support/rejection.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

/**
 * The pool as its registry makes it: GetStatus over real gRPC from a standalone worker lists every model with its
 * task, runtime, batching and state (the face models too: loaded by default); a task whose model is not configured
 * answers exactly as one whose load failed.
 */

let speech: Uint8Array;
beforeAll(async () => {
  const synthesized = await createSpeechSynthesizer().synthesize("hello world, this is a test of the meeting engine");
  speech = float32ToPcm16(padWithSilence(synthesized.samples16k, 500, 1_000));
}, 60_000);

describe("GetStatus of a standalone pool worker", () => {
  let worker: PoolProcess;
  let client: PoolClient;
  beforeAll(async () => {
    worker = await spawnPool({ INFERENCE_PORT: "0" }, 60_000);
    client = new PoolClient(worker.address, { token: TEST_INFERENCE_TOKEN });
  }, 90_000);
  afterAll(async () => {
    client?.close();
    if (worker !== undefined) await stopPool(worker);
  });

  it("lists every model it can run (by default all it knows) with task, runtime, batching, placement, state, load times, batches and queue", async () => {
    const status = await eventually(async () => {
      const s = await client.status();
      return s.models.every((m) => m.state !== "loading") ? s : undefined;
    }, 90_000);
    const [vad, asr, detect, expression, denoise, tts, superResolution] = status.models;
    // deepfake_onnx is known but skipped: no model file is placed in MODELS_DIR.
    expect(status.models.map((m) => m.name)).toEqual(["silero_vad_v5", "whisper_tiny_en_int8", "blazeface_front_128", "human_emotion", "rnnoise", "espeak_ng", "esrgan_slim"]);
    expect(superResolution).toMatchObject({ task: "super_resolution", runtime: "tfjs-wasm", batching: "none", state: "loaded", loaded: true, error: null, instances: 1, threads: 1 });
    expect(tts).toMatchObject({ task: "tts", runtime: "wasm", batching: "none", state: "loaded", loaded: true, error: null, threads: 1, batch: null });
    expect(tts?.warmupMs).toBeGreaterThan(0);
    expect(tts?.queue).toMatchObject({ queuedLive: 0, queuedFile: 0, running: 0 });
    expect(denoise).toMatchObject({ task: "denoise", runtime: "wasm", batching: "sequence", state: "loaded", loaded: true, error: null, instances: 1, threads: 1 });
    expect(denoise?.warmupMs).toBeGreaterThan(0);
    expect(denoise?.streamStates).toEqual({ open: 0, opened: 0, freedOnClose: 0, freedIdle: 0 });
    expect(detect).toMatchObject({ task: "face_detect", runtime: "onnxruntime-node", batching: "dynamic", state: "loaded", loaded: true, error: null, instances: 1, threads: 1 });
    expect(expression).toMatchObject({ task: "face_expression", runtime: "tfjs-wasm", batching: "dynamic", state: "loaded", loaded: true, error: null, instances: 1, threads: 1 });
    for (const face of [detect, expression]) {
      expect(face?.loadMs).toBeGreaterThan(0);
      expect(face?.warmupMs).toBeGreaterThan(0);
    }
    expect(vad).toMatchObject({ task: "vad", runtime: "onnxruntime-node", batching: "sequence", state: "loaded", loaded: true, error: null, instances: 1, threads: 1 });
    // ASR_LANES=1 (spawnPool): one Whisper session with the cores' threads.
    expect(asr).toMatchObject({ task: "asr", runtime: "onnxruntime-node", batching: "none", state: "loaded", loaded: true, error: null, instances: 1, batch: null });
    expect(asr?.threads).toBeGreaterThanOrEqual(1);
    expect(vad?.loadMs).toBeGreaterThan(0);
    expect(asr?.loadMs).toBeGreaterThan(0);
    expect(asr?.warmupMs).toBeGreaterThan(0);
    expect(vad?.batch).toMatchObject({ batches: expect.any(Number), sizeBuckets: expect.any(Array) });
    expect(vad?.queue).toMatchObject({ queuedLive: expect.any(Number) });
    expect(asr?.queue).toMatchObject({ queuedLive: 0, queuedFile: 0 });
    // The deprecated flat fields are the models' own numbers.
    expect(status.vadPending).toBe(vad?.queue?.queuedLive);
    expect(status.vad).toEqual(vad?.batch);
    expect(status.asr).toEqual(asr?.queue);
  }, 120_000);
});

/** What a pool missing its `asr` model answers: Transcribe and live speech both say model_unavailable, nothing else. */
async function expectAsrUnavailable(pool: TestPool, message: RegExp): Promise<void> {
  const refused = await rejection(pool.client.transcribe(speech, 16_000));
  expect(refused).toMatchObject({ code: "model_unavailable", retryable: true, message: expect.stringMatching(message) });
  const audio = await openAudioCall(pool.client);
  try {
    audio.call.write(openMessage("s1"));
    await sendSpeech(audio.call, "s1", speech);
    const error = await audio.next(errorFor("s1"), 20_000);
    expect(error).toMatchObject({ code: "model_unavailable", message: expect.stringMatching(message) });
    audio.call.write({ close: { stream_id: "s1" } });
    await audio.next(closedFor("s1"), 10_000);
    // Speech is still detected (the VAD loaded); no transcript is made up.
    expect(audio.received.some((m) => m.speech?.kind === "STARTED")).toBe(true);
    expect(audio.received.filter((m) => m.transcript)).toEqual([]);
    expect(audio.received.filter((m) => m.error).map((m) => m.error?.code)).toEqual(["model_unavailable"]);
  } finally {
    audio.call.end();
  }
}

function byName(models: ModelStatusView[]): Record<string, ModelStatusView> {
  return Object.fromEntries(models.map((m) => [m.name, m]));
}

describe("a task whose model is not configured answers as one whose model failed to load", () => {
  let unconfigured: TestPool;
  let failed: TestPool;
  beforeAll(async () => {
    unconfigured = await startTestPool({ models: ["silero_vad_v5"] });
    // The models folder cannot be created (a path under a regular file), so Whisper cannot be prepared.
    failed = await startTestPool({ modelsDir: "/dev/null/models" });
    await Promise.all([unconfigured.pool.ready(), failed.pool.ready()]);
  }, 90_000);
  afterAll(async () => {
    await unconfigured?.close();
    await failed?.close();
  });

  it("not configured: GetStatus lists only the VAD; speech and recordings answer model_unavailable", async () => {
    const status = await unconfigured.client.status();
    expect(status.models.map((m) => [m.name, m.task, m.state])).toEqual([["silero_vad_v5", "vad", "loaded"]]);
    await expectAsrUnavailable(unconfigured, /^no asr model is configured \(whisper_tiny_en_int8: not in the pool's configured models/);
  }, 60_000);

  it("failed to load: GetStatus says so with the error; speech and recordings answer model_unavailable", async () => {
    const models = byName((await failed.client.status()).models);
    expect(models["silero_vad_v5"]).toMatchObject({ state: "loaded" });
    expect(models["whisper_tiny_en_int8"]).toMatchObject({ task: "asr", state: "failed", loaded: false, error: expect.any(String), loadMs: null });
    await expectAsrUnavailable(failed, /^whisper_tiny_en_int8 is not loaded: /);
  }, 60_000);
});

describe("a pool without its vad model", () => {
  let pool: TestPool;
  beforeAll(async () => {
    pool = await startTestPool({ models: ["whisper_tiny_en_int8"] });
  }, 90_000);
  afterAll(async () => {
    await pool?.close();
  });

  it("tells each stream model_unavailable at once, closes it, and refuses recordings", async () => {
    const audio = await openAudioCall(pool.client);
    try {
      audio.call.write(openMessage("s1"));
      const error = await audio.next(errorFor("s1"), 10_000);
      expect(error).toMatchObject({ code: "model_unavailable", message: expect.stringMatching(/^no vad model is configured \(silero_vad_v5: /) });
      await sendSpeech(audio.call, "s1", speech.subarray(0, 16_000));
      audio.call.write({ close: { stream_id: "s1" } });
      await audio.next(closedFor("s1"), 10_000);
      expect(audio.received.filter((m) => m.speech || m.transcript)).toEqual([]);
    } finally {
      audio.call.end();
    }
    expect(await rejection(pool.client.transcribe(speech, 16_000))).toMatchObject({ code: "model_unavailable" });
  }, 60_000);
});

describe("INFERENCE_MODELS naming an unknown model", () => {
  it("stops the standalone worker at start: exit 2, one line listing the known models", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/inference-main.ts"], {
      env: { ...process.env, INFERENCE_MODELS: "silero_vad_v5,whisper_large", INFERENCE_TOKEN: TEST_INFERENCE_TOKEN, LOG_LEVEL: "silent" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toEqual(['invalid configuration: INFERENCE_MODELS: unknown model "whisper_large" (known: silero_vad_v5, whisper_tiny_en_int8, blazeface_front_128, human_emotion, rnnoise, espeak_ng, esrgan_slim, deepfake_onnx)']);
  }, 60_000);
});
