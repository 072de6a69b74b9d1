import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  await t.close();
});

describe("management API — /api/v1", () => {
  it("creates, reads, lists and deletes a meeting", async () => {
    const created = await t.api("POST", "/api/v1/sessions", { kind: "meeting", title: "Weekly sync", max_participants: 8 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: "meeting", status: "waiting", engine_url: t.engine.engineUrl });
    const { session_id: id, engine_token: token, created_at: createdAt } = created.body as Record<string, string>;
    expect(token).toMatch(/^ey/);
    expect(Date.parse(createdAt ?? "")).toBeGreaterThan(0);

    const got = await t.api("GET", `/api/v1/sessions/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ session_id: id, kind: "meeting", title: "Weekly sync", max_participants: 8, participants: [] });
    expect(got.body).toHaveProperty("last_activity");

    const listed = await t.api("GET", "/api/v1/sessions?status=waiting,live&limit=100");
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ limit: 100, offset: 0 });
    expect((listed.body as { items: { session_id: string }[] }).items.map((s) => s.session_id)).toContain(id);

    const deleted = await t.api("DELETE", `/api/v1/sessions/${id}`);
    expect(deleted.status).toBe(204);
    const after = await t.api("GET", `/api/v1/sessions/${id}`);
    expect(after.body).toMatchObject({ status: "ended", end_reason: "requested" });
    // Idempotent: ending an ended session is still 204.
    expect((await t.api("DELETE", `/api/v1/sessions/${id}`)).status).toBe(204);
  });

  it("creates a tutoring session whose engine token is the student's", async () => {
    const created = await t.api("POST", "/api/v1/sessions", { kind: "tutoring", tutor_id: "tutor-7", student_id: "stu-3", kb_id: "algebra" });
    expect(created.status).toBe(201);
    const token = (created.body as { engine_token: string }).engine_token;
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: "stu-3", role: "student", kind: "tutoring" });
  });

  it("paginates with total", async () => {
    for (let i = 0; i < 3; i += 1) await t.createSession({ kind: "meeting", title: `page ${i}` });
    const page = await t.api("GET", "/api/v1/sessions?limit=2&offset=1");
    const body = page.body as { items: unknown[]; total: number };
    expect(body.items).toHaveLength(2);
    expect(body.total).toBeGreaterThanOrEqual(3);
  });

  it("issues tokens for roles of the session's kind only", async () => {
    const { id } = await t.createSession({ kind: "meeting" });
    const requestedAt = Date.now();
    const ok = await t.api("POST", `/api/v1/sessions/${id}/tokens`, { participant_id: "p-1", name: "Ada", role: "participant", ttl_ms: 60_000 });
    const answeredAt = Date.now();
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ engine_url: t.engine.engineUrl });
    // ttl_ms from when the token was issued, rounded up to JWT's whole seconds: never sooner, at most 1 s later.
    const expiresAt = Date.parse((ok.body as { expires_at: string }).expires_at);
    expect(expiresAt % 1000).toBe(0);
    expect(expiresAt).toBeGreaterThanOrEqual(requestedAt + 60_000);
    expect(expiresAt).toBeLessThan(answeredAt + 60_000 + 1000);

    const wrongRole = await t.api("POST", `/api/v1/sessions/${id}/tokens`, { participant_id: "p-2", role: "student" });
    expect(wrongRole.status).toBe(400);
    expect(wrongRole.body).toMatchObject({ error: { code: "invalid_request" } });

    const unknown = await t.api("POST", "/api/v1/sessions/nope/tokens", { participant_id: "p-2", role: "host" });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: { code: "session_not_found" } });

    await t.api("DELETE", `/api/v1/sessions/${id}`);
    const ended = await t.api("POST", `/api/v1/sessions/${id}/tokens`, { participant_id: "p-3", role: "participant" });
    expect(ended.status).toBe(409);
    expect(ended.body).toMatchObject({ error: { code: "session_ended" } });
  });
});

describe("management API — seed-compatible aliases", () => {
  for (const prefix of ["/v1", "/mgmt/v1"]) {
    it(`${prefix}: create, get, list, delete a tutoring session`, async () => {
      const created = await t.api("POST", `${prefix}/sessions`, { tutor_id: "tutor-1", student_id: "student-1", kb_id: "kb-9" });
      expect(created.status).toBe(201);
      const id = (created.body as { session_id: string }).session_id;
      // The virtual tutor server's clients connect to engine_url itself: the bridge's path for the session.
      expect(created.body).toMatchObject({ status: "active", engine_url: `${t.engine.engineUrl}/ws/${id}` });

      const got = await t.api("GET", `${prefix}/sessions/${id}`);
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ session_id: id, kind: "tutoring", status: "active", lifecycle_status: "waiting", tutor_id: "tutor-1", kb_id: "kb-9" });

      const listed = await t.api("GET", `${prefix}/sessions?limit=100`);
      expect((listed.body as { items: { session_id: string }[] }).items.some((s) => s.session_id === id)).toBe(true);

      expect((await t.api("DELETE", `${prefix}/sessions/${id}`)).status).toBe(204);
      const after = await t.api("GET", `${prefix}/sessions/${id}`);
      expect(after.body).toMatchObject({ status: "ended", lifecycle_status: "ended" });
    });
  }

  it("the seed create needs tutor_id and student_id", async () => {
    const res = await t.api("POST", "/v1/sessions", { tutor_id: "t" });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: "invalid_request", details: [{ path: "body.student_id" }] } });
  });
});

describe("management API — bad input", () => {
  it("401 without or with a wrong admin key, on every path style", async () => {
    for (const path of ["/api/v1/sessions", "/v1/sessions", "/mgmt/v1/sessions"]) {
      const missing = await t.api("GET", path, undefined, null);
      expect(missing.status).toBe(401);
      expect(missing.body).toMatchObject({ error: { code: "unauthorized" } });
      const wrong = await t.api("POST", path, { kind: "meeting" }, "not-the-key");
      expect(wrong.status).toBe(401);
    }
  });

  it("400 for an id JavaScript objects reserve (it would become a key of the room state): toString, __proto__, constructor", async () => {
    for (const name of ["toString", "__proto__", "constructor", "hasOwnProperty"]) {
      const seed = await t.api("POST", "/v1/sessions", { tutor_id: 7, student_id: name });
      expect(seed.status, name).toBe(400);
      expect(seed.body).toMatchObject({ error: { code: "invalid_request" } });
    }
    const { id } = await t.createSession({ kind: "meeting" });
    const token = await t.api("POST", `/api/v1/sessions/${id}/tokens`, { participant_id: "valueOf", role: "participant" });
    expect(token.status).toBe(400);
    expect((await t.api("PUT", "/api/v1/tutors/constructor", {})).status).toBe(400);
  });

  it("400 invalid_request for malformed JSON, naming nothing else", async () => {
    const res = await t.api("POST", "/api/v1/sessions", "{kind:");
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: "invalid_request", message: "the body is not valid JSON" } });
  });

  it("400 invalid_request listing every failing field", async () => {
    const res = await t.api("POST", "/api/v1/sessions", { kind: "webinar", max_participants: 0, idle_timeout_ms: 5, extra: true });
    expect(res.status).toBe(400);
    const paths = (res.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["body.kind", "body.max_participants", "body.idle_timeout_ms"]));
  });

  it("400 for a body that is not an object, and for bad list queries", async () => {
    expect((await t.api("POST", "/api/v1/sessions", "[1,2]")).status).toBe(400);
    const badStatus = await t.api("GET", "/api/v1/sessions?status=sleeping");
    expect(badStatus.status).toBe(400);
    expect(badStatus.body).toMatchObject({ error: { code: "invalid_request", details: [{ path: "query.status.0" }] } });
    expect((await t.api("GET", "/api/v1/sessions?limit=1000")).status).toBe(400);
  });

  it("413 payload_too_large for a body over 64 KB", async () => {
    const res = await t.api("POST", "/api/v1/sessions", { kind: "meeting", title: "x".repeat(70_000) });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: { code: "payload_too_large" } });
  });

  it("404 session_not_found for unknown ids, 404 not_found for unknown routes", async () => {
    const missing = await t.api("GET", "/api/v1/sessions/does-not-exist");
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: "session_not_found", retryable: false } });
    expect((await t.api("DELETE", "/v1/sessions/does-not-exist")).status).toBe(404);
    const route = await t.api("GET", "/api/v1/nothing-here");
    expect(route.status).toBe(404);
    expect(route.body).toMatchObject({ error: { code: "not_found" } });
  });
});

describe("probes and docs", () => {
  it("/health and /ready need no key", async () => {
    const health = await t.api("GET", "/health", undefined, null);
    expect(health).toMatchObject({ status: 200, body: { status: "healthy", service: "realtime-session-engine", max_sessions: 100 } });
    expect((health.body as { active_sessions: unknown }).active_sessions).toEqual(expect.any(Number));
    // Ready once the pool's speech models serve (the inference check), which the first probes may precede.
    await expectModelsLoaded(t);
    const ready = await eventually(async () => {
      const answer = await t.api("GET", "/ready", undefined, null);
      return answer.status === 200 ? answer : undefined;
    }, 10_000);
    expect(ready).toMatchObject({ status: 200, body: { status: "ready", database: "ok", rooms: "accepting", accepting: true } });
  });

  it("/openapi.json is generated from the request schemas", async () => {
    const doc = await t.api("GET", "/openapi.json", undefined, null);
    expect(doc.status).toBe(200);
    const body = doc.body as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } }>> };
    expect(body.openapi).toMatch(/^3\./);
    const createSchema = body.paths["/api/v1/sessions"]?.["post"]?.requestBody?.content["application/json"]?.schema;
    expect(Object.keys(createSchema?.properties ?? {})).toEqual(
      expect.arrayContaining(["kind", "title", "tutor_id", "student_id", "kb_id", "max_participants", "idle_timeout_ms"]),
    );
    expect(body.paths["/api/v1/sessions/{id}/tokens"]?.["post"]).toBeDefined();
  });
});
