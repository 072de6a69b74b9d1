import { SignJWT, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOIN_REJECTIONS, type JoinRejectionCode } from "../../src/auth/join-rejections.js";
import { joinRoom } from "../support/join-room.js";
import { startTestEngine, TOKEN_SECRET, type TestEngine } from "../support/engine.js";

/**
 * Forged, edited and misused join tokens, each joined through the real SDK and refused before a seat is taken with
 * its documented code (README, "Joining"): the SDK's error carries the number as `code` and the string code as
 * `message`.
 */

let t: TestEngine;
let meeting: { id: string; token: string };
let tutoring: { id: string; token: string };
beforeAll(async () => {
  t = await startTestEngine();
  meeting = await t.createSession({ kind: "meeting" });
  tutoring = await t.createSession({ kind: "tutoring", tutor_id: "tutor-1", student_id: "student-1" });
});
afterAll(async () => {
  await t?.close();
});

const b64url = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

function parts(token: string): { header: Record<string, unknown>; claims: Record<string, unknown>; signature: string } {
  const [header = "", payload = "", signature = ""] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(header, "base64url").toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>,
    signature,
  };
}

/** `token` with its claims edited and its original signature kept (no key needed). */
function edited(token: string, edit: (claims: Record<string, unknown>) => Record<string, unknown>): string {
  const { header, claims, signature } = parts(token);
  return `${b64url(header)}.${b64url(edit(claims))}.${signature}`;
}

/** A token signed HS256 with `secret` (the engine's by default): what only the engine itself can issue. */
function signed(claims: JWTPayload, options: { secret?: string; alg?: string; exp?: number } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? "HS256", typ: "JWT" })
    .setIssuedAt()
    .setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 600)
    .sign(new TextEncoder().encode(options.secret ?? TOKEN_SECRET));
}

function meetingClaims(extra: JWTPayload = {}): JWTPayload {
  return { iss: "session-engine", aud: "session-join", sub: "mallory", sid: meeting.id, kind: "meeting", role: "participant", name: "Mallory", ...extra };
}

/** Joins through the SDK; the refusal's `{code, message}`, or a failure if the join is accepted. */
async function refusal(sessionId: string, token: string): Promise<{ code: number; message: string }> {
  try {
    const room = await joinRoom(t.engine.engineUrl, sessionId, token);
    await room.leave(true);
  } catch (error) {
    const { code, message } = error as { code: number; message: string };
    return { code, message };
  }
  throw new Error("the join was accepted");
}

const refused = (code: JoinRejectionCode) => ({ code: JOIN_REJECTIONS[code], message: code });

describe("forged tokens → 441 token_invalid", () => {
  it("alg none (unsigned), with and without a signature segment", async () => {
    const body = b64url({ ...meetingClaims(), exp: Math.floor(Date.now() / 1000) + 600 });
    for (const header of [{ alg: "none", typ: "JWT" }, { alg: "None" }, { alg: "NONE" }]) {
      expect(await refusal(meeting.id, `${b64url(header)}.${body}.`)).toEqual(refused("token_invalid"));
      expect(await refusal(meeting.id, `${b64url(header)}.${body}`)).toEqual(refused("token_invalid"));
    }
  });

  it("signed with the wrong key, or with the right key under another algorithm", async () => {
    expect(await refusal(meeting.id, await signed(meetingClaims(), { secret: "an-attacker-chosen-secret-0123456789-xyz" }))).toEqual(refused("token_invalid"));
    expect(await refusal(meeting.id, await signed(meetingClaims(), { alg: "HS512" }))).toEqual(refused("token_invalid"));
  });

  it("an observer token edited to host without re-signing", async () => {
    const observer = await t.token(meeting.id, "watcher", "observer");
    expect(await refusal(meeting.id, edited(observer, (c) => ({ ...c, role: "host" })))).toEqual(refused("token_invalid"));
  });

  it("claims swapped, added or removed without re-signing", async () => {
    const token = await t.token(meeting.id, "p-1", "participant", { name: "Pat" });
    const edits: ((c: Record<string, unknown>) => Record<string, unknown>)[] = [
      (c) => ({ ...c, sub: c["sid"], sid: c["sub"] }),
      (c) => ({ ...c, admin: true }),
      (c) => ({ ...c, exp: Number(c["exp"]) + 86_400 }),
      (c) => ({ ...c, sub: "host" }),
      ({ role: _role, ...c }) => c,
    ];
    for (const edit of edits) expect(await refusal(meeting.id, edited(token, edit))).toEqual(refused("token_invalid"));
  });

  it("signed but with the wrong issuer or audience, or claims of the wrong shape", async () => {
    for (const claims of [
      meetingClaims({ iss: "someone-else" }),
      meetingClaims({ aud: "another-service" }),
      meetingClaims({ sub: 42 as unknown as string }),
      meetingClaims({ sid: undefined }),
      meetingClaims({ kind: "webinar" }),
      meetingClaims({ name: ["Mallory"] as unknown as string }),
    ]) {
      expect(await refusal(meeting.id, await signed(claims))).toEqual(refused("token_invalid"));
    }
  });

  it("signed claims carrying text the database cannot store (U+0000, lone surrogates)", async () => {
    for (const claims of [meetingClaims({ name: "Mal\u0000lory" }), meetingClaims({ sub: "mal\uD800" }), meetingClaims({ name: "\uDFFF" })]) {
      expect(await refusal(meeting.id, await signed(claims))).toEqual(refused("token_invalid"));
    }
  });

  it("garbage: not a JWT, empty segments, a huge token", async () => {
    for (const token of ["not-a-jwt", "..", "a.b.c", `${b64url({ alg: "HS256" })}..`, "x".repeat(8_000)]) {
      expect(await refusal(meeting.id, token)).toEqual(refused("token_invalid"));
    }
  });
});

describe("valid signatures, wrong use", () => {
  it("expired → 442 token_expired", async () => {
    expect(await refusal(meeting.id, await signed(meetingClaims(), { exp: Math.floor(Date.now() / 1000) - 5 }))).toEqual(refused("token_expired"));
  });

  it("a token of another session → 443 token_wrong_session", async () => {
    const other = await t.createSession({ kind: "meeting" });
    expect(await refusal(meeting.id, other.token)).toEqual(refused("token_wrong_session"));
    // Signed claims with sub and sid swapped name another "session".
    expect(await refusal(meeting.id, await signed(meetingClaims({ sub: meeting.id, sid: "mallory" })))).toEqual(refused("token_wrong_session"));
  });

  it("a token of another kind of session → 443 token_wrong_session", async () => {
    expect(await refusal(meeting.id, tutoring.token)).toEqual(refused("token_wrong_session"));
    // The meeting's id in a token that says tutoring (a role valid for tutoring).
    expect(await refusal(meeting.id, await signed(meetingClaims({ kind: "tutoring", role: "student" })))).toEqual(refused("token_wrong_session"));
  });

  it("a role not of the session's kind, or no role at all → 445 role_not_allowed", async () => {
    for (const role of ["student", "tutor", "admin", "HOST", ""]) {
      expect(await refusal(meeting.id, await signed(meetingClaims({ role })))).toEqual(refused("role_not_allowed"));
    }
    const tutoringClaims = { ...meetingClaims({ sid: tutoring.id, kind: "tutoring" }) };
    for (const role of ["host", "participant"]) {
      expect(await refusal(tutoring.id, await signed({ ...tutoringClaims, role }))).toEqual(refused("role_not_allowed"));
    }
  });
});

describe("after every refusal", () => {
  it("no refused token took a seat, and the engine's own token still joins", async () => {
    const detail = (await t.api("GET", `/api/v1/sessions/${meeting.id}`)).body as { participants: unknown[] };
    expect(detail.participants).toEqual([]);
    const room = await t.join(meeting.id, meeting.token);
    expect(room.roomId).toBe(meeting.id);
    await room.leave(true);
  });
});
