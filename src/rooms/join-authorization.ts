import { ServerError, type AuthContext } from "@colyseus/core";
import { z } from "zod";
import { isDatabaseUnavailable } from "../persistence/database-errors.js";
import { JoinRejection } from "../auth/join-rejections.js";
import { ROLES_BY_KIND, SESSION_KINDS, type SessionKind, type ParticipantRole } from "../domain.js";
import type { SampleRate } from "../inference/pool-types.js";
import { sampleRateOption } from "../protocol/client-messages.js";
import type { RoomDeps } from "./room-deps.js";

/** What `onAuth` hands the room as `client.auth`. Plain JSON: it may cross processes through presence IPC. */
export interface JoinAuth {
  /**
   * The engine session joined. Not named `sessionId`: Colyseus takes `auth.sessionId` as the *connection's* session
   * id, so every participant got the same one and simultaneous joins lost their seats.
   */
  engineSessionId: string;
  kind: SessionKind;
  participantId: string;
  role: ParticipantRole;
  name: string;
  expiresAtMs: number;
  /** Rate of the PCM this participant sends (join option `sample_rate`). */
  sampleRate: SampleRate;
  /**
   * Noise suppression of this participant's audio (join option `noise_suppression`), over the session's setting;
   * absent when the join left it to the session.
   */
  noiseSuppression?: boolean;
}

export const joinAuthSchema = z.object({
  engineSessionId: z.string(),
  kind: z.enum(SESSION_KINDS),
  participantId: z.string(),
  role: z.enum(["host", "participant", "observer", "student", "tutor"]),
  name: z.string(),
  expiresAtMs: z.number(),
  sampleRate: z.union([z.literal(8000), z.literal(16000), z.literal(24000), z.literal(48000)]),
  noiseSuppression: z.boolean().optional(),
});

/**
 * The same auth with the strings every participant of a room has in common taken from the room and the engine's
 * constants: parsed from a token they are new strings per connection (≈ 90 B of each idle participant).
 */
export function withSharedStrings(auth: JoinAuth, roomId: string): JoinAuth {
  const kind = SESSION_KINDS.find((known) => known === auth.kind) ?? auth.kind;
  const role = ROLES_BY_KIND[kind].find((known) => known === auth.role) ?? auth.role;
  return { ...auth, engineSessionId: roomId, kind, role };
}

const joinOptionsSchema = z
  .object({ token: z.string().max(8_192).optional(), sample_rate: sampleRateOption, noise_suppression: z.boolean().optional() })
  .loose();

/** `/matchmake/<method>/<roomNameOrId>` of the HTTP matchmaking request, when Colyseus passes it. */
function matchmakeTarget(context: AuthContext): { method: string; target: string } | null {
  const url: unknown = context.req?.url;
  if (typeof url !== "string") return null;
  const match = /\/matchmake\/([^/]+)\/([^/?#]+)/.exec(new URL(url, "http://engine").pathname);
  if (match === null || match[1] === undefined || match[2] === undefined) return null;
  try {
    return { method: match[1], target: decodeURIComponent(match[2]) };
  } catch {
    // Not valid percent-encoded UTF-8: it cannot name any session.
    throw new JoinRejection("session_not_found", "the session id in the path is not valid percent-encoded UTF-8");
  }
}

/**
 * Runs in the matchmaker before any seat is reserved: the token must be valid for this session and kind, the
 * session open and not full. Rejections carry a stable code (see `JOIN_REJECTIONS`).
 */
export async function authorizeJoin(
  deps: RoomDeps,
  kind: SessionKind,
  headerToken: string | undefined,
  rawOptions: unknown,
  context: AuthContext,
): Promise<JoinAuth> {
  try {
    const target = matchmakeTarget(context);
    // Sessions are created over the management API only; clients join them by id.
    if (target !== null && target.method !== "joinById") throw new JoinRejection("join_by_id_only");
    const options = joinOptionsSchema.safeParse(rawOptions ?? {});
    if (!options.success) {
      throw new JoinRejection("invalid_join_options", options.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    }
    const token = headerToken ?? options.data.token;
    const claims = await deps.tokens.verify(token, target?.target ?? null);
    if (claims.kind !== kind) throw new JoinRejection("token_wrong_session", "token is for another kind of session");
    const session = await deps.store.getSession(claims.sessionId);
    if (session === null) throw new JoinRejection("session_not_found");
    if (session.status === "draining" || session.status === "ended") throw new JoinRejection("session_ended");
    const others = (await deps.store.listParticipants(claims.sessionId)).filter(
      (p) => p.connected && p.participantId !== claims.participantId,
    );
    if (others.length >= session.maxParticipants) throw new JoinRejection("session_full");
    return {
      engineSessionId: claims.sessionId,
      kind: claims.kind,
      participantId: claims.participantId,
      role: claims.role,
      name: claims.name,
      expiresAtMs: claims.expiresAt.getTime(),
      sampleRate: options.data.sample_rate,
      // Only when asked: the room's per-connection auth stays as small as before for everyone else.
      ...(options.data.noise_suppression === undefined ? {} : { noiseSuppression: options.data.noise_suppression }),
    };
  } catch (error) {
    // A database that does not answer is a retryable refusal; the driver's message (SQL, ids) never reaches clients.
    const rejection = error instanceof JoinRejection ? error : isDatabaseUnavailable(error) ? new JoinRejection("database_unavailable") : null;
    if (rejection !== null) {
      deps.logger.info({ code: rejection.code }, "join rejected");
      deps.metrics.error("join", rejection.code);
      throw new ServerError(rejection.numericCode, rejection.code);
    }
    deps.logger.error({ err: error }, "join authorization failed");
    deps.metrics.error("join", "internal");
    throw new ServerError(500, "internal");
  }
}
