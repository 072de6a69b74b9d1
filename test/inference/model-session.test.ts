import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isInferenceError } from "../../src/inference/models/inference-error.js";
import { sileroVadModel } from "../../src/inference/models/model-files.js";
import { openModelSession, type ModelSession } from "../../src/inference/models/model-session.js";
import { SileroVad, VAD_CHUNK_SAMPLES } from "../../src/inference/models/silero-vad.js";
import { WhisperAsr } from "../../src/inference/models/whisper-asr.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";
import { rejection } from "../support/rejection.js";

/**
 * A model session on a worker thread must answer exactly what the in-thread session answers, keep the caller's event
 * loop running while the model executes, and fail with the codes the loaders have always used.
 */

const SETTINGS = {
  executionProviders: ["cpu" as const],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  logSeverityLevel: 3 as const,
};

function vadFeeds(input: Float32Array, batchSize: number): Record<string, Tensor> {
  return {
    input: new Tensor("float32", input, [batchSize, VAD_CHUNK_SAMPLES]),
    state: new Tensor("float32", new Float32Array(2 * batchSize * 128), [2, batchSize, 128]),
    sr: new Tensor("int64", BigInt64Array.from([16_000n]), []),
  };
}

async function probabilities(vad: SileroVad, audio: Float32Array): Promise<number[]> {
  let state = vad.createStreamState();
  const out: number[] = [];
  for (let offset = 0; offset + VAD_CHUNK_SAMPLES <= audio.length; offset += VAD_CHUNK_SAMPLES) {
    const result = await vad.runBatch(audio.subarray(offset, offset + VAD_CHUNK_SAMPLES), state, 1);
    state = result.state;
    out.push(result.probabilities[0] ?? Number.NaN);
  }
  return out;
}


describe("model sessions", () => {
  const synthesizer = createSpeechSynthesizer();
  let sentence: Float32Array;

  beforeAll(async () => {
    sentence = (await synthesizer.synthesize("hello world, this is a test of the meeting engine")).samples16k;
  });

  it("the worker session gives the in-thread session's VAD probabilities", async () => {
    const [worker, current] = await Promise.all([
      SileroVad.load({ thread: "worker" }),
      SileroVad.load({ thread: "current" }),
    ]);
    try {
      const audio = padWithSilence(sentence, 500, 500);
      const [fromWorker, fromCurrent] = await Promise.all([
        probabilities(worker, audio),
        probabilities(current, audio),
      ]);
      expect(fromWorker.length).toBeGreaterThan(50);
      expect(fromWorker).toEqual(fromCurrent);
      expect(Math.max(...fromWorker)).toBeGreaterThan(0.9);

      // A batch too: rows and state come back in the same layout.
      const rows = 8;
      const batch = audio.subarray(0, rows * VAD_CHUNK_SAMPLES);
      const state = new Float32Array(rows * worker.stateSize).map((_, i) => Math.sin(i) * 0.1);
      const [a, b] = await Promise.all([worker.runBatch(batch, state, rows), current.runBatch(batch, state, rows)]);
      expect(a.probabilities).toEqual(b.probabilities);
      expect(a.state).toEqual(b.state);
    } finally {
      await Promise.all([worker.close(), current.close()]);
    }
  });

  it("neither detaches nor changes the caller's arrays, and serves runs issued together in order", async () => {
    const session = await openModelSession(sileroVadModel().path, SETTINGS, "worker");
    try {
      expect(session.inputNames).toEqual(["input", "state", "sr"]);
      expect(session.outputNames).toEqual(["output", "stateN"]);
      // Views into one larger buffer, as a caller slicing a recording would pass.
      const audio = padWithSilence(sentence, 0, 0).slice(0, 4 * VAD_CHUNK_SAMPLES);
      const before = audio.slice();
      const chunk = (i: number) => audio.subarray(i * VAD_CHUNK_SAMPLES, (i + 1) * VAD_CHUNK_SAMPLES);
      const feeds = [0, 1, 2, 3].map((i) => vadFeeds(chunk(i), 1));
      const results = await Promise.all(feeds.map((f) => session.run(f)));
      expect(audio).toEqual(before);
      const sequential: number[] = [];
      for (const f of feeds) sequential.push(Number((await session.run(f))["output"]?.data[0]));
      expect(results.map((r) => Number(r["output"]?.data[0]))).toEqual(sequential);
    } finally {
      await session.release();
    }
  });

  it("keeps the caller's event loop running while Whisper runs on the worker", async () => {
    const modelsDir = join(tmpdir(), "engine-test-models");
    const [worker, current] = await Promise.all([
      WhisperAsr.load({ modelsDir, intraOpNumThreads: 2, thread: "worker" }),
      WhisperAsr.load({ modelsDir, intraOpNumThreads: 2, thread: "current" }),
    ]);
    try {
      const utterance = padWithSilence(sentence, 200, 200);
      const ticksDuring = async (asr: WhisperAsr) => {
        let ticks = 0;
        const timer = setInterval(() => (ticks += 1), 5);
        try {
          const result = await asr.transcribe(utterance);
          return { ticks, ...result };
        } finally {
          clearInterval(timer);
        }
      };
      const onWorker = await ticksDuring(worker);
      const onCurrent = await ticksDuring(current);
      expect(onWorker.text).toEqual(onCurrent.text);
      expect(onWorker.text.toLowerCase()).toContain("meeting");
      // Only the worker side is asserted: how many ticks slip into the in-thread run depends on scheduling.
      expect(onWorker.ticks).toBeGreaterThanOrEqual(3);
    } finally {
      await Promise.all([worker.close(), current.close()]);
    }
  }, 60_000);

  it("a model that cannot load is model_unavailable, on either thread", async () => {
    for (const thread of ["worker", "current"] as const) {
      const error = await rejection(SileroVad.load({ modelPath: "/nonexistent/silero.onnx", thread }));
      expect(isInferenceError(error, "model_unavailable")).toBe(true);
      // Retryable as every model_unavailable is (the error table): the pool may be restarted with the model in place.
      expect(error).toMatchObject({
        retryable: true,
        message: expect.stringContaining("could not load the Silero VAD model"),
      });
    }
  });

  it("a failed run is internal and retryable, and the session keeps working", async () => {
    const session = await openModelSession(sileroVadModel().path, SETTINGS, "worker");
    try {
      const feeds = vadFeeds(new Float32Array(VAD_CHUNK_SAMPLES), 1);
      const error = await rejection(session.run({ input: feeds["input"] ?? new Tensor(new Float32Array(0)) }));
      expect(isInferenceError(error, "internal")).toBe(true);
      expect(error).toMatchObject({ retryable: true });
      expect((await session.run(feeds))["output"]?.dims).toEqual([1, 1]);
    } finally {
      await session.release();
    }
  });

  describe("after release", () => {
    let session: ModelSession;
    let vad: SileroVad;
    beforeAll(async () => {
      [session, vad] = await Promise.all([
        openModelSession(sileroVadModel().path, SETTINGS, "worker"),
        SileroVad.load({ thread: "worker" }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([session.release(), vad.close()]);
    });

    it("runs reject with a code, and one in progress completes first", async () => {
      const feeds = vadFeeds(new Float32Array(VAD_CHUNK_SAMPLES), 1);
      const inProgress = session.run(feeds);
      const waiting = rejection(session.run(feeds));
      const released = session.release();
      expect((await inProgress)["output"]?.dims).toEqual([1, 1]);
      expect(await waiting).toMatchObject({ code: "model_unavailable" });
      await released;
      expect(await rejection(session.run(feeds))).toMatchObject({ code: "model_unavailable" });
      await session.release(); // idempotent
    });

    it("SileroVad.runBatch after close keeps the session's code", async () => {
      await vad.close();
      const error = await rejection(vad.runBatch(new Float32Array(VAD_CHUNK_SAMPLES), vad.createStreamState(), 1));
      expect(isInferenceError(error, "model_unavailable")).toBe(true);
    });
  });
});
