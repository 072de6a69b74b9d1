import type { ParticipantRole, SessionKind, SessionStatus } from "../domain.js";

/** A session as persisted. Times are `Date`s; durations are milliseconds. */
export interface SessionRecord {
  id: string;
  kind: SessionKind;
  title: string | null;
  tutorId: string | null;
  studentId: string | null;
  kbId: string | null;
  maxParticipants: number;
  idleTimeoutMs: number;
  maxDurationMs: number;
  status: SessionStatus;
  endReason: string | null;
  /** The lifecycle machine's persisted snapshot (XState `getPersistedSnapshot()`), JSON. */
  snapshot: unknown;
  /** The engine process (Colyseus `processId`) whose room holds the session; null before a room opened it. */
  processId: string | null;
  /** The options its room was created with (JSON), kept to re-create the room after a crash; null before that. */
  roomOptions: unknown;
  createdAt: Date;
  updatedAt: Date;
  lastActivityAt: Date;
  endedAt: Date | null;
}

export type NewSession = Pick<
  SessionRecord,
  "id" | "kind" | "title" | "tutorId" | "studentId" | "kbId" | "maxParticipants" | "idleTimeoutMs" | "maxDurationMs"
> & {
  at: Date;
  /**
   * Refuse with `max_sessions` when this many sessions are open already: counted and inserted in one transaction
   * under a database lock, so the limit holds across every process sharing the database.
   */
  maxOpen?: number;
};

export interface ParticipantRecord {
  sessionId: string;
  participantId: string;
  name: string;
  role: ParticipantRole;
  connected: boolean;
  /** First join. */
  joinedAt: Date;
  /** Last consented leave (or session end); null while in the session. */
  leftAt: Date | null;
}

export interface SessionEventRecord {
  id: number;
  sessionId: string;
  /** Dot-namespaced: `lifecycle.live`, `participant.joined`, ... */
  type: string;
  participantId: string | null;
  data: Record<string, unknown>;
  at: Date;
}

export interface TransitionInput {
  sessionId: string;
  status: SessionStatus;
  snapshot: unknown;
  reason: string | null;
  at: Date;
}

/** A tutoring session's turn loop moved (`listening`, `thinking`, `speaking`) in its current (or last) turn. */
export interface TurnStateInput {
  sessionId: string;
  state: string;
  turnId: number;
  snapshot: unknown;
  at: Date;
}

/**
 * A process takes a session for its room: when a room first opens it (`previousProcessId` null), or to restore or end
 * it after its process died. Compare-and-set: it succeeds only while the session is open and still held by
 * `previousProcessId`, so of several processes taking over one session exactly one wins.
 */
export interface SessionClaim {
  sessionId: string;
  processId: string;
  previousProcessId: string | null;
  /** Stored with the claim when given (a first open); a takeover keeps what is stored. */
  roomOptions?: Record<string, unknown>;
  at: Date;
}

export interface ParticipantChange {
  sessionId: string;
  participantId: string;
  at: Date;
}

export interface ParticipantJoin extends ParticipantChange {
  name: string;
  role: ParticipantRole;
}

export interface SessionQuery {
  /** Only sessions in one of these statuses; all when absent. */
  statuses?: readonly SessionStatus[];
  limit: number;
  offset: number;
}

/**
 * Everything the engine keeps about sessions. One implementation (Drizzle) serves both the embedded database
 * (PGlite) and Postgres; `test/persistence/session-store.contract.ts` runs against each.
 * Every method that changes a session also records a session event in the same transaction.
 */
export interface SessionStore {
  /**
   * Insert a session in status `created` (event `lifecycle.created`). Fails with code `session_exists` on a duplicate
   * id, `max_sessions` when `maxOpen` sessions are open.
   */
  createSession(input: NewSession): Promise<SessionRecord>;
  getSession(id: string): Promise<SessionRecord | null>;
  /** Newest first. `total` counts every match, not just the page. */
  listSessions(query: SessionQuery): Promise<{ items: SessionRecord[]; total: number }>;
  /** Sessions whose status is not `ended`. */
  countOpenSessions(): Promise<number>;
  /** Sessions whose status is not `ended` (at start-up and in each sweep: candidates for restoring, see `session-resume.ts`). */
  listOpenSessions(): Promise<SessionRecord[]>;
  /** Set status + snapshot (+ end reason and `endedAt` when `ended`); event `lifecycle.<status>` with `{reason}`. */
  recordTransition(input: TransitionInput): Promise<void>;
  /**
   * Set `processId` (and `roomOptions` when given) if the session is not ended and `processId` is still
   * `previousProcessId`; event `room.claimed` with `{process_id, previous_process_id}`. True when it did. Bumps
   * `updatedAt` only: a claim is no participant activity, and `lastActivityAt` is what idle time is measured from.
   */
  claimSession(input: SessionClaim): Promise<boolean>;
  /** Set the snapshot (status unchanged); event `turn.<state>` with `{turn_id}`. */
  recordTurnState(input: TurnStateInput): Promise<void>;
  /** First join inserts, a later join updates name/role; sets connected, clears leftAt; event `participant.joined`. */
  recordJoin(input: ParticipantJoin): Promise<void>;
  /** Connection lost, seat kept for reconnection: connected=false; event `participant.dropped`. */
  recordDrop(input: ParticipantChange): Promise<void>;
  /** connected=true; event `participant.reconnected`. */
  recordReconnect(input: ParticipantChange): Promise<void>;
  /** connected=false, leftAt set; event `participant.left`. */
  recordLeave(input: ParticipantChange): Promise<void>;
  /** Any other event (signaling, AI results later); bumps `lastActivityAt`. */
  appendEvent(input: { sessionId: string; type: string; participantId: string | null; data: Record<string, unknown>; at: Date }): Promise<void>;
  listParticipants(sessionId: string): Promise<ParticipantRecord[]>;
  /** Oldest first. */
  listEvents(sessionId: string): Promise<SessionEventRecord[]>;
  /** Cheap round trip, for readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
