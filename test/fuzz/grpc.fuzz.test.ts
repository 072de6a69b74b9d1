import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { PoolClient } from "../../src/inference/grpc/pool-client.js";
import { closedFor, openAudioCall, openMessage, sendSpeech, type AudioCall } from "../support/pool-audio-call.js";
import { spawnPool, stopPool, TEST_INFERENCE_TOKEN, type PoolProcess } from "../support/pool-process.js";
import { words } from "../support/speech-bounds.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";
import { MIN_CORPUS_ENTRIES, readCorpus } from "./corpus.js";
import { GrpcReplayer } from "./grpc-replay.js";
import { grpcSurface } from "./grpc-surface.js";

/**
 * The `grpc` corpus replayed against a real standalone pool process (`npm run inference`, real models) while a
 * well-behaved StreamAudio call streams real speech: each input gets a stable answer, the pool process stays up and
 * answers GetStatus after every input, no handler ever faults, and the speaker gets a transcript of every utterance.
 */

/** Answers an authenticated input may get: the pool's codes (never `internal`) or a documented gRPC status. */
const AUTHENTICATED = new RegExp(
  "^(error:(model_unavailable|overloaded|deadline_exceeded|invalid_audio|unknown_stream|stream_exists|too_many_streams)|speech|transcript|closed|" +
    "status:OK|status:CANCELLED|status:INVALID_ARGUMENT:(invalid_audio|recording_too_long)|status:RESOURCE_EXHAUSTED:overloaded|status:UNAVAILABLE:model_unavailable)$",
);
const UNAUTHENTICATED = "status:UNAUTHENTICATED:unauthorized";
const SPEECH_WORDS = ["quarterly", "numbers"];

let pool: PoolProcess;
let probe: PoolClient;
let speaker: AudioCall;
let keepSpeaking = true;
let speaking: Promise<void> = Promise.resolve();
/** Per utterance of the well-behaved speaker: the text of its transcripts. */
const heard: string[] = [];

/** One utterance on a fresh stream of the speaker's call: open, speech, close, then its transcripts until `closed`. */
async function speakOnce(utterance: Uint8Array, n: number): Promise<void> {
  const streamId = `speaker-${n}`;
  speaker.call.write(openMessage(streamId));
  await sendSpeech(speaker.call, streamId, utterance);
  speaker.call.write({ close: { stream_id: streamId } });
  await speaker.next(closedFor(streamId), 60_000);
  heard.push(speaker.received.flatMap((m) => (m.transcript?.stream_id === streamId ? [m.transcript.text] : [])).join(" "));
}

beforeAll(async () => {
  pool = await spawnPool({ INFERENCE_PORT: "0" }, 60_000);
  probe = new PoolClient(pool.address, { token: TEST_INFERENCE_TOKEN, statusTimeoutMs: 5_000 });
  const synthesizer = createSpeechSynthesizer();
  const utterance = float32ToPcm16(padWithSilence((await synthesizer.synthesize("The quarterly numbers look good to me.")).samples16k, 300, 1_000));
  speaker = await openAudioCall(probe);
  // The baseline: one utterance transcribed before the replay, so the models are loaded and warm.
  await speakOnce(utterance, 0);
  speaking = (async () => {
    for (let n = 1; keepSpeaking; n += 1) await speakOnce(utterance, n);
  })();
}, 120_000);

afterAll(async () => {
  keepSpeaking = false;
  await speaking.catch(() => undefined);
  speaker?.call.end();
  probe?.close();
  if (pool !== undefined) await stopPool(pool, "SIGKILL");
}, 120_000);

describe("hostile gRPC input to the inference pool, replayed from the committed corpus", () => {
  it("a stable answer for each, the pool up and serving after each, no handler fault, the speaker transcribed", async () => {
    const entries = readCorpus(grpcSurface);
    expect(entries.length).toBeGreaterThanOrEqual(MIN_CORPUS_ENTRIES);
    const before = await probe.status();
    const counts = new Map<string, number>();
    /** Inputs answered off the contract, each with what it got (all of them listed, not just the first). */
    const off: string[] = [];
    const replayer = new GrpcReplayer(pool.address, TEST_INFERENCE_TOKEN);
    try {
      for (const entry of entries) {
        const outcomes = await replayer.replay(entry);
        // A refused call answers UNAUTHENTICATED and nothing else: no output, no stream opened.
        const stable = entry.auth === "token" ? outcomes.every((outcome) => AUTHENTICATED.test(outcome)) : outcomes.join(" ") === UNAUTHENTICATED;
        if (!stable) off.push(`${entry.id} (${entry.note}, auth ${entry.auth}) got ${outcomes.slice(-6).join(" ")}`);
        for (const outcome of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
        // Still up, still serving.
        expect(pool.child.exitCode, entry.id).toBeNull();
        await probe.status();
      }
    } finally {
      replayer.close();
    }
    console.log(`grpc: ${entries.length} inputs →`, JSON.stringify(Object.fromEntries([...counts].sort())));
    expect(off).toEqual([]);

    const after = await probe.status();
    expect(after.server.handlerFaults).toBe(0);
    expect(after.server.unauthenticatedCalls - before.server.unauthenticatedCalls).toBe(entries.filter((e) => e.auth !== "token").length);
    expect(after.models.every((m) => m.loaded)).toBe(true);

    // Every utterance the speaker started during the replay is transcribed, with its words.
    keepSpeaking = false;
    await speaking;
    expect(heard.length).toBeGreaterThanOrEqual(2);
    for (const text of heard) expect(words(text)).toEqual(expect.arrayContaining(SPEECH_WORDS));
    expect(speaker.received.filter((m) => m.error)).toEqual([]);
    expect(speaker.status()).toBeNull();
  }, 600_000);
});
