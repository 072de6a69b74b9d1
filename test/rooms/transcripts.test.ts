import type { Room } from "@colyseus/sdk";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { GrpcInferenceGateway } from "../../src/inference/inference-gateway.js";
import { collect, eventually, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";
import { streamPcm, type TranscriptMessage } from "../support/room-audio-client.js";
import { words } from "../support/speech-bounds.js";

const SENTENCE = "hello world, this is a test of the meeting engine";
// Not "hello": eSpeak's "hello world" opening is heard as "the lord world" / "the low world" at some cuts by either encoder window (scripts/bench/window-wer.ts).
const WORDS = ["world", "test", "meeting", "engine"];

let t: TestEngine;
let speech: Uint8Array;
beforeAll(async () => {
  t = await startTestEngine();
  const synthesized = await createSpeechSynthesizer().synthesize(SENTENCE);
  speech = float32ToPcm16(padWithSilence(synthesized.samples16k, 800, 1_500));
  await expectModelsLoaded(t);
}, 120_000);
afterAll(async () => {
  await t.close();
});

async function meetingWithListener(): Promise<{ id: string; speaker: Room; listener: Room }> {
  const { id, token } = await t.createSession({ kind: "meeting" });
  const speaker = await t.join(id, token);
  const listener = await t.join(id, await t.token(id, "listener", "participant", { name: "Listener" }));
  return { id, speaker, listener };
}

describe("live transcripts in a meeting", () => {
  it("an idle session holds no pool stream: the room's link opens with its first audio, one for all its speakers", async () => {
    const links = vi.spyOn(GrpcInferenceGateway.prototype, "openAudioLink");
    try {
      const { speaker, listener } = await meetingWithListener();
      const heard = collect<TranscriptMessage>(listener, "transcript");
      expect(links).not.toHaveBeenCalled();
      await streamPcm(speaker, speech);
      const message = await eventually(() => heard.find((m) => m.final), 20_000);
      expect(words(message.text)).toEqual(expect.arrayContaining(WORDS));
      await streamPcm(listener, speech);
      await eventually(() => (heard.filter((m) => m.final).length >= 2 ? true : undefined), 20_000);
      expect(links).toHaveBeenCalledTimes(1);
    } finally {
      links.mockRestore();
    }
  });

  it("every participant receives the speaker's final transcript; it is persisted and served as JSON, VTT and SRT", async () => {
    const { id, speaker, listener } = await meetingWithListener();
    const heard = [collect<TranscriptMessage>(speaker, "transcript"), collect<TranscriptMessage>(listener, "transcript")];
    const errors = collect(speaker, "error");
    let sawSpeaking = false;
    listener.onStateChange((state: { participants: Map<string, { speaking: boolean }> }) => {
      if (state.participants.get("host")?.speaking) sawSpeaking = true;
    });

    await streamPcm(speaker, speech);
    for (const inbox of heard) {
      const message = await eventually(() => inbox.find((m) => m.final), 20_000);
      expect(message.participant_id).toBe("host");
      expect(words(message.text)).toEqual(expect.arrayContaining(WORDS));
      expect(message.end_ms).toBeGreaterThan(message.start_ms);
    }
    expect(errors).toEqual([]);
    expect(sawSpeaking).toBe(true);

    const stored = await eventually(async () => {
      const res = await t.api("GET", `/api/v1/sessions/${id}/transcript`);
      const body = res.body as { segments: { text: string; participant_id: string; start_ms: number; end_ms: number }[] };
      return body.segments.length > 0 ? body.segments : undefined;
    });
    expect(stored[0]?.participant_id).toBe("host");
    expect(words(stored.map((s) => s.text).join(" "))).toEqual(expect.arrayContaining(WORDS));

    // Subtitles name the speaker ("Host", the creator's display name) and count from the first speech: the JSON's
    // offsets count from the session's creation, before the join and the leading silence.
    const first = stored[0];
    if (first === undefined) throw new Error("no segment");
    expect(first.start_ms).toBeGreaterThan(0);
    const firstEnd = (separator: string) => {
      const ms = first.end_ms - first.start_ms;
      const two = (n: number) => String(n).padStart(2, "0");
      return `${two(Math.floor(ms / 3_600_000))}:${two(Math.floor(ms / 60_000) % 60)}:${two(Math.floor(ms / 1000) % 60)}${separator}${String(ms % 1000).padStart(3, "0")}`;
    };
    const vtt = await fetch(`${t.engine.httpUrl}/api/v1/sessions/${id}/transcript?format=vtt`, { headers: { authorization: "Bearer test-admin-key-0123456789" } });
    const vttText = await vtt.text();
    expect(vttText).toMatch(/^WEBVTT\n\n00:00:00\.000 --> \d\d:\d\d:\d\d\.\d{3}\n<v Host>/);
    expect(vttText.split("\n")[2]).toBe(`00:00:00.000 --> ${firstEnd(".")}`);
    expect(vttText).not.toContain("<v host>");
    const srt = await fetch(`${t.engine.httpUrl}/api/v1/sessions/${id}/transcript?format=srt`, { headers: { authorization: "Bearer test-admin-key-0123456789" } });
    const srtText = await srt.text();
    expect(srtText).toMatch(/^1\n00:00:00,000 --> \d\d:\d\d:\d\d,\d{3}\nHost: /);
    expect(srtText.split("\n")[1]).toBe(`00:00:00,000 --> ${firstEnd(",")}`);
  }, 60_000);

  it("two rooms streaming at once get only their own transcripts", async () => {
    const other = await createSpeechSynthesizer().synthesize("good morning everyone, welcome to the weekly planning call");
    const otherPcm = float32ToPcm16(padWithSilence(other.samples16k, 800, 1_500));
    const a = await meetingWithListener();
    const b = await meetingWithListener();
    const atA = collect<TranscriptMessage>(a.listener, "transcript");
    const atB = collect<TranscriptMessage>(b.listener, "transcript");
    await Promise.all([streamPcm(a.speaker, speech), streamPcm(b.speaker, otherPcm)]);
    const fromA = await eventually(() => atA.find((m) => m.final), 20_000);
    const fromB = await eventually(() => atB.find((m) => m.final), 20_000);
    expect(words(fromA.text)).toEqual(expect.arrayContaining(["meeting", "engine"]));
    expect(words(fromB.text)).toEqual(expect.arrayContaining(["morning", "welcome"]));
    expect(atA.some((m) => words(m.text).includes("morning"))).toBe(false);
    expect(atB.some((m) => words(m.text).includes("meeting"))).toBe(false);
  }, 60_000);

  it("ending the session right after speech: draining waits for the utterance to be transcribed and persisted", async () => {
    const { id, speaker, listener } = await meetingWithListener();
    const heard = collect<TranscriptMessage>(listener, "transcript");
    await streamPcm(speaker, speech.subarray(0, speech.byteLength - 16_000)); // stop 0.5 s after the words, mid-hangover
    expect((await t.api("DELETE", `/api/v1/sessions/${id}`)).status).toBe(204);
    const body = (await t.api("GET", `/api/v1/sessions/${id}/transcript`)).body as { segments: { text: string }[] };
    expect(words(body.segments.map((s) => s.text).join(" "))).toEqual(expect.arrayContaining(["meeting", "engine"]));
    expect(heard.some((m) => m.final)).toBe(true);
    expect((await t.api("GET", `/api/v1/sessions/${id}`)).body).toMatchObject({ status: "ended" });
  }, 60_000);

  it("bad audio gets an error reply and the connection stays", async () => {
    const { speaker } = await meetingWithListener();
    const errors = collect<{ code: string; type: string; message: string }>(speaker, "error");
    speaker.sendBytes("audio", new Uint8Array(641)); // odd byte count
    speaker.sendBytes("audio", new Uint8Array(160)); // 5 ms: under 10 ms
    speaker.sendBytes("audio", new Uint8Array(6_400)); // 200 ms: over 100 ms
    await eventually(() => (errors.length === 3 ? true : undefined));
    expect(errors.map((e) => [e.type, e.code])).toEqual([
      ["audio", "invalid_audio"],
      ["audio", "invalid_audio"],
      ["audio", "invalid_audio"],
    ]);
    expect(speaker.connection.isOpen).toBe(true);
  });
});
