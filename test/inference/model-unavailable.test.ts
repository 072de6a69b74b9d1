import type { Room } from "@colyseus/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { collect, eventually, startTestEngine, type TestEngine } from "../support/engine.js";
import { streamPcm } from "../support/room-audio-client.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

/**
 * A model that cannot load is never replaced by a plausible answer: every capability says `model_unavailable`.
 * Here the models folder cannot be created (a path under a regular file), so Whisper cannot be prepared.
 */
let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine({ modelsDir: "/dev/null/models" });
  const models = await t.engine.pool?.ready();
  expect(models?.find((m) => m.name === "whisper_tiny_en_int8")).toMatchObject({ loaded: false });
}, 60_000);
afterAll(async () => {
  await t.close();
});

describe("without a loadable ASR model", () => {
  it("the recognition API answers 503 model_unavailable", async () => {
    const pcm = Buffer.alloc(16_000 * 2).toString("base64");
    const res = await t.api("POST", "/api/v1/ai/speech-recognition", { audio_data: pcm, format: "pcm", sample_rate: 16000 });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: { code: "model_unavailable" } });
  });

  it("a speaker in a room is told model_unavailable when speech ends, and no transcript is made up", async () => {
    const speech = await createSpeechSynthesizer().synthesize("hello world, this is a test of the meeting engine");
    const pcm = float32ToPcm16(padWithSilence(speech.samples16k, 500, 1_500));
    const { id, token } = await t.createSession({ kind: "meeting" });
    const room: Room = await t.join(id, token);
    const errors = collect<{ code: string; type: string }>(room, "error");
    const transcripts = collect(room, "transcript");
    await streamPcm(room, pcm);
    const error = await eventually(() => errors[0], 10_000);
    expect(error).toMatchObject({ type: "audio", code: "model_unavailable" });
    await t.api("DELETE", `/api/v1/sessions/${id}`);
    expect(transcripts).toEqual([]);
    const transcript = await t.api("GET", `/api/v1/sessions/${id}/transcript`);
    expect(transcript.body).toMatchObject({ segments: [] });
  });
});
