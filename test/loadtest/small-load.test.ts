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
  it("every participant gets a final transcript of every utterance, with no errors or disconnects", async () => {
    const result = await runLoad(
      { ...DEFAULT_LOAD_OPTIONS, sessions: 4, participants: 3, speakers: 1, durationMs: 20_000, workers: 2, progressEveryMs: 0 },
      { engine: runningEngine(t.engine.httpUrl, ADMIN_KEY, null) },
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
  }, 120_000);
});
