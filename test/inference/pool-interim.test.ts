import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { startTestPool, type TestPool } from "../support/pool-audio-call.js";
import { padWithSilence, synthesizeSpeech } from "../support/speech.js";
import { streamRecording, type StreamedTranscript } from "../support/streamed-transcription.js";

/**
 * Interim captions through a real pool (Silero, Whisper): a ~4 s sentence streamed
 * at speaking pace gets interims of its growing utterance, each with the segment id of the final that replaces it,
 * and none after that final.
 */
const SENTENCE = "The quick brown fox jumps over the lazy dog while the children watch from the garden.";

let pcm16: Uint8Array;

beforeAll(async () => {
  const speech = await synthesizeSpeech(SENTENCE);
  pcm16 = float32ToPcm16(padWithSilence(speech.samples16k, 500, 1_000));
});

/** Streams the sentence at real-time pace into the pool. */
function speak(pool: TestPool): Promise<StreamedTranscript> {
  return streamRecording(pool.pool, pcm16, { speed: 1 });
}

/** A pool for the enclosing `describe`, its models loaded before its tests. */
function poolWithInterim(enabled: boolean): () => TestPool {
  let pool: TestPool | undefined;
  beforeAll(async () => {
    pool = await startTestPool({ interim: { enabled } });
    await pool.pool.ready();
  });
  afterAll(() => pool?.close());
  return () => {
    if (pool === undefined) throw new Error("the pool did not start");
    return pool;
  };
}

describe("interim captions", () => {
  describe("enabled", () => {
    const pool = poolWithInterim(true);

    it("come before the final, with its segment id, and never after it", async () => {
      const heard = await speak(pool());
      expect(heard.errors).toEqual([]);
      const finals = heard.outputs.filter((o) => o.final && o.text !== "");
      expect(finals.length).toBeGreaterThanOrEqual(1);
      for (const final of finals) {
        const index = heard.outputs.indexOf(final);
        const interims = heard.outputs.filter((o) => !o.final && o.segmentId === final.segmentId);
        for (const interim of interims) {
          expect(heard.outputs.indexOf(interim)).toBeLessThan(index);
          expect(interim.text.trim()).not.toBe("");
          expect(interim.startMs).toBe(final.startMs);
          expect(interim.endMs).toBeLessThanOrEqual(final.endMs);
        }
      }
      const first = finals[0];
      const interims = heard.outputs.filter((o) => !o.final && o.segmentId === first?.segmentId);
      expect(interims.length).toBeGreaterThanOrEqual(1);
      // An interim of a segment whose final was never emitted would be a caption left grey for ever.
      expect(heard.outputs.every((o) => o.final || finals.some((f) => f.segmentId === o.segmentId))).toBe(true);
      const status = pool().pool.status().models.find((m) => m.task === "asr");
      expect(status?.interim?.completed ?? 0).toBeGreaterThanOrEqual(interims.length);
    });
  });

  describe("disabled", () => {
    const pool = poolWithInterim(false);

    it("send finals only", async () => {
      const heard = await speak(pool());
      expect(heard.outputs.filter((o) => o.final && o.text !== "").length).toBeGreaterThanOrEqual(1);
      expect(heard.outputs.filter((o) => !o.final)).toEqual([]);
    });
  });
});
