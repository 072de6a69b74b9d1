import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runningEngine } from "../../loadtest/engine-under-test.js";
import { DEFAULT_LOAD_OPTIONS } from "../../loadtest/load-options.js";
import { formatSummary } from "../../loadtest/load-report.js";
import { runLoad } from "../../loadtest/load-run.js";
import { ADMIN_KEY, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
  await expectModelsLoaded(t);
}, 120_000);
afterAll(async () => {
  await t?.close();
});

/** Correctness only: how many cameras the engine holds is measured by `npm run loadtest:capacity -- --cameras …`. */
describe("a short load run with cameras (2 sessions × 2 participants, every camera at 2 fps, 6 s)", () => {
  it("every camera's frames are taken and analysed, none refused, and the summary carries the video section", async () => {
    let generatorOutput = "";
    const result = await runLoad(
      { ...DEFAULT_LOAD_OPTIONS, sessions: 2, participants: 2, speakers: 0, durationMs: 6_000, workers: 1, progressEveryMs: 0, videoFps: 2, settleMs: 5_000 },
      {
        engine: runningEngine(t.engine.httpUrl, ADMIN_KEY, null),
        generatorOutput: (text) => {
          generatorOutput += text;
        },
      },
    );
    const video = result.video;
    expect(video).not.toBeNull();
    if (video === null) return;
    const summary = formatSummary(result);
    expect(result.clients).toEqual({ expected: 4, joined: 4, join_failures: {} });
    expect(video.cameras).toBe(4);
    // About 12 frames a camera in 6 s; a loaded machine may skip one or two.
    expect(video.client.frames_sent, summary).toBeGreaterThanOrEqual(4 * 8);
    expect(video.client.errors, summary).toEqual({});
    expect(video.engine.frames.refused, summary).toBe(0);
    expect(video.engine.frames.received, summary).toBe(video.client.frames_sent);
    expect(video.engine.frames.analysed, summary).toBeGreaterThan(0);
    expect(video.engine.frames.analysed + video.engine.frames.dropped_stale, summary).toBeLessThanOrEqual(video.engine.frames.received);
    expect(video.engine.stages.frame_to_result.count, summary).toBeGreaterThan(0);
    expect(video.engine.stages.frame_to_result.count, summary).toBeLessThanOrEqual(video.engine.frames.analysed);
    expect(video.engine.stages.frame_to_result.p99_ms, summary).not.toBeNull();
    // The photo is a face: each participant hears its session's cameras announced, with one face.
    expect(video.client.expression_messages, summary).toBeGreaterThanOrEqual(4);
    expect(video.client.expression_with_face, summary).toBe(video.client.expression_messages);
    expect(video.client.frame_to_expression.count, summary).toBeGreaterThan(0);
    expect(result.errors, summary).toEqual({});
    expect(result.disconnects, summary).toEqual({});
    expect(summary).toMatch(/^frame → result \(engine, arrival → applied\)\s+\d+/m);
    expect(generatorOutput).not.toContain("onMessage() not registered");
  }, 120_000);
});
