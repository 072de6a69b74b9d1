import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runningEngine } from "../../loadtest/engine-under-test.js";
import { DEFAULT_LOAD_OPTIONS } from "../../loadtest/load-options.js";
import { runLoad } from "../../loadtest/load-run.js";
import { ADMIN_KEY, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";

let t: TestEngine;
beforeAll(async () => {
  // Four speakers at once: the pool's own ASR layout for this machine (lanes sized to the cores), as in production,
  // not the single lane other test engines use.
  t = await startTestEngine({ asrLanes: null });
  await expectModelsLoaded(t);
}, 120_000);
afterAll(async () => {
  await t.close();
});

/** Correctness only: speed is measured by `npm run loadtest:capacity`, never asserted here. */
describe("a small load run (4 sessions × 3 participants, 20 s)", () => {
  it("every participant gets a final transcript of every utterance, with no errors, disconnects or SDK warnings; progress counts live", async () => {
    const progress: string[] = [];
    let generatorOutput = "";
    const result = await runLoad(
      { ...DEFAULT_LOAD_OPTIONS, sessions: 4, participants: 3, speakers: 1, durationMs: 20_000, workers: 2, progressEveryMs: 1_000 },
      {
        engine: runningEngine(t.engine.httpUrl, ADMIN_KEY, null),
        progress: (line) => progress.push(line),
        generatorOutput: (text) => {
          generatorOutput += text;
        },
      },
    );
    expect(result.clients).toEqual({ expected: 12, joined: 12, join_failures: {} });
    // Four speakers, 20 s of sentences about 4.5 s apart.
    expect(result.utterances.sent).toBeGreaterThanOrEqual(12);
    expect(result.utterances.heard_by_all).toBe(result.utterances.sent);
    expect(result.utterances.missing_deliveries).toBe(0);
    expect(result.utterances.unmatched_transcripts).toBe(0);
    expect(result.utterances.speaking_missed).toBe(0);
    expect(result.errors).toEqual({});
    expect(result.disconnects).toEqual({});
    expect(result.audio_rejected).toBe(0);
    // The figures the report is made of are there.
    expect(result.transcript_latency_listener.count).toBe(result.utterances.sent);
    expect(result.engine.samples).toBeGreaterThan(0);
    expect(result.engine.rss_mb_peak).toBeGreaterThan(0);
    // Every client handles every message type the room sends, so the SDK never warns about one.
    expect(generatorOutput).not.toContain("onMessage() not registered");

    // The progress lines count as the run goes. Before the fix a generator sent its counters only once it had stopped
    // streaming, so the lines read 0, then one generator's final count, then the total: at most 3 frame counts, and
    // no transcript while frames were still going out.
    const counted = progress.map((line) => ({
      frames: Number(/ frames (\d+) /.exec(line)?.[1] ?? NaN),
      transcripts: Number(/ transcripts (\d+) /.exec(line)?.[1] ?? NaN),
    }));
    const lines = progress.join("\n");
    expect(counted.every((c) => Number.isInteger(c.frames) && Number.isInteger(c.transcripts)), lines).toBe(true);
    expect(new Set(counted.map((c) => c.frames).filter((f) => f > 0)).size, lines).toBeGreaterThan(3);
    const heard = counted.findIndex((c) => c.transcripts > 0);
    expect(heard, lines).toBeGreaterThanOrEqual(0);
    const framesWhenHeard = counted[heard]?.frames ?? Infinity;
    const framesAfter = new Set(counted.slice(heard + 1).map((c) => c.frames).filter((f) => f > framesWhenHeard));
    expect(framesAfter.size, lines).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
