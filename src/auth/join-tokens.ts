import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import { z } from "zod";
import { SESSION_KINDS, type ParticipantRole, type SessionKind, isRoleOf } from "../domain.js";
import { storable } from "../storable-text.js";
import { isReservedName } from "../reserved-names.js";
import { JoinRejection } from "./join-rejections.js";

export interface JoinClaims {
  sessionId: string;
  kind: SessionKind;
  participantId: string;
  role: ParticipantRole;
  name: string;
  expiresAt: Date;
}

export interface IssueInput {
  sessionId: string;
  kind: SessionKind;
  participantId: string;
  role: ParticipantRole;
  name: string;
  ttlMs: number;
}

const ISSUER = "session-engine";
const AUDIENCE = "session-join";

/** The claims reach the database (participant rows): text Postgres cannot store makes the token invalid. */
const payloadSchema = z.object({
  sub: storable(z.string().min(1).max(128)).refine((value) => !isReservedName(value)),
  sid: storable(z.string().min(1).max(128)),
  kind: z.enum(SESSION_KINDS),
  role: z.string(),
  name: storable(z.string().max(200)),
  exp: z.number(),
});

/** Signs and verifies join tokens (JWT, HS256). A token joins one participant to one session. */
export class JoinTokens {
  readonly #key: Uint8Array;

  constructor(secret: string) {
    this.#key = new TextEncoder().encode(secret);
  }

  async issue(input: IssueInput): Promise<{ token: string; expiresAt: Date }> {
    // JWT expiry has one-second resolution; round up so a token never expires before ttlMs.
    const exp = Math.ceil((Date.now() + input.ttlMs) / 1000);
    const token = await new SignJWT({ sid: input.sessionId, kind: input.kind, role: input.role, name: input.name })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(input.participantId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.#key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** Throws `JoinRejection` (token_missing, token_invalid, token_expired, token_wrong_session, role_not_allowed). */
  async verify(token: string | undefined, expectedSessionId: string | null): Promise<JoinClaims> {
    if (token === undefined || token === "") throw new JoinRejection("token_missing");
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.#key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ["HS256"] }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new JoinRejection("token_expired");
      throw new JoinRejection("token_invalid");
    }
    const parsed = payloadSchema.safeParse(payload);
    if (!parsed.success) throw new JoinRejection("token_invalid", "unexpected claims");
    const claims = parsed.data;
    if (expectedSessionId !== null && claims.sid !== expectedSessionId) throw new JoinRejection("token_wrong_session");
    if (!isRoleOf(claims.kind, claims.role)) throw new JoinRejection("role_not_allowed");
    return {
      sessionId: claims.sid,
      kind: claims.kind,
      participantId: claims.sub,
      role: claims.role,
      name: claims.name,
      expiresAt: new Date(claims.exp * 1000),
    };
  }
}
