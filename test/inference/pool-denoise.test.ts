import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { denoiseRecording } from "../../src/inference/audio/denoise/denoiser.js";
import { RnnoiseLoader } from "../../src/inference/audio/denoise/rnnoise-runtime.js";
import { float32ToPcm16, pcm16ToFloat32 } from "../../src/inference/audio/pcm.js";
import type { AudioIn } from "../../src/inference/grpc/generated/engine/inference/v1/AudioIn.js";
import { GrpcInferenceGateway } from "../../src/inference/inference-gateway.js";
import type { StreamStatesView } from "../../src/inference/pool-service.js";
import { wordErrorRate } from "../../src/inference/quality/word-error-rate.js";
import { RoomAudio } from "../../src/rooms/room-audio.js";
import type { ParticipantResult } from "../../src/actors/session-machine.js";
import { eventually } from "../support/engine.js";
import { mixAtSnr, speechTrack, whiteNoise } from "../support/noisy-speech.js";
import { closedFor, errorFor, openAudioCall, openMessage, sendSpeech, startTestPool, type TestPool } from "../support/pool-audio-call.js";
import { FRAME_BYTES } from "../support/room-audio-client.js";
import { TEST_INFERENCE_TOKEN } from "../support/pool-process.js";
import { createSpeechSynthesizer } from "../support/speech.js";

/**
 * Noise suppression as a stage of the pool (RNNoise before the VAD, one state per stream), on real models over real
 * gRPC: a stream asks for it at open (`stages: ["denoise"]`) and still gets its transcripts out of noisy speech; its
 * state is counted in GetStatus while the stream is open and freed when it closes, when its call ends, or when it
 * idles; a pool without the model refuses that stream alone with `model_unavailable`.
 */

const SENTENCE = "please send the meeting notes to the whole team today";
/** Stage states are freed after this much silence here (the pool's default is 60 s). */
const IDLE_MS = 1_000;

let noisy: Uint8Array;
let pool: TestPool;

function withStages(streamId: string, stages: string[]): AudioIn {
  const message = openMessage(streamId);
  return { open: { ...message.open, stages } };
}

async function denoiseStates(of: TestPool = pool): Promise<StreamStatesView | undefined> {
  return (await of.client.status()).models.find((m) => m.task === "denoise")?.streamStates;
}

/** Waits until the pool reports `open` denoise states (GetStatus over gRPC), and returns its counts. */
function statesWhen(open: number): Promise<StreamStatesView> {
  return eventually(async () => {
    const states = await denoiseStates();
    return states?.open === open ? states : undefined;
  }, 10_000);
}

beforeAll(async () => {
  const track = await speechTrack(createSpeechSynthesizer(), [SENTENCE], 3_000);
  // White noise 15 dB under the speech's active level, from the first sample to the last.
  noisy = float32ToPcm16(mixAtSnr(track.samples, whiteNoise(track.samples.length, 7), 15));
  // VAD, ASR and RNNoise only: the face models are not needed here.
  pool = await startTestPool({ models: ["silero_vad_v5", "whisper_tiny_en_int8", "rnnoise"], stages: { idleTimeoutMs: IDLE_MS } });
  await pool.pool.ready();
}, 120_000);
afterAll(async () => {
  await pool?.close();
});

describe("a stream that asks for noise suppression", () => {
  it("gets the transcript of speech in white noise; its state is held while it is open and freed when it closes", async () => {
    const before = await denoiseStates();
    expect(before).toEqual({ open: 0, opened: 0, freedOnClose: 0, freedIdle: 0 });
    const audio = await openAudioCall(pool.client);
    try {
      audio.call.write(withStages("denoised", ["denoise"]));
      // A stream beside it that asks for nothing: no state of its own, a transcript all the same.
      audio.call.write(openMessage("plain"));
      await Promise.all([sendSpeech(audio.call, "denoised", noisy), sendSpeech(audio.call, "plain", noisy)]);
      expect(await statesWhen(1)).toMatchObject({ open: 1, opened: 1 });
      audio.call.write({ close: { stream_id: "denoised" } });
      audio.call.write({ close: { stream_id: "plain" } });
      await eventually(() => (["denoised", "plain"].every((id) => audio.received.some((m) => m.closed?.stream_id === id)) ? true : undefined), 30_000);
      const transcripts = audio.received.flatMap((m) => (m.transcript?.stream_id === "denoised" ? [m.transcript.text] : []));
      expect(transcripts.length).toBeGreaterThan(0);
      const streamed = transcripts.join(" ");
      // Whisper tiny on 10 dB white noise, denoised: most words, not all of them (RNNoise blurs some of eSpeak's).
      expect(wordErrorRate(SENTENCE, streamed).wer).toBeLessThan(0.6);
      expect(streamed.toLowerCase()).toMatch(/meeting.*team/);
      // What the stage gave the VAD is the recording denoised whole, sample for sample: the VAD finds the same speech
      // there. (Not the same words: on speech this noisy, Whisper tiny with the 15 s window hears a cut a few ms
      // different otherwise — "…the whole team today" streamed, "…Old Dean, to May" whole, in one run.)
      const whole = await pool.pool.transcribe(float32ToPcm16(denoiseRecording(await new RnnoiseLoader().load(), pcm16ToFloat32(noisy))), 16_000);
      const wholeStart = whole.segments[0]?.startMs ?? 0;
      expect(audio.received.filter((m) => m.error)).toEqual([]);
      // Times are the audio's own: the stage returns sample i for sample i (speech starts at 3 s; 300 ms pre-roll).
      const denoisedStart = audio.received.find((m) => m.transcript?.stream_id === "denoised")?.transcript?.start_ms;
      const plainStart = audio.received.find((m) => m.transcript?.stream_id === "plain")?.transcript?.start_ms;
      expect(denoisedStart).toBeGreaterThan(2_500);
      expect(denoisedStart).toBeLessThan(3_100);
      expect(Math.abs((denoisedStart ?? 0) - (plainStart ?? 0))).toBeLessThanOrEqual(64);
      expect(Math.abs((denoisedStart ?? 0) - wholeStart)).toBeLessThanOrEqual(64);
      expect(await statesWhen(0)).toEqual({ open: 0, opened: 1, freedOnClose: 1, freedIdle: 0 });
      expect(audio.received.some((m) => m.transcript?.stream_id === "plain")).toBe(true);
    } finally {
      audio.call.end();
    }
  }, 90_000);

  it("has its state freed when its call ends without closing it", async () => {
    const audio = await openAudioCall(pool.client);
    audio.call.write(withStages("dropped", ["denoise"]));
    await sendSpeech(audio.call, "dropped", noisy.subarray(0, 16_000));
    const held = await statesWhen(1);
    audio.call.end();
    expect(await statesWhen(0)).toMatchObject({ freedOnClose: held.freedOnClose + 1 });
  }, 30_000);

  it("has its state freed after it idles, and a fresh one opened when its audio resumes", async () => {
    const audio = await openAudioCall(pool.client);
    try {
      audio.call.write(withStages("idle", ["denoise"]));
      await sendSpeech(audio.call, "idle", noisy.subarray(0, 16_000));
      const held = await statesWhen(1);
      // Nothing sent for 1–1.5× the idle timeout: the sweep frees the state.
      const freed = await statesWhen(0);
      expect(freed.freedIdle).toBe(held.freedIdle + 1);
      // Its audio resumes where it stopped (seq 51 on: 50 chunks of 20 ms went before).
      for (let n = 0; n < 50; n++) {
        audio.call.write({ chunk: { stream_id: "idle", seq: 51 + n, pcm16: noisy.subarray(n * FRAME_BYTES, (n + 1) * FRAME_BYTES) } });
      }
      expect(await statesWhen(1)).toMatchObject({ opened: held.opened + 1 });
      audio.call.write({ close: { stream_id: "idle" } });
      await audio.next(closedFor("idle"), 30_000);
      expect(audio.received.filter((m) => m.error)).toEqual([]);
      expect(await statesWhen(0)).toMatchObject({ freedOnClose: held.freedOnClose + 1 });
    } finally {
      audio.call.end();
    }
  }, 60_000);
});

describe("a room's audio", () => {
  it("asks for the stage by the session's option unless the participant's own says otherwise", async () => {
    const gateway = new GrpcInferenceGateway([pool.server.address], TEST_INFERENCE_TOKEN);
    const results: ParticipantResult[] = [];
    const audio = new RoomAudio({
      gateway,
      sessionId: "session-1",
      startedAtMs: Date.now(),
      logger: pool.logger,
      listener: { mediaResult: (result) => results.push(result), audioError: () => undefined },
      options: { noiseSuppression: true },
    });
    try {
      const chunk = noisy.subarray(0, 640);
      const before = await denoiseStates();
      audio.push("follows-session", 16_000, chunk);
      audio.push("opted-out", 16_000, chunk, false);
      audio.push("opted-in", 16_000, chunk, true);
      const held = await statesWhen(2);
      expect(held.opened).toBe((before?.opened ?? 0) + 2);
      await audio.drain();
      expect(await statesWhen(0)).toMatchObject({ freedOnClose: held.freedOnClose + 2 });
      expect(results.filter((r) => r.kind === "error")).toEqual([]);
    } finally {
      audio.close();
      gateway.close();
    }
  }, 30_000);
});

describe("a pool without the denoise model", () => {
  let bare: TestPool;
  beforeAll(async () => {
    bare = await startTestPool({ models: ["silero_vad_v5"] });
    await bare.pool.ready();
  }, 60_000);
  afterAll(async () => {
    await bare?.close();
  });

  it("refuses the stream that asks for it with model_unavailable; the call's other streams go on", async () => {
    expect((await bare.client.status()).models.map((m) => m.name)).toEqual(["silero_vad_v5"]);
    const audio = await openAudioCall(bare.client);
    try {
      audio.call.write(withStages("asks", ["denoise"]));
      audio.call.write(openMessage("other"));
      const error = await audio.next(errorFor("asks"), 10_000);
      expect(error).toMatchObject({ code: "model_unavailable", message: expect.stringMatching(/^no denoise model is configured \(rnnoise: /) });
      await Promise.all([sendSpeech(audio.call, "asks", noisy), sendSpeech(audio.call, "other", noisy)]);
      // The other stream is served: its speech is detected, and nothing was said to it.
      await audio.next((m) => (m.speech?.stream_id === "other" && m.speech.kind === "STARTED" ? true : undefined), 10_000);
      audio.call.write({ close: { stream_id: "asks" } });
      await audio.next(closedFor("asks"), 10_000);
      const asks = audio.received.filter((m) => (m.speech ?? m.transcript ?? m.error)?.stream_id === "asks");
      // One error, nothing else: its audio never reached the VAD.
      expect(asks.map((m) => m.error?.code)).toEqual(["model_unavailable"]);
    } finally {
      audio.call.end();
    }
  }, 60_000);

  it("refuses the open of a stage it has never heard of, with model_unavailable, and only that stream", async () => {
    const audio = await openAudioCall(bare.client);
    try {
      audio.call.write(withStages("future", ["denoise", "dereverb"]));
      const error = await audio.next(errorFor("future"), 5_000);
      expect(error).toMatchObject({ code: "model_unavailable", message: expect.stringMatching(/no stage "dereverb"/) });
      // Not opened: its id is free for a correct open.
      audio.call.write(openMessage("future"));
      audio.call.write({ close: { stream_id: "future" } });
      await audio.next(closedFor("future"), 10_000);
      expect(audio.received.filter((m) => m.error).length).toBe(1);
    } finally {
      audio.call.end();
    }
  }, 30_000);
});
