import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestEngine, type TestEngine } from "../support/engine.js";

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine({ maxSessions: 2 });
});
afterAll(async () => {
  await t.close();
});

describe("MAX_SESSIONS", () => {
  // Each test starts with every slot free, whatever an earlier one left open.
  beforeEach(async () => {
    const open = await t.api("GET", "/api/v1/sessions?status=created,waiting,live,draining&limit=100");
    for (const s of (open.body as { items: { session_id: string }[] }).items) await t.api("DELETE", `/api/v1/sessions/${s.session_id}`);
  });

  it("answers 503 max_sessions past the limit, and frees a slot when a session ends", async () => {
    const first = await t.createSession();
    await t.createSession();
    const refused = await t.api("POST", "/api/v1/sessions", { kind: "meeting" });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: "max_sessions", retryable: true } });
    const seed = await t.api("POST", "/v1/sessions", { tutor_id: "t", student_id: "s" });
    expect(seed.status).toBe(503);

    await t.api("DELETE", `/api/v1/sessions/${first.id}`);
    expect((await t.api("POST", "/api/v1/sessions", { kind: "tutoring" })).status).toBe(201);
  });

  it("concurrent creations never pass the limit", async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => t.api("POST", "/api/v1/sessions", { kind: "meeting" })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    expect(results.filter((r) => r.status === 503)).toHaveLength(4);
  });
});
