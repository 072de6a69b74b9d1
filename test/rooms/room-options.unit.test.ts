import { describe, expect, it } from "vitest";
import { joinAuthSchema } from "../../src/rooms/join-authorization.js";
import { roomCreateOptionsSchema } from "../../src/rooms/room-options.js";

const base = { sessionId: "s1", kind: "meeting", maxParticipants: 4, idleTimeoutMs: 60_000, maxDurationMs: 3_600_000 } as const;

describe("room create options", () => {
  it("default to no noise suppression and 2 camera frames a second", () => {
    expect(roomCreateOptionsSchema.parse(base)).toMatchObject({ noiseSuppression: false, videoFps: 2, title: "" });
    expect(roomCreateOptionsSchema.parse({ ...base, noiseSuppression: true, videoFps: 5 })).toMatchObject({ noiseSuppression: true, videoFps: 5 });
  });

  it("refuse a video_fps outside 1–5 or a noise suppression that is not a boolean", () => {
    for (const bad of [{ videoFps: 0 }, { videoFps: 6 }, { videoFps: 1.5 }, { noiseSuppression: "yes" }]) {
      expect(roomCreateOptionsSchema.safeParse({ ...base, ...bad }).success).toBe(false);
    }
  });
});

describe("a participant's join auth", () => {
  const auth = { engineSessionId: "s1", kind: "meeting", participantId: "p1", role: "host", name: "P", expiresAtMs: 1, sampleRate: 16_000 } as const;

  it("carries their noise suppression choice only when they made one", () => {
    expect(joinAuthSchema.parse(auth)).not.toHaveProperty("noiseSuppression");
    expect(joinAuthSchema.parse({ ...auth, noiseSuppression: false })).toMatchObject({ noiseSuppression: false });
  });
});
