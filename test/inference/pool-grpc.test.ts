import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, credentials, type ClientDuplexStream } from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import type { AudioIn } from "../../src/inference/grpc/generated/engine/inference/v1/AudioIn.js";
import type { AudioOut__Output } from "../../src/inference/grpc/generated/engine/inference/v1/AudioOut.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { startPoolServer, type RunningPoolServer } from "../../src/inference/grpc/pool-server.js";
import { PoolError } from "../../src/inference/pool-error.js";
import { InferencePool } from "../../src/inference/pool.js";
import { createLogger } from "../../src/logger.js";
import { eventually } from "../support/engine.js";
import { FRAME_BYTES } from "../support/room-audio-client.js";
import { speechBoundsMs, words, type SpeechBounds } from "../support/speech-bounds.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

const SENTENCE = "hello world, this is a test of the meeting engine";
const WORDS = ["hello", "world", "test", "meeting", "engine"];
const PADDING_MS = 1_000;
/** One Silero chunk: 512 samples of 16-bit PCM. */
const VAD_CHUNK_BYTES = 1_024;
/** How far the pool's speech events may be from where the audio's energy says speech starts and ends. */
const BOUNDS_TOLERANCE_MS = 150;

let pool: InferencePool;
let server: RunningPoolServer;
let client: PoolClient;
let speech: Uint8Array;
let bounds: SpeechBounds;

beforeAll(async () => {
  const logger = createLogger(process.env["TEST_LOG_LEVEL"] ?? "silent");
  pool = new InferencePool({ modelsDir: join(tmpdir(), "engine-test-models"), logger });
  server = await startPoolServer(pool, logger, { host: "127.0.0.1", port: 0 });
  client = new PoolClient(server.address);
  const synthesized = await createSpeechSynthesizer().synthesize(SENTENCE);
  const padded = padWithSilence(synthesized.samples16k, PADDING_MS, PADDING_MS);
  speech = float32ToPcm16(padded);
  bounds = speechBoundsMs(padded, synthesized.sampleRate);
  const models = await pool.ready();
  expect(models.every((m) => m.loaded)).toBe(true);
}, 120_000);

afterAll(async () => {
  client?.close();
  await server?.close();
  await pool?.close();
});

/** A raw StreamAudio call: what it received, whether it ended, and a way to wait for a message. */
interface AudioCall {
  call: ClientDuplexStream<AudioIn, AudioOut__Output>;
  received: AudioOut__Output[];
  ended: () => boolean;
  next<T>(pick: (message: AudioOut__Output) => T | undefined, timeoutMs?: number): Promise<T>;
}

async function openAudioCall(): Promise<AudioCall> {
  const call = client.grpc.StreamAudio();
  const received: AudioOut__Output[] = [];
  let ended = false;
  call.on("data", (message: AudioOut__Output) => received.push(message));
  call.on("status", () => (ended = true));
  call.on("error", () => (ended = true));
  // The pool sends its metadata as soon as it accepts the call.
  await new Promise<void>((resolve) => call.once("metadata", () => resolve()));
  let seen = 0;
  return {
    call,
    received,
    ended: () => ended,
    // Consumes messages in order: each wait starts after the message the previous one matched.
    async next(pick, timeoutMs = 5_000) {
      return eventually(() => {
        for (; seen < received.length; seen++) {
          const message = received[seen];
          const picked = message === undefined ? undefined : pick(message);
          if (picked !== undefined) {
            seen += 1;
            return picked;
          }
        }
        return undefined;
      }, timeoutMs);
    },
  };
}

function openMessage(streamId: string, sampleRate = 16_000): AudioIn {
  return { open: { stream_id: streamId, session_id: "session-1", participant_id: "participant-1", sample_rate: sampleRate, tutor_id: "" } };
}

/** Sends 16 kHz PCM in 20 ms chunks, about 4× real time (well inside the VAD's per-stream pending bound). */
async function sendSpeech(call: ClientDuplexStream<AudioIn, AudioOut__Output>, streamId: string, pcm: Uint8Array): Promise<void> {
  let seq = 0;
  for (let offset = 0; offset < pcm.byteLength; offset += FRAME_BYTES) {
    seq += 1;
    call.write({ chunk: { stream_id: streamId, seq, pcm16: pcm.subarray(offset, Math.min(pcm.byteLength, offset + FRAME_BYTES)) } });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Opens and closes an empty stream: its `closed` proves the call still serves. */
async function assertServing(audio: AudioCall, streamId: string): Promise<void> {
  audio.call.write(openMessage(streamId));
  audio.call.write({ close: { stream_id: streamId } });
  await audio.next((m) => (m.closed?.stream_id === streamId ? true : undefined));
  expect(audio.ended()).toBe(false);
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
      const errorFor = (streamId: string) => (m: AudioOut__Output) => (m.error?.stream_id === streamId ? m.error : undefined);

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
      expect(audio.ended()).toBe(false);
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
