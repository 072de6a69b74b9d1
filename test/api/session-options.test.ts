import { Client } from "@colyseus/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOIN_REJECTIONS } from "../../src/auth/join-rejections.js";
import { onServerMessages } from "../../src/protocol/server-message-handlers.js";
import { startTestEngine, type TestEngine } from "../support/engine.js";

/**
 * The session options `noise_suppression` and `video_fps` at create, and the join option `noise_suppression`: taken
 * when well-formed, refused with the engine's error shape when not. No audio flows here, so the engine points at a
 * pool address nothing listens on (no models are loaded for this file).
 */

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine({ inferenceUrls: ["127.0.0.1:9"], inferenceToken: "session-options-test-token-0123456789" });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

type ErrorBody = { error: { code: string; message: string; retryable: boolean; details: { path: string; message: string }[] } };

describe("session create options", () => {
  it("takes noise_suppression and video_fps (1–5), each optional", async () => {
    for (const body of [
      { kind: "meeting", noise_suppression: true, video_fps: 5 },
      { kind: "meeting", noise_suppression: false, video_fps: 1 },
      { kind: "tutoring", tutor_id: "tutor-1", student_id: "student-1", noise_suppression: true },
      { kind: "meeting", video_fps: 3 },
    ]) {
      const created = await t.api("POST", "/api/v1/sessions", body);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ kind: body.kind, status: "waiting" });
    }
  });

  it("400 invalid_request naming each bad value: a non-boolean noise_suppression, video_fps out of 1–5 or not whole", async () => {
    for (const [body, paths] of [
      [{ kind: "meeting", noise_suppression: "yes" }, ["body.noise_suppression"]],
      [{ kind: "meeting", noise_suppression: 1, video_fps: 0 }, ["body.noise_suppression", "body.video_fps"]],
      [{ kind: "meeting", video_fps: 6 }, ["body.video_fps"]],
      [{ kind: "meeting", video_fps: 2.5 }, ["body.video_fps"]],
      [{ kind: "meeting", video_fps: "2" }, ["body.video_fps"]],
      [{ kind: "meeting", video_fps: null }, ["body.video_fps"]],
    ] as const) {
      const res = await t.api("POST", "/api/v1/sessions", body);
      expect(res.status).toBe(400);
      const error = (res.body as ErrorBody).error;
      expect(error).toMatchObject({ code: "invalid_request", retryable: false, message: expect.any(String) });
      expect(error.details.map((d) => d.path).sort()).toEqual([...paths].sort());
    }
  });

  it("are in /openapi.json's create schema, with their bounds", async () => {
    const doc = await t.api("GET", "/openapi.json", undefined, null);
    const body = doc.body as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, Record<string, unknown>> } }> } }>> };
    const properties = body.paths["/api/v1/sessions"]?.["post"]?.requestBody?.content["application/json"]?.schema.properties ?? {};
    expect(properties["noise_suppression"]).toMatchObject({ type: "boolean", description: expect.stringMatching(/noise suppression/i) });
    expect(properties["video_fps"]).toMatchObject({ type: "integer", minimum: 1, maximum: 5 });
  });
});

describe("the join option noise_suppression", () => {
  /** Joins with `options` beside the token; the SDK's error (`code`, `message`) when refused. */
  async function join(sessionId: string, token: string, options: Record<string, unknown>): Promise<{ code: number; message: string } | "joined"> {
    const client = new Client(t.engine.engineUrl);
    client.auth.token = token;
    try {
      const room = await client.joinById(sessionId, options);
      onServerMessages(room);
      await room.leave(true);
      return "joined";
    } catch (error) {
      const { code, message } = error as { code: number; message: string };
      return { code, message };
    }
  }

  it("takes a boolean, over the session's setting either way", async () => {
    const { id, token } = await t.createSession({ kind: "meeting", noise_suppression: true });
    expect(await join(id, token, { noise_suppression: false, sample_rate: 48_000 })).toBe("joined");
    const other = await t.token(id, "guest", "participant");
    expect(await join(id, other, { noise_suppression: true })).toBe("joined");
  });

  it("refuses anything else with invalid_join_options", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    for (const value of ["on", 1, null]) {
      expect(await join(id, token, { noise_suppression: value })).toEqual({ code: JOIN_REJECTIONS.invalid_join_options, message: "invalid_join_options" });
    }
  });
});
