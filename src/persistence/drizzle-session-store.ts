/**
 * `SessionStore` over Drizzle. The same code serves PGlite and PostgreSQL: it only sees `EngineDb`.
 * Every mutation runs in one transaction that bumps the session's `updated_at`/`last_activity_at` (which also
 * proves the session exists) and appends the matching row to `session_events`.
 */
import { and, asc, count, desc, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import { EngineError } from "../errors.js";
import type { EngineDb } from "./database.js";
import { participants, sessionEvents, sessions, type ParticipantRow, type SessionEventRow, type SessionRow } from "./schema.js";
import type {
  NewSession,
  ParticipantChange,
  ParticipantJoin,
  ParticipantRecord,
  SessionEventRecord,
  SessionQuery,
  SessionClaim,
  SessionRecord,
  SessionStore,
  TransitionInput,
  TurnStateInput,
} from "./store.js";

type EngineTx = Parameters<Parameters<EngineDb["transaction"]>[0]>[0];

/**
 * Key of the transaction-scoped advisory lock every creation with a limit takes: engine processes sharing one
 * database serialise their count-then-insert on it, so MAX_SESSIONS holds across all of them.
 */
const SESSION_CREATION_LOCK = 0x5e55_1011;

/** Counts open sessions under the creation lock (released at commit or rollback); at the limit, `max_sessions`. */
async function refuseOverOpenLimit(tx: EngineTx, maxOpen: number): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${SESSION_CREATION_LOCK})`);
  const [row] = await tx.select({ total: count() }).from(sessions).where(ne(sessions.status, "ended"));
  if ((row?.total ?? 0) >= maxOpen) {
    throw new EngineError("max_sessions", `the engine holds its maximum of ${maxOpen} sessions`);
  }
}

/** PostgreSQL SQLSTATE for a unique-constraint violation. */
const UNIQUE_VIOLATION = "23505";

export interface DrizzleSessionStoreOptions {
  /** Run by `close()`: pass the owning `Database.close` when the store should release the connection. */
  onClose?: () => Promise<void>;
}

export class DrizzleSessionStore implements SessionStore {
  private readonly db: EngineDb;
  private readonly onClose: (() => Promise<void>) | undefined;
  private closed = false;

  constructor(db: EngineDb, options: DrizzleSessionStoreOptions = {}) {
    this.db = db;
    this.onClose = options.onClose;
  }

  async createSession(input: NewSession): Promise<SessionRecord> {
    try {
      return await this.db.transaction(async (tx) => {
        if (input.maxOpen !== undefined) await refuseOverOpenLimit(tx, input.maxOpen);
        const [row] = await tx
          .insert(sessions)
          .values({
            id: input.id,
            kind: input.kind,
            title: input.title,
            tutorId: input.tutorId,
            studentId: input.studentId,
            kbId: input.kbId,
            maxParticipants: input.maxParticipants,
            idleTimeoutMs: input.idleTimeoutMs,
            maxDurationMs: input.maxDurationMs,
            status: "created",
            endReason: null,
            snapshot: null,
            processId: null,
            roomOptions: null,
            createdAt: input.at,
            updatedAt: input.at,
            lastActivityAt: input.at,
            endedAt: null,
          })
          .returning();
        if (row === undefined) throw new EngineError("internal", `insert of session ${input.id} returned no row`);
        await insertEvent(tx, { sessionId: input.id, type: "lifecycle.created", participantId: null, data: {}, at: input.at });
        return toSessionRecord(row);
      });
    } catch (error) {
      if (pgErrorCode(error) === UNIQUE_VIOLATION) {
        throw new EngineError("session_exists", `session ${input.id} already exists`, { cause: error });
      }
      throw error;
    }
  }

  async getSession(id: string): Promise<SessionRecord | null> {
    const [row] = await this.db.select().from(sessions).where(eq(sessions.id, id)).limit(1);
    return row === undefined ? null : toSessionRecord(row);
  }

  async listSessions(query: SessionQuery): Promise<{ items: SessionRecord[]; total: number }> {
    if (query.statuses !== undefined && query.statuses.length === 0) return { items: [], total: 0 };
    const where = query.statuses === undefined ? undefined : inArray(sessions.status, [...query.statuses]);
    const [rows, totals] = await Promise.all([
      this.db
        .select()
        .from(sessions)
        .where(where)
        .orderBy(desc(sessions.createdAt), desc(sessions.id))
        .limit(query.limit)
        .offset(query.offset),
      this.db.select({ total: count() }).from(sessions).where(where),
    ]);
    return { items: rows.map(toSessionRecord), total: totals[0]?.total ?? 0 };
  }

  async countOpenSessions(): Promise<number> {
    const [row] = await this.db.select({ total: count() }).from(sessions).where(ne(sessions.status, "ended"));
    return row?.total ?? 0;
  }

  async listOpenSessions(): Promise<SessionRecord[]> {
    const rows = await this.db
      .select()
      .from(sessions)
      .where(ne(sessions.status, "ended"))
      .orderBy(asc(sessions.createdAt), asc(sessions.id));
    return rows.map(toSessionRecord);
  }

  async recordTransition(input: TransitionInput): Promise<void> {
    const { sessionId, status, reason, at } = input;
    // The end reason is known from `draining` on; a later transition without one keeps it.
    const setsEndReason = (status === "draining" || status === "ended") && reason !== null;
    await this.db.transaction(async (tx) => {
      await touchSession(tx, sessionId, at, {
        status,
        snapshot: input.snapshot ?? null,
        ...(setsEndReason ? { endReason: reason } : {}),
        ...(status === "ended" ? { endedAt: at } : {}),
      });
      await insertEvent(tx, { sessionId, type: `lifecycle.${status}`, participantId: null, data: { reason }, at });
    });
  }

  async claimSession(input: SessionClaim): Promise<boolean> {
    const { sessionId, processId, previousProcessId, at } = input;
    const held = previousProcessId === null ? isNull(sessions.processId) : eq(sessions.processId, previousProcessId);
    return this.db.transaction(async (tx) => {
      const claimed = await tx
        .update(sessions)
        .set({ processId, updatedAt: at, ...(input.roomOptions === undefined ? {} : { roomOptions: input.roomOptions }) })
        .where(and(eq(sessions.id, sessionId), ne(sessions.status, "ended"), held))
        .returning({ id: sessions.id });
      if (claimed.length === 0) return false;
      const data = { process_id: processId, previous_process_id: previousProcessId };
      await insertEvent(tx, { sessionId, type: "room.claimed", participantId: null, data, at });
      return true;
    });
  }

  async recordTurnState(input: TurnStateInput): Promise<void> {
    const { sessionId, state, turnId, at } = input;
    await this.db.transaction(async (tx) => {
      await touchSession(tx, sessionId, at, { snapshot: input.snapshot ?? null });
      await insertEvent(tx, { sessionId, type: `turn.${state}`, participantId: null, data: { turn_id: turnId }, at });
    });
  }

  async recordJoin(input: ParticipantJoin): Promise<void> {
    const { sessionId, participantId, name, role, at } = input;
    await this.db.transaction(async (tx) => {
      await touchSession(tx, sessionId, at);
      // First join inserts (joinedAt = first join); a rejoin keeps joinedAt and clears leftAt.
      await tx
        .insert(participants)
        .values({ sessionId, participantId, name, role, connected: true, joinedAt: at, leftAt: null })
        .onConflictDoUpdate({
          target: [participants.sessionId, participants.participantId],
          set: { name, role, connected: true, leftAt: null },
        });
      await insertEvent(tx, { sessionId, type: "participant.joined", participantId, data: { name, role }, at });
    });
  }

  async recordDrop(input: ParticipantChange): Promise<void> {
    await this.changeParticipant(input, "participant.dropped", { connected: false });
  }

  async recordReconnect(input: ParticipantChange): Promise<void> {
    await this.changeParticipant(input, "participant.reconnected", { connected: true });
  }

  async recordLeave(input: ParticipantChange): Promise<void> {
    await this.changeParticipant(input, "participant.left", { connected: false, leftAt: input.at });
  }

  async appendEvent(input: {
    sessionId: string;
    type: string;
    participantId: string | null;
    data: Record<string, unknown>;
    at: Date;
  }): Promise<void> {
    await this.db.transaction(async (tx) => {
      await touchSession(tx, input.sessionId, input.at);
      await insertEvent(tx, input);
    });
  }

  async listParticipants(sessionId: string): Promise<ParticipantRecord[]> {
    const rows = await this.db
      .select()
      .from(participants)
      .where(eq(participants.sessionId, sessionId))
      .orderBy(asc(participants.joinedAt), asc(participants.participantId));
    return rows.map(toParticipantRecord);
  }

  async listEvents(sessionId: string): Promise<SessionEventRecord[]> {
    const rows = await this.db
      .select()
      .from(sessionEvents)
      .where(eq(sessionEvents.sessionId, sessionId))
      .orderBy(asc(sessionEvents.id));
    return rows.map(toSessionEventRecord);
  }

  async ping(): Promise<void> {
    await this.db.execute(sql`select 1`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.onClose?.();
  }

  private async changeParticipant(
    input: ParticipantChange,
    type: string,
    set: { connected: boolean; leftAt?: Date },
  ): Promise<void> {
    const { sessionId, participantId, at } = input;
    await this.db.transaction(async (tx) => {
      await touchSession(tx, sessionId, at);
      const updated = await tx
        .update(participants)
        .set(set)
        .where(and(eq(participants.sessionId, sessionId), eq(participants.participantId, participantId)))
        .returning({ participantId: participants.participantId });
      if (updated.length === 0) {
        throw new EngineError("not_found", `participant ${participantId} never joined session ${sessionId}`);
      }
      await insertEvent(tx, { sessionId, type, participantId, data: {}, at });
    });
  }
}

/** Bumps the session's activity times (plus any extra columns); `session_not_found` when there is no such session. */
async function touchSession(
  tx: EngineTx,
  sessionId: string,
  at: Date,
  extra: Partial<Pick<typeof sessions.$inferInsert, "status" | "snapshot" | "endReason" | "endedAt">> = {},
): Promise<void> {
  const updated = await tx
    .update(sessions)
    .set({ ...extra, updatedAt: at, lastActivityAt: at })
    .where(eq(sessions.id, sessionId))
    .returning({ id: sessions.id });
  if (updated.length === 0) throw new EngineError("session_not_found", `session ${sessionId} not found`);
}

async function insertEvent(
  tx: EngineTx,
  event: { sessionId: string; type: string; participantId: string | null; data: Record<string, unknown>; at: Date },
): Promise<void> {
  await tx.insert(sessionEvents).values({
    sessionId: event.sessionId,
    type: event.type,
    participantId: event.participantId,
    data: event.data,
    at: event.at,
  });
}

/** SQLSTATE of a driver error, looking through wrappers (Drizzle's `DrizzleQueryError` keeps it in `cause`). */
function pgErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    if ("code" in current && typeof current.code === "string" && /^[0-9A-Z]{5}$/.test(current.code)) return current.code;
    current = "cause" in current ? current.cause : undefined;
  }
  return undefined;
}

function toSessionRecord(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    tutorId: row.tutorId,
    studentId: row.studentId,
    kbId: row.kbId,
    maxParticipants: row.maxParticipants,
    idleTimeoutMs: row.idleTimeoutMs,
    maxDurationMs: row.maxDurationMs,
    status: row.status,
    endReason: row.endReason,
    snapshot: row.snapshot ?? null,
    processId: row.processId,
    roomOptions: row.roomOptions ?? null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lastActivityAt: row.lastActivityAt,
    endedAt: row.endedAt,
  };
}

function toParticipantRecord(row: ParticipantRow): ParticipantRecord {
  return {
    sessionId: row.sessionId,
    participantId: row.participantId,
    name: row.name,
    role: row.role,
    connected: row.connected,
    joinedAt: row.joinedAt,
    leftAt: row.leftAt,
  };
}

function toSessionEventRecord(row: SessionEventRow): SessionEventRecord {
  return {
    id: row.id,
    sessionId: row.sessionId,
    type: row.type,
    participantId: row.participantId,
    data: row.data ?? {},
    at: row.at,
  };
}
