/**
 * The behavioural contract of `InferenceGateway`, run by `gateway-in-process.test.ts` (the pool the engine starts in
 * a worker thread by default) and `gateway-standalone.test.ts` (a `src/inference-main.ts` process over gRPC). Real
 * models on real synthesized speech: every wait is on the gateway's own outputs, never on the clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32ToPcm16, int16ToPcm16, pcm16ToFloat32 } from "../../src/inference/audio/pcm.js";
import { resample } from "../../src/inference/audio/resample.js";
import { encodeWav } from "../../src/inference/audio/wav.js";
import type { AudioLinkHandle, InferenceGateway } from "../../src/inference/inference-gateway.js";
import { PoolError } from "../../src/inference/pool-error.js";
import type { ModelStatusView, PoolStatusView } from "../../src/inference/pool-service.js";
import type { PoolOutput, SynthesisRequest, SynthesisResult } from "../../src/inference/pool-types.js";
import { combineWordErrorRates, wordErrorRate } from "../../src/inference/quality/word-error-rate.js";
import { createLogger } from "../../src/logger.js";
import { eventually } from "../support/engine.js";
import { waitFor } from "../support/pool-audio-call.js";
import { rejection } from "../support/rejection.js";
import { FRAME_BYTES } from "../support/room-audio-client.js";
import { words } from "../support/speech-bounds.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

export interface GatewayUnderTest {
  gateway: InferenceGateway;
  /** Pools behind the gateway: `statusOfEach` answers one status for each. */
  pools: number;
  teardown(): Promise<void>;
}

interface Utterance {
  text: string;
  /** Words Whisper tiny reliably hears in it. */
  key: string[];
  leadMs: number;
  tailMs: number;
}

/** The sentence the room and pool tests speak: its key words are known to survive Whisper tiny. */
// Not "hello": eSpeak's "hello world" opening is heard as "the lord world" / "the low world" at some cuts by either encoder window (scripts/bench/window-wer.ts).
const MEETING: Utterance = { text: "hello world, this is a test of the meeting engine", key: ["world", "test", "meeting", "engine"], leadMs: 800, tailMs: 1_500 };
/** A second speaker's sentence sharing no key word with the first, so a transcript sent to the wrong stream shows. */
const MORNING: Utterance = { text: "good morning everyone", key: ["morning", "everyone"], leadMs: 300, tailMs: 1_000 };

/** The sentence synthesized and heard back: every letter of the alphabet. */
const FOX = "The quick brown fox jumps over the lazy dog";
/**
 * Sentences heard back with it, for a word error rate over more than one pangram: on eSpeak's default voice Whisper
 * tiny hears FOX as "The quick round-fark jump over the lazy dog." (3 errors in 9 words, 0.33) every time.
 */
const HEARD_BACK = [FOX, "The quarterly numbers look good to me.", "Please open the window before the meeting starts."];

/** Model loads and Whisper runs share two cores with the other test file: generous, as vitest.config.ts explains. */
const READY_TIMEOUT_MS = 90_000;
const OUTPUT_TIMEOUT_MS = 30_000;
const CASE_TIMEOUT_MS = 60_000;

const logger = createLogger(process.env["TEST_LOG_LEVEL"] ?? "silent");

/** A link with everything it reported, and waits that wake on each report (its outputs and connection changes). */
interface WatchedLink {
  link: AudioLinkHandle;
  outputs: PoolOutput[];
  /** Streams whose chunk the link reported refused for an unreachable pool. */
  unavailable: string[];
  until<T>(probe: () => T | undefined, what: string, timeoutMs?: number): Promise<T>;
  /** Resolves once `streamId`'s `closed` has come. */
  closed(streamId: string): Promise<true>;
}

function watchLink(gateway: InferenceGateway): WatchedLink {
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  const outputs: PoolOutput[] = [];
  const unavailable: string[] = [];
  const link = gateway.openAudioLink(
    {
      output: (output) => (outputs.push(output), notify()),
      unavailable: (streamId) => (unavailable.push(streamId), notify()),
      connection: () => notify(),
    },
    logger,
  );
  const until = <T>(probe: () => T | undefined, what: string, timeoutMs = OUTPUT_TIMEOUT_MS) =>
    waitFor((check) => (listeners.add(check), () => listeners.delete(check)), probe, timeoutMs, what);
  const closed = (streamId: string) =>
    until(() => (outputs.some((o) => o.kind === "closed" && o.streamId === streamId) ? true : undefined), `${streamId} closed`);
  return { link, outputs, unavailable, until, closed };
}

function open(link: AudioLinkHandle, streamId: string): void {
  link.open({ streamId, sessionId: "contract-session", participantId: `participant-${streamId}`, sampleRate: 16_000 });
}

/** The frames of 20 ms (as rooms send them) of `pcm`, each handed over with its stream's next sequence number. */
function* frames(pcm: Uint8Array): Generator<[seq: number, frame: Uint8Array]> {
  let seq = 0;
  for (let offset = 0; offset < pcm.byteLength; offset += FRAME_BYTES) {
    seq += 1;
    yield [seq, pcm.subarray(offset, Math.min(pcm.byteLength, offset + FRAME_BYTES))];
  }
}

/** Hands every frame to the link at once (the pool's per-stream backlog holds 30 s); how many it accepted. */
function send(link: AudioLinkHandle, streamId: string, pcm: Uint8Array): number {
  let accepted = 0;
  for (const [seq, frame] of frames(pcm)) if (link.chunk(streamId, seq, frame)) accepted += 1;
  return accepted;
}

const frameCount = (pcm: Uint8Array) => Math.ceil(pcm.byteLength / FRAME_BYTES);
const outputsOf = (outputs: PoolOutput[], streamId: string) => outputs.filter((o) => o.streamId === streamId);
const heardWords = (outputs: PoolOutput[]) => words(outputs.flatMap((o) => (o.kind === "transcript" ? [o.text] : [])).join(" "));

/**
 * Opens and closes an empty stream and waits for its `closed`: outputs on one link arrive in order, so once it has
 * come every output the pool made before it has too (no wait on the clock for something not to happen).
 */
async function roundTrip(watched: WatchedLink, streamId: string): Promise<void> {
  open(watched.link, streamId);
  watched.link.close(streamId);
  await watched.closed(streamId);
}

/** Synthesized speech as a recording the pool's ASR takes: 16 kHz PCM16, silence around it for the VAD to close it. */
function asRecording(result: SynthesisResult): Uint8Array {
  const samples16k = resample(pcm16ToFloat32(int16ToPcm16(result.pcm16)), result.sampleRate, 16_000);
  return float32ToPcm16(padWithSilence(samples16k, 300, 1_000));
}

/** The `vad` and `asr` models of a status, for asserting both are there and loaded. */
function byTask(status: PoolStatusView): Record<"vad" | "asr", ModelStatusView | undefined> {
  return { vad: status.models.find((m) => m.task === "vad"), asr: status.models.find((m) => m.task === "asr") };
}

export function describeGatewayContract(name: string, setup: () => Promise<GatewayUnderTest>): void {
  describe(`InferenceGateway contract: ${name}`, () => {
    let under: GatewayUnderTest | undefined;
    /** Each sentence padded with silence: its 16 kHz samples and their PCM16. */
    const speech: Partial<Record<"meeting" | "morning", { samples: Float32Array; pcm: Uint8Array }>> = {};
    const gateway = (): InferenceGateway => {
      if (under === undefined) throw new Error("gateway not set up");
      return under.gateway;
    };
    const clip = (which: "meeting" | "morning") => {
      const synthesized = speech[which];
      if (synthesized === undefined) throw new Error(`no ${which} speech`);
      return synthesized;
    };
    const pcm = (which: "meeting" | "morning"): Uint8Array => clip(which).pcm;
    /** A link per case, ended after it whatever the outcome. */
    const links: WatchedLink[] = [];
    const newLink = async (): Promise<WatchedLink> => {
      const watched = watchLink(gateway());
      links.push(watched);
      // Up before audio, so the cases exercise the live path, not the outage buffer.
      await watched.until(() => (watched.link.connected ? true : undefined), "the link connected");
      return watched;
    };

    beforeAll(async () => {
      const synthesizer = createSpeechSynthesizer();
      const synthesize = async (u: Utterance) => {
        const samples = padWithSilence((await synthesizer.synthesize(u.text)).samples16k, u.leadMs, u.tailMs);
        return { samples, pcm: float32ToPcm16(samples) };
      };
      speech.meeting = await synthesize(MEETING);
      speech.morning = await synthesize(MORNING);
      under = await setup();
      const started = under.gateway;
      // Work waits for loading models; waiting here keeps each case's timeout about the case, not the loads.
      await eventually(async () => {
        const status = await started.status().catch(() => undefined);
        return status?.models.every((m) => m.state !== "loading") ? status : undefined;
      }, READY_TIMEOUT_MS);
    }, READY_TIMEOUT_MS + 60_000);

    afterAll(async () => {
      for (const watched of links) watched.link.end();
      await under?.teardown();
    });

    it("one stream of real speech: speech started then ended, a final transcript with the words, exactly one closed", async () => {
      const watched = await newLink();
      open(watched.link, "speaker");
      expect(send(watched.link, "speaker", pcm("meeting"))).toBe(frameCount(pcm("meeting")));
      watched.link.close("speaker");
      await watched.closed("speaker");
      await roundTrip(watched, "after-speaker");

      const mine = outputsOf(watched.outputs, "speaker");
      expect(mine.filter((o) => o.kind === "error")).toEqual([]);
      const speechEvents = mine.flatMap((o) => (o.kind === "speech" ? [o] : []));
      expect(speechEvents.map((o) => o.event).slice(0, 2)).toEqual(["started", "ended"]);
      const [started, ended] = speechEvents;
      expect(ended?.atMs).toBeGreaterThan(started?.atMs ?? Infinity);
      const finals = mine.flatMap((o) => (o.kind === "transcript" && o.final ? [o] : []));
      expect(finals.length).toBeGreaterThan(0);
      expect(heardWords(finals)).toEqual(expect.arrayContaining(MEETING.key));
      for (const t of finals) expect(t.endMs).toBeGreaterThan(t.startMs);
      // `closed` is the stream's last word: one, after every transcript.
      expect(mine.filter((o) => o.kind === "closed")).toHaveLength(1);
      expect(mine.at(-1)?.kind).toBe("closed");
      expect(watched.unavailable).toEqual([]);
    }, CASE_TIMEOUT_MS);

    it("two streams on one link, their frames interleaved: each gets only its own transcripts and one closed", async () => {
      const watched = await newLink();
      open(watched.link, "a");
      open(watched.link, "b");
      const a = frames(pcm("meeting"));
      const b = frames(pcm("morning"));
      // Alternate frame by frame, as a room relays two speakers talking over each other.
      for (let nextA = a.next(), nextB = b.next(); !nextA.done || !nextB.done; nextA = a.next(), nextB = b.next()) {
        if (!nextA.done) expect(watched.link.chunk("a", ...nextA.value)).toBe(true);
        if (!nextB.done) expect(watched.link.chunk("b", ...nextB.value)).toBe(true);
      }
      watched.link.close("a");
      watched.link.close("b");
      await Promise.all([watched.closed("a"), watched.closed("b")]);
      await roundTrip(watched, "after-both");

      expect(watched.outputs.filter((o) => o.kind === "error")).toEqual([]);
      const heardA = heardWords(outputsOf(watched.outputs, "a"));
      const heardB = heardWords(outputsOf(watched.outputs, "b"));
      expect(heardA).toEqual(expect.arrayContaining(MEETING.key));
      expect(heardB).toEqual(expect.arrayContaining(MORNING.key));
      expect(heardA.filter((w) => MORNING.key.includes(w))).toEqual([]);
      expect(heardB.filter((w) => MEETING.key.includes(w))).toEqual([]);
      for (const id of ["a", "b"]) expect(outputsOf(watched.outputs, id).filter((o) => o.kind === "closed")).toHaveLength(1);
    }, CASE_TIMEOUT_MS);

    it("a chunk for a stream never opened, or already closed, is refused; the link and the gateway go on serving", async () => {
      const watched = await newLink();
      const frame = pcm("meeting").subarray(0, FRAME_BYTES);
      expect(watched.link.chunk("never-opened", 1, frame)).toBe(false);
      open(watched.link, "short-lived");
      watched.link.close("short-lived");
      expect(watched.link.chunk("short-lived", 1, frame)).toBe(false);
      await watched.closed("short-lived");

      // Still serving: a stream opened after the refusals is transcribed as any other.
      open(watched.link, "later");
      expect(send(watched.link, "later", pcm("morning"))).toBe(frameCount(pcm("morning")));
      watched.link.close("later");
      await watched.closed("later");
      expect(heardWords(outputsOf(watched.outputs, "later"))).toEqual(expect.arrayContaining(MORNING.key));
      // A refusal of a stream the link does not hold is not an outage, and the pool never heard of the stream.
      expect(watched.unavailable).toEqual([]);
      expect(outputsOf(watched.outputs, "never-opened")).toEqual([]);
      expect(watched.outputs.filter((o) => o.kind === "error")).toEqual([]);
      expect(watched.link.connected).toBe(true);
      expect((await gateway().status()).models.length).toBeGreaterThan(0);
    }, CASE_TIMEOUT_MS);

    it("transcribe: the same speech as a recording comes back as segments with the words, inside the recording", async () => {
      const recording = pcm("meeting");
      const result = await gateway().transcribe(recording, 16_000);
      const durationMs = Math.round((recording.byteLength / 2 / 16_000) * 1000);
      expect(result.durationMs).toBe(durationMs);
      expect(result.segments.length).toBeGreaterThan(0);
      expect(words(result.segments.map((s) => s.text).join(" "))).toEqual(expect.arrayContaining(MEETING.key));
      expect(words(result.text)).toEqual(expect.arrayContaining(MEETING.key));
      for (const s of result.segments) {
        expect(s.startMs).toBeGreaterThanOrEqual(0);
        expect(s.endMs).toBeGreaterThan(s.startMs);
        expect(s.endMs).toBeLessThanOrEqual(durationMs);
      }
    }, CASE_TIMEOUT_MS);

    it("transcribe: over 10 minutes is recording_too_long; odd bytes or an unsupported rate invalid_audio; none retryable", async () => {
      const tooLong = new Uint8Array((10 * 60 + 1) * 8_000 * 2);
      for (const [audio, rate, code] of [
        [tooLong, 8_000, "recording_too_long"],
        [new Uint8Array(3), 16_000, "invalid_audio"],
        [pcm("meeting"), 12_345, "invalid_audio"],
      ] as const) {
        const refused = await rejection(gateway().transcribe(audio, rate));
        expect(refused).toBeInstanceOf(PoolError);
        expect(refused).toMatchObject({ code, retryable: false });
      }
    }, CASE_TIMEOUT_MS);

    it("transcribe: an empty recording is no error, just nothing heard", async () => {
      // The pool has no code for it (pool.ts and recording-transcription.ts refuse only unreadable or long audio).
      const result = await gateway().transcribe(new Uint8Array(0), 16_000);
      expect(result).toMatchObject({ text: "", segments: [], durationMs: 0 });
    }, CASE_TIMEOUT_MS);

    it("transcribeWav: the same speech as a WAV file is heard the same; bytes that are not a WAV are invalid_audio", async () => {
      const result = await gateway().transcribeWav(encodeWav(clip("meeting").samples, 16_000));
      expect(result.durationMs).toBe(Math.round((clip("meeting").samples.length / 16_000) * 1000));
      expect(words(result.segments.map((s) => s.text).join(" "))).toEqual(expect.arrayContaining(MEETING.key));
      const refused = await rejection(gateway().transcribeWav(new TextEncoder().encode("not a wav file at all")));
      expect(refused).toBeInstanceOf(PoolError);
      expect(refused).toMatchObject({ code: "invalid_audio", retryable: false });
    }, CASE_TIMEOUT_MS);

    it("synthesize: a sentence comes back as 22,050 Hz speech of plausible length that the pool's own ASR hears", async () => {
      const tts = (await gateway().status()).models.find((m) => m.task === "tts");
      expect(tts).toMatchObject({ name: "espeak_ng", state: "loaded", runtime: "wasm", batching: "none" });
      const result = await gateway().synthesize({ text: FOX });
      expect(result.sampleRate).toBe(22_050);
      expect(result.pcm16.length).toBeGreaterThan(0);
      expect(result.durationMs).toBeCloseTo((result.pcm16.length / 22_050) * 1000, 3);
      expect(result.durationMs).toBeGreaterThan(1_000);
      expect(result.durationMs).toBeLessThan(5_000);
      expect(result.timings.synthMs).toBeGreaterThan(0);
      expect(result.timings.totalMs).toBeGreaterThanOrEqual(result.timings.synthMs);
      // Speech, not silence: a spoken sentence peaks well above the noise floor.
      expect(result.pcm16.reduce((peak, s) => Math.max(peak, Math.abs(s)), 0)).toBeGreaterThan(3_000);
      const heard = await Promise.all(
        HEARD_BACK.map(async (text) => (await gateway().transcribe(asRecording(text === FOX ? result : await gateway().synthesize({ text })), 16_000)).text),
      );
      expect(words(heard[0] ?? "")).toEqual(expect.arrayContaining(["quick", "over", "lazy", "dog"]));
      expect(combineWordErrorRates(HEARD_BACK.map((text, i) => wordErrorRate(text, heard[i] ?? ""))).wer).toBeLessThanOrEqual(0.3);
    }, CASE_TIMEOUT_MS);

    it("synthesize: another voice and rate change the speech; text that starts like an option is spoken, not parsed", async () => {
      const [plain, slow, british, help] = await Promise.all([
        gateway().synthesize({ text: FOX }),
        gateway().synthesize({ text: FOX, rateWpm: 100 }),
        gateway().synthesize({ text: FOX, voice: "en-gb-x-rp+f3" }),
        gateway().synthesize({ text: "--help -v xx-yy" }),
      ]);
      expect(slow.durationMs).toBeGreaterThan((plain.durationMs * 175) / 100 / 1.5);
      expect(british.pcm16).not.toEqual(plain.pcm16);
      // Parsed as options it would print eSpeak's usage and write no audio (or fail on the voice).
      expect(help.durationMs).toBeGreaterThan(500);
      expect(words((await gateway().transcribe(asRecording(help), 16_000)).text)).toContain("help");
    }, CASE_TIMEOUT_MS);

    it("synthesize: empty, 1,001 characters, an unknown voice or variant, a rate outside 80–450 are invalid_text", async () => {
      const bad: SynthesisRequest[] = [
        { text: "" },
        { text: "   " },
        { text: "a".repeat(1_001) },
        { text: FOX, voice: "xx-yy" },
        { text: FOX, voice: "en-us+no-such-variant" },
        { text: FOX, rateWpm: 79 },
        { text: FOX, rateWpm: 451 },
      ];
      for (const request of bad) {
        const refused = await rejection(gateway().synthesize(request));
        expect(refused, JSON.stringify(request).slice(0, 80)).toBeInstanceOf(PoolError);
        expect(refused).toMatchObject({ code: "invalid_text", retryable: false });
      }
      expect((await gateway().synthesize({ text: ` ${"a".repeat(1_000)} ` })).pcm16.length).toBeGreaterThan(0);
    }, CASE_TIMEOUT_MS);

    it("synthesize: a request aborted before it starts is never synthesized; two callers at once are both answered", async () => {
      const completed = async () => (await gateway().status()).models.find((m) => m.task === "tts")?.queue?.completed ?? -1;
      const before = await completed();
      const aborted = new AbortController();
      aborted.abort();
      const refused = await rejection(gateway().synthesize({ text: FOX }, { signal: aborted.signal }));
      expect(refused).toMatchObject({ code: "ABORT_ERR", name: "AbortError" });
      expect(await completed()).toBe(before);

      const [first, second] = await Promise.all([gateway().synthesize({ text: "Good morning everyone." }), gateway().synthesize({ text: FOX })]);
      expect(first.pcm16.length).toBeGreaterThan(0);
      expect(second.pcm16.length).toBeGreaterThan(first.pcm16.length);
      expect(await completed()).toBe(before + 2);
    }, CASE_TIMEOUT_MS);

    it("status reports vad and asr loaded; statusOfEach has one loaded status per pool", async () => {
      const { vad, asr } = byTask(await gateway().status());
      expect(vad).toMatchObject({ state: "loaded", loaded: true, error: null });
      expect(asr).toMatchObject({ state: "loaded", loaded: true, error: null });
      const each = await Promise.all(gateway().statusOfEach());
      expect(each).toHaveLength(under?.pools ?? -1);
      for (const status of each) {
        expect(Object.values(byTask(status)).map((m) => m?.loaded)).toEqual([true, true]);
      }
    }, CASE_TIMEOUT_MS);
  });
}
