import { Client, credentials } from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import type { PoolClient } from "../../src/inference/grpc/pool-client.js";
import type { RunningPoolServer } from "../../src/inference/grpc/pool-server.js";
import { PoolError } from "../../src/inference/pool-error.js";
import { FRAME_BYTES } from "../support/room-audio-client.js";
import {
  errorFor,
  openAudioCall as openPoolAudioCall,
  openMessage,
  sendSpeech,
  startTestPool,
  type AudioCall,
  type TestPool,
} from "../support/pool-audio-call.js";
import { speechBoundsMs, words, type SpeechBounds } from "../support/speech-bounds.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

const SENTENCE = "hello world, this is a test of the meeting engine";
const WORDS = ["hello", "world", "test", "meeting", "engine"];
const PADDING_MS = 1_000;
/** One Silero chunk: 512 samples of 16-bit PCM. */
const VAD_CHUNK_BYTES = 1_024;
/** How far the pool's speech events may be from where the audio's energy says speech starts and ends. */
const BOUNDS_TOLERANCE_MS = 150;

let testPool: TestPool;
let server: RunningPoolServer;
let client: PoolClient;
let speech: Uint8Array;
let bounds: SpeechBounds;

beforeAll(async () => {
  testPool = await startTestPool();
  ({ server, client } = testPool);
  const synthesized = await createSpeechSynthesizer().synthesize(SENTENCE);
  const padded = padWithSilence(synthesized.samples16k, PADDING_MS, PADDING_MS);
  speech = float32ToPcm16(padded);
  bounds = speechBoundsMs(padded, synthesized.sampleRate);
  const models = await testPool.pool.ready();
  expect(models.every((m) => m.loaded)).toBe(true);
}, 120_000);

afterAll(async () => {
  await testPool?.close();
});

const openAudioCall = () => openPoolAudioCall(client);

/** Opens and closes an empty stream: its `closed` proves the call still serves. */
async function assertServing(audio: AudioCall, streamId: string): Promise<void> {
  audio.call.write(openMessage(streamId));
  audio.call.write({ close: { stream_id: streamId } });
  await audio.next((m) => (m.closed?.stream_id === streamId ? true : undefined));
  expect(audio.status()).toBeNull();
}

const healthResponse = z.object({ status: z.string() });

describe("the inference pool over gRPC", () => {
  it("GetStatus lists both models loaded", async () => {
    const status = await client.status();
    expect(status.models.map((m) => [m.name, m.loaded, m.error])).toEqual(
      expect.arrayContaining([
        ["silero_vad_v5", true, null],
        ["whisper_tiny_en_int8", true, null],
      ]),
    );
    expect(status.executionProvider).toBe("cpu");
  });

  it("the standard grpc.health.v1.Health/Check answers SERVING", async () => {
    const check = healthService["Check"];
    if (check === undefined) throw new Error("grpc-health-check has no Check method");
    const health = new Client(server.address, credentials.createInsecure());
    try {
      for (const name of ["", "engine.inference.v1.Inference"]) {
        const response = await new Promise<object>((resolve, reject) => {
          health.makeUnaryRequest(check.path, check.requestSerialize, check.responseDeserialize, { service: name }, (error, value) =>
            error || value === undefined ? reject(error ?? new Error("empty health response")) : resolve(value),
          );
        });
        expect(healthResponse.parse(response).status).toBe("SERVING");
      }
    } finally {
      health.close();
    }
  });

  it("StreamAudio: speech events at the true speech bounds, then the transcript, then closed", async () => {
    const audio = await openAudioCall();
    try {
      audio.call.write(openMessage("s1"));
      await sendSpeech(audio.call, "s1", speech);
      const started = await audio.next((m) => (m.speech?.stream_id === "s1" && m.speech.kind === "STARTED" ? m.speech.at_ms : undefined));
      const ended = await audio.next((m) => (m.speech?.stream_id === "s1" && m.speech.kind === "ENDED" ? m.speech.at_ms : undefined));
      const transcript = await audio.next((m) => (m.transcript?.stream_id === "s1" ? m.transcript : undefined), 20_000);

      const speechEvents = audio.received.flatMap((m) => (m.speech === null || m.speech === undefined ? [] : [m.speech]));
      const transcripts = audio.received.flatMap((m) => (m.transcript === null || m.transcript === undefined ? [] : [m.transcript]));
      // Reported for tuning: where the pool put the speech against the audio's energy.
      console.info(`speech bounds ${bounds.startMs}–${bounds.endMs} ms; pool events ${speechEvents.map((e) => `${e.kind}@${e.at_ms}`).join(" ")}`);
      const lastEnded = speechEvents.filter((e) => e.kind === "ENDED").at(-1)?.at_ms ?? ended;
      expect(Math.abs(started - bounds.startMs)).toBeLessThanOrEqual(BOUNDS_TOLERANCE_MS);
      expect(Math.abs(lastEnded - bounds.endMs)).toBeLessThanOrEqual(BOUNDS_TOLERANCE_MS);
      expect(transcript.final).toBe(true);
      expect(transcript.start_ms).toBeLessThanOrEqual(started);
      expect(words(transcripts.map((t) => t.text).join(" "))).toEqual(expect.arrayContaining(WORDS));
      expect(audio.received.filter((m) => m.error)).toEqual([]);

      // The speech does not end on a whole VAD chunk: close flushes that last partial chunk, then says closed.
      audio.call.write({ close: { stream_id: "s1" } });
      await audio.next((m) => (m.closed?.stream_id === "s1" ? true : undefined), 10_000);
      expect(audio.received.filter((m) => m.error)).toEqual([]);
    } finally {
      audio.call.end();
    }
  }, 60_000);

  it("bad input gets a stream error and the call keeps serving after each", async () => {
    const audio = await openAudioCall();
    try {
      audio.call.write({ chunk: { stream_id: "nobody", seq: 1, pcm16: new Uint8Array(FRAME_BYTES) } });
      expect((await audio.next(errorFor("nobody"))).code).toBe("unknown_stream");
      await assertServing(audio, "probe-1");

      audio.call.write(openMessage("odd"));
      audio.call.write({ chunk: { stream_id: "odd", seq: 1, pcm16: new Uint8Array(FRAME_BYTES + 1) } });
      expect((await audio.next(errorFor("odd"))).code).toBe("invalid_audio");
      await assertServing(audio, "probe-2");

      audio.call.write(openMessage("cd-rate", 44_100));
      expect((await audio.next(errorFor("cd-rate"))).code).toBe("invalid_audio");
      await assertServing(audio, "probe-3");

      audio.call.write(openMessage("odd"));
      expect((await audio.next(errorFor("odd"))).code).toBe("stream_exists");
      await assertServing(audio, "probe-4");

      // The stream that got the odd chunk and the duplicate open still takes audio and closes normally (one whole
      // VAD chunk of 512 samples, so the close has no partial chunk to flush: that case is the test above).
      audio.call.write({ chunk: { stream_id: "odd", seq: 2, pcm16: new Uint8Array(VAD_CHUNK_BYTES) } });
      audio.call.write({ close: { stream_id: "odd" } });
      await audio.next((m) => (m.closed?.stream_id === "odd" ? true : undefined));
      expect(audio.status()).toBeNull();
    } finally {
      audio.call.end();
    }
  });

  it("Transcribe: a recording over 10 minutes is refused with recording_too_long", async () => {
    const tooLong = new Uint8Array((10 * 60 + 1) * 8_000 * 2);
    const error = await client.transcribe(tooLong, 8_000).then(
      () => null,
      (rejected: unknown) => rejected,
    );
    expect(error).toBeInstanceOf(PoolError);
    expect(error).toMatchObject({ code: "recording_too_long", retryable: false });
  });

  it("Transcribe: a recording of speech comes back as text with the words", async () => {
    const result = await client.transcribe(speech, 16_000);
    expect(words(result.text)).toEqual(expect.arrayContaining(WORDS));
    expect(result.segments.length).toBeGreaterThan(0);
    expect(result.durationMs).toBe(Math.round((speech.byteLength / 2 / 16_000) * 1000));
    const first = result.segments[0];
    expect(first?.startMs).toBeLessThanOrEqual(bounds.startMs);
  }, 30_000);
});
