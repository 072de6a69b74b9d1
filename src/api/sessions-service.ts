import { randomUUID } from "node:crypto";
import type { JoinTokens } from "../auth/join-tokens.js";
import type { EngineConfig } from "../config.js";
import { isRoleOf, OPEN_STATUSES, type ParticipantRole, type SessionKind, type SessionStatus } from "../domain.js";
import { EngineError } from "../errors.js";
import type { Draining } from "../draining.js";
import type { EventPublisher } from "../events/event-publisher.js";
import type { Logger } from "../logger.js";
import type { ParticipantRecord, SessionRecord, SessionStore } from "../persistence/store.js";
import type { RoomDirectory } from "../rooms/room-directory.js";

export interface CreateSessionInput {
  kind: SessionKind;
  title?: string | undefined;
  tutorId?: string | undefined;
  studentId?: string | undefined;
  kbId?: string | undefined;
  maxParticipants?: number | undefined;
  idleTimeoutMs?: number | undefined;
  maxDurationMs?: number | undefined;
  /** Noise suppression for every participant unless their join says otherwise (room default: off). */
  noiseSuppression?: boolean | undefined;
  /** Camera frames a second each participant may send (room default: DEFAULT_VIDEO_FPS). */
  videoFps?: number | undefined;
}

export interface CreatedSession {
  session: SessionRecord;
  status: SessionStatus;
  engineToken: string;
  tokenExpiresAt: Date;
}

export interface IssueTokenInput {
  participantId: string;
  name?: string | undefined;
  role: string;
  ttlMs?: number | undefined;
}

/** Seats per kind when a request names none: a meeting room, or a lesson (student, tutor, observers). */
const DEFAULT_MAX_PARTICIPANTS: Record<SessionKind, number> = { meeting: 16, tutoring: 4 };
/** How long DELETE waits for the room to drain before answering. */
const END_TIMEOUT_MS = 15_000;

/** Session management behind both REST path styles: create, read, list, end, and join tokens. */
export class SessionsService {
  constructor(
    private readonly deps: {
      store: SessionStore;
      rooms: RoomDirectory;
      tokens: JoinTokens;
      config: EngineConfig;
      logger: Logger;
      events: EventPublisher;
      /** Set when the process shuts down: creations and tokens answer `draining`. */
      draining: Draining;
    },
  ) {}

  /** MAX_SESSIONS is enforced by the store, in the insert's transaction, across every process sharing the database. */
  async create(input: CreateSessionInput): Promise<CreatedSession> {
    this.deps.draining.assertAccepting();
    const { store, rooms, tokens, config, logger } = this.deps;
    const session = await store.createSession({
      maxOpen: config.maxSessions,
      id: randomUUID(),
      kind: input.kind,
      title: input.title ?? null,
      tutorId: input.tutorId ?? null,
      studentId: input.studentId ?? null,
      kbId: input.kbId ?? null,
      maxParticipants: input.maxParticipants ?? DEFAULT_MAX_PARTICIPANTS[input.kind],
      idleTimeoutMs: input.idleTimeoutMs ?? config.idleTimeoutMs,
      maxDurationMs: input.maxDurationMs ?? config.maxDurationMs,
      at: new Date(),
    });
    try {
      await rooms.create(session.kind, {
        sessionId: session.id,
        kind: session.kind,
        title: session.title ?? "",
        maxParticipants: session.maxParticipants,
        idleTimeoutMs: session.idleTimeoutMs,
        maxDurationMs: session.maxDurationMs,
        tutorId: session.tutorId,
        kbId: session.kbId,
        // Not columns of the session: its room stores every option it was made with (`room_options`), to re-create
        // it after a crash (src/rooms/session-resume.ts). Unset ones take the room's defaults.
        ...(input.noiseSuppression === undefined ? {} : { noiseSuppression: input.noiseSuppression }),
        ...(input.videoFps === undefined ? {} : { videoFps: input.videoFps }),
      });
    } catch (error) {
      logger.error({ err: error, session_id: session.id }, "session room could not be created");
      await store.recordTransition({ sessionId: session.id, status: "ended", snapshot: null, reason: "room_failed", at: new Date() });
      throw new EngineError("internal", "the session room could not be created", { cause: error });
    }
    this.deps.events.publish("meeting.created", session.id, { kind: session.kind, max_participants: session.maxParticipants });
    const host = this.creatorSeat(session);
    const { token, expiresAt } = await tokens.issue({ sessionId: session.id, kind: session.kind, ...host, ttlMs: config.tokenTtlMs });
    logger.info({ session_id: session.id, kind: session.kind }, "session created");
    return { session, status: "waiting", engineToken: token, tokenExpiresAt: expiresAt };
  }

  async get(sessionId: string): Promise<{ session: SessionRecord; participants: ParticipantRecord[] }> {
    const session = await this.require(sessionId);
    return { session, participants: await this.deps.store.listParticipants(sessionId) };
  }

  list(query: { statuses?: SessionStatus[] | undefined; limit: number; offset: number }) {
    return this.deps.store.listSessions(query.statuses === undefined ? { limit: query.limit, offset: query.offset } : { statuses: query.statuses, limit: query.limit, offset: query.offset });
  }

  /** Ends a session: its room drains, tells its clients and disconnects them; the record stays as `ended`. */
  async end(sessionId: string): Promise<void> {
    const session = await this.require(sessionId);
    if (session.status === "ended") return;
    const reached = await this.deps.rooms.requestEnd(sessionId, "requested", END_TIMEOUT_MS);
    if (reached === null) {
      // No room holds it (its process died): close the record directly.
      await this.deps.store.recordTransition({ sessionId, status: "ended", snapshot: session.snapshot, reason: "requested", at: new Date() });
      this.deps.events.publish("meeting.ended", sessionId, { reason: "requested" });
    }
    this.deps.logger.info({ session_id: sessionId, status: reached ?? "ended" }, "session end requested");
  }

  async issueToken(sessionId: string, input: IssueTokenInput): Promise<{ token: string; expiresAt: Date }> {
    this.deps.draining.assertAccepting();
    const session = await this.require(sessionId);
    if (!OPEN_STATUSES.includes(session.status) || session.status === "draining") {
      throw new EngineError("session_ended", "the session has ended");
    }
    if (!isRoleOf(session.kind, input.role)) {
      throw new EngineError("invalid_request", `role "${input.role}" does not exist in a ${session.kind} session`, {
        details: [{ path: "role", message: `one of the ${session.kind} roles` }],
      });
    }
    return this.deps.tokens.issue({
      sessionId,
      kind: session.kind,
      participantId: input.participantId,
      role: input.role,
      name: input.name ?? input.participantId,
      ttlMs: input.ttlMs ?? this.deps.config.tokenTtlMs,
    });
  }

  private async require(sessionId: string): Promise<SessionRecord> {
    const session = await this.deps.store.getSession(sessionId);
    if (session === null) throw new EngineError("session_not_found", "no session has that id");
    return session;
  }

  /** The seat the creator's `engine_token` holds: host of a meeting, the student of a lesson. */
  private creatorSeat(session: SessionRecord): { participantId: string; role: ParticipantRole; name: string } {
    if (session.kind === "meeting") return { participantId: "host", role: "host", name: "Host" };
    return { participantId: session.studentId ?? "student", role: "student", name: "Student" };
  }
}
