import { describe, expect, it } from "vitest";
import type { FrameFace } from "../../src/inference/pool-types.js";
import { ExpressionTracker } from "../../src/rooms/expression-tracker.js";

const scores = { angry: 0, disgust: 0, fear: 0, happy: 0, sad: 0, surprise: 0, neutral: 0 };
const face = (expression: FrameFace["expression"]): FrameFace => ({
  box: { x: 10, y: 10, width: 50, height: 50 },
  score: 0.9,
  expression,
  scores: { ...scores, [expression]: 1 },
});

describe("ExpressionTracker", () => {
  it("announces the first frame, a change of expression or face count, and an unchanged one every heartbeat", () => {
    const tracker = new ExpressionTracker({ heartbeatMs: 2_000, noFaceAfterMs: 10_000 });
    const announced = (atMs: number, faces: FrameFace[]) => tracker.observe("p", atMs, faces).announce;
    expect(announced(0, [face("happy")])).toBe(true);
    expect(announced(500, [face("happy")])).toBe(false);
    expect(announced(1_000, [face("sad")])).toBe(true);
    expect(announced(1_500, [face("sad"), face("happy")])).toBe(true);
    expect(announced(2_000, [face("sad"), face("happy")])).toBe(false);
    expect(announced(3_500, [face("sad"), face("happy")])).toBe(true);
    expect(announced(4_000, [])).toBe(true);
    // Another participant is tracked apart.
    expect(tracker.observe("q", 4_000, [face("sad")]).announce).toBe(true);
  });

  it("says no_face once per absence, in frame time, counted from the last face or the camera's first frame", () => {
    const tracker = new ExpressionTracker({ heartbeatMs: 2_000, noFaceAfterMs: 10_000 });
    const since = (atMs: number, faces: FrameFace[]) => tracker.observe("p", atMs, faces).noFaceSinceMs;
    expect(since(1_000, [])).toBeNull();
    expect(since(10_999, [])).toBeNull();
    expect(since(11_000, [])).toBe(1_000);
    expect(since(15_000, [])).toBeNull();
    expect(since(16_000, [face("neutral")])).toBeNull();
    expect(since(25_000, [])).toBeNull();
    expect(since(26_000, [])).toBe(16_000);
    // A new camera stream starts afresh.
    tracker.forget("p");
    expect(since(30_000, [])).toBeNull();
    expect(since(40_000, [])).toBe(30_000);
  });

  it("ignores a frame older than the last announced one (a late answer after a reconnect)", () => {
    const tracker = new ExpressionTracker();
    tracker.observe("p", 5_000, [face("happy")]);
    expect(tracker.observe("p", 4_000, [face("sad")])).toMatchObject({ announce: false, noFaceSinceMs: null });
    expect(tracker.observe("p", 5_100, [face("sad")]).announce).toBe(true);
  });
});
