import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, eventually, startTestEngine, type TestEngine } from "../support/engine.js";
import { answerOf, rawRequest } from "../support/raw-http.js";

/**
 * Text PostgreSQL cannot store (U+0000), text UTF-8 cannot encode (lone surrogates) and paths that do not decode are
 * refused at validation with 400 `invalid_request`, never accepted and then failed in a later write, never a 500.
 */

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => {
  await t?.close();
});

const auth = { authorization: `Bearer ${ADMIN_KEY}` };

function detailPaths(body: unknown): string[] {
  const details = (body as { error?: { details?: { path: string }[] } }).error?.details ?? [];
  return details.map((d) => d.path);
}

describe("unstorable text in bodies → 400 invalid_request", () => {
  it.each([
    ["U+0000 in a session title", { kind: "meeting", title: "a\u0000b" }],
    ["a lone high surrogate in a session title", { kind: "meeting", title: "sync \uD800" }],
    ["a lone low surrogate in a session title", { kind: "meeting", title: "\uDC00 sync" }],
  ])("%s", async (_name, body) => {
    const res = await t.api("POST", "/api/v1/sessions", body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: "invalid_request", retryable: false } });
    expect(detailPaths(res.body)).toContain("body.title");
  });

  it("accepts paired surrogates (astral characters) and other unicode", async () => {
    const res = await t.api("POST", "/api/v1/sessions", { kind: "meeting", title: "Weekly 😀 sync — Zürich ‮" });
    expect(res.status).toBe(201);
  });

  it("U+0000 or a lone surrogate in a token's name → 400, and a clean name still joins with its participant recorded", async () => {
    const { id } = await t.createSession({ kind: "meeting" });
    for (const name of ["Ada\u0000", "\uD83DAda"]) {
      const res = await t.api("POST", `/api/v1/sessions/${id}/tokens`, { participant_id: "ada", role: "participant", name });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { code: "invalid_request" } });
      expect(detailPaths(res.body)).toContain("body.name");
    }
    const room = await t.join(id, await t.token(id, "ada", "participant", { name: "Ada 😀" }));
    const detail = await eventually(async () => {
      const body = (await t.api("GET", `/api/v1/sessions/${id}`)).body as { participants: { name: string }[] };
      return body.participants.length === 1 ? body : undefined;
    });
    expect(detail.participants[0]?.name).toBe("Ada 😀");
    await room.leave(true);
  });

  it("U+0000 in the recognition route's session_id → 400 invalid_request", async () => {
    const res = await t.api("POST", "/api/v1/ai/speech-recognition", { audio_data: "AAAA", format: "pcm", sample_rate: 16_000, session_id: "s\u0000" });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: "invalid_request" } });
    expect(detailPaths(res.body)).toContain("body.session_id");
  });
});

describe("unstorable or undecodable session ids in paths → 400 invalid_request", () => {
  it.each([
    ["GET", "/api/v1/sessions/a%00b"],
    ["DELETE", "/api/v1/sessions/a%00b"],
    ["GET", "/api/v1/sessions/%00/transcript"],
    ["GET", "/v1/sessions/a%00b"],
    ["DELETE", "/mgmt/v1/sessions/%00"],
    // A lone surrogate encoded as UTF-8 (CESU): decodeURIComponent refuses it.
    ["GET", "/api/v1/sessions/%ED%A0%80"],
    ["GET", "/api/v1/sessions/%ff"],
    ["GET", "/api/v1/sessions/%E0%A4%A"],
    ["POST", "/api/v1/sessions/%C0%AE/tokens"],
    ["GET", "/v1/sessions/%ED%A0%80"],
    ["GET", "/mgmt/v1/sessions/%"],
  ])("%s %s", async (method, path) => {
    const res = await rawRequest({
      port: t.engine.port,
      method,
      path,
      headers: { ...auth, "content-type": "application/json" },
      ...(method === "POST" ? { body: JSON.stringify({ participant_id: "p", role: "participant" }) } : {}),
    });
    expect(answerOf(res)).toEqual({ status: 400, code: "invalid_request" });
  });

  it("an unknown but storable id is still 404 session_not_found", async () => {
    const res = await rawRequest({ port: t.engine.port, method: "GET", path: "/api/v1/sessions/%E2%9C%93-not-a-session", headers: auth });
    expect(answerOf(res)).toEqual({ status: 404, code: "session_not_found" });
  });
});
