import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { collect, eventually, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";
import { streamPcm, type TranscriptMessage } from "../support/room-audio-client.js";

/** A ~4 s sentence spoken at real-time pace, so the pool has time for interims while it goes on. */
const SENTENCE = "The quick brown fox jumps over the lazy dog while the children watch from the garden.";

let t: TestEngine;
let speech: Uint8Array;
beforeAll(async () => {
  t = await startTestEngine({ asrInterim: true });
  const synthesized = await createSpeechSynthesizer().synthesize(SENTENCE);
  speech = float32ToPcm16(padWithSilence(synthesized.samples16k, 800, 1_500));
  await expectModelsLoaded(t);
}, 120_000);
afterAll(async () => {
  await t.close();
});

describe("interim transcripts in a room", () => {
  it("reach everyone before the final with its segment_id; only the final is stored", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const speaker = await t.join(id, token);
    const listener = await t.join(id, await t.token(id, "listener", "participant", { name: "Listener" }));
    const heard = collect<TranscriptMessage>(listener, "transcript");

    await streamPcm(speaker, speech, { realTime: true });
    const final = await eventually(() => heard.find((m) => m.final), 30_000);
    const finalIndex = heard.indexOf(final);
    const interims = heard.filter((m) => !m.final && m.segment_id === final.segment_id);
    expect(interims.length).toBeGreaterThanOrEqual(1);
    for (const interim of interims) {
      expect(heard.indexOf(interim)).toBeLessThan(finalIndex);
      expect(interim.participant_id).toBe(final.participant_id);
    }

    const stored = await eventually(async () => {
      const res = await t.api("GET", `/api/v1/sessions/${id}/transcript`);
      const body = res.body as { segments: { segment_id: string; text: string }[] };
      return body.segments.some((s) => s.segment_id === final.segment_id) ? body.segments : undefined;
    });
    // One row per final, with the final's text: no interim was written (the row is keyed by the shared segment id).
    expect(stored.filter((s) => s.segment_id === final.segment_id).map((s) => s.text)).toEqual([final.text]);
    const finalIds = new Set(heard.filter((m) => m.final).map((m) => m.segment_id));
    expect(stored.every((s) => finalIds.has(s.segment_id))).toBe(true);
  }, 60_000);
});
