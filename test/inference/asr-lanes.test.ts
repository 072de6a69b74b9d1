import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsrLanes, asrLayoutOverrides, defaultAsrLayout } from "../../src/inference/asr/asr-lanes.js";
import { WhisperAsr } from "../../src/inference/models/whisper-asr.js";
import { configFromEnv } from "../../src/config.js";
import { ConfigError } from "../../src/env-fields.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";
import { words } from "../support/speech-bounds.js";

describe("ASR layout", () => {
  it.each([
    [1, { lanes: 1, threadsPerLane: 1 }],
    [2, { lanes: 2, threadsPerLane: 1 }],
    [3, { lanes: 3, threadsPerLane: 1 }],
    [4, { lanes: 2, threadsPerLane: 2 }],
    [16, { lanes: 8, threadsPerLane: 2 }],
  ])("%i cores → %j", (cores, layout) => {
    expect(defaultAsrLayout(cores)).toEqual(layout);
  });

  it("lanes and threads set by configuration win; threads default to the cores shared between lanes", () => {
    expect(defaultAsrLayout(2, 1)).toEqual({ lanes: 1, threadsPerLane: 2 });
    expect(defaultAsrLayout(16, 3, 2)).toEqual({ lanes: 3, threadsPerLane: 2 });
    expect(defaultAsrLayout(8, undefined, 4)).toEqual({ lanes: 2, threadsPerLane: 4 });
    expect(asrLayoutOverrides({ lanes: null, threadsPerLane: 3 })).toEqual({ threadsPerLane: 3 });
  });

  it("ASR_LANES and ASR_THREADS are read from the environment; bad values are refused", () => {
    expect(configFromEnv({ ASR_LANES: "2", ASR_THREADS: "1" })).toMatchObject({ asrLanes: 2, asrThreads: 1 });
    expect(configFromEnv({})).toMatchObject({ asrLanes: null, asrThreads: null });
    expect(() => configFromEnv({ ASR_LANES: "0" })).toThrow(ConfigError);
    expect(() => configFromEnv({ ASR_THREADS: "two" })).toThrow(ConfigError);
  });
});

describe("ASR lanes on real Whisper", () => {
  let lanes: AsrLanes;
  let hello: Float32Array;
  let plan: Float32Array;
  beforeAll(async () => {
    const modelsDir = join(tmpdir(), "engine-test-models");
    lanes = await AsrLanes.load(2, () => WhisperAsr.load({ modelsDir, intraOpNumThreads: 1 }));
    const speech = createSpeechSynthesizer();
    hello = padWithSilence((await speech.synthesize("hello world, this is a test")).samples16k, 300, 300);
    plan = padWithSilence((await speech.synthesize("please review the plan today")).samples16k, 300, 300);
  }, 120_000);
  afterAll(async () => {
    await lanes.close();
  });

  it("two utterances run side by side, each on its own lane, each with its own words", async () => {
    expect(lanes.size).toBe(2);
    const [a, b] = await Promise.all([lanes.transcribe(hello), lanes.transcribe(plan)]);
    expect(words(a.text)).toEqual(expect.arrayContaining(["hello", "world", "test"]));
    expect(words(b.text)).toEqual(expect.arrayContaining(["please", "review", "today"]));
  }, 60_000);

  it("a third job while both lanes are busy is refused as internal (the queue must never allow it)", async () => {
    const running = [lanes.transcribe(hello), lanes.transcribe(plan)];
    await expect(lanes.transcribe(hello)).rejects.toMatchObject({ code: "internal" });
    await Promise.all(running);
  }, 60_000);
});
