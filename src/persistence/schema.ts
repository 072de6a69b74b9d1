/**
 * Drizzle table definitions for the engine's own data. The SQL they generate (see `drizzle/`) must run on both
 * PostgreSQL 15+ and PGlite, so it sticks to plain types: text, integer, bigint, boolean, jsonb, timestamptz.
 * New result kinds (transcripts, summaries, ...) get their own tables keyed by `session_id` rather than columns here.
 */
import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import type { ParticipantRole, SessionKind, SessionStatus } from "../domain.js";

/** Every time column is a `timestamptz` read back as a JS `Date`. */
const timestampTz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    kind: text("kind").$type<SessionKind>().notNull(),
    title: text("title"),
    tutorId: text("tutor_id"),
    studentId: text("student_id"),
    kbId: text("kb_id"),
    maxParticipants: integer("max_participants").notNull(),
    // bigint so durations past ~24 days fit; read as a JS number (ms stay far below 2^53).
    idleTimeoutMs: bigint("idle_timeout_ms", { mode: "number" }).notNull(),
    maxDurationMs: bigint("max_duration_ms", { mode: "number" }).notNull(),
    status: text("status").$type<SessionStatus>().notNull(),
    endReason: text("end_reason"),
    /** The lifecycle machine's persisted snapshot; null until the first transition. */
    snapshot: jsonb("snapshot").$type<unknown>(),
    createdAt: timestampTz("created_at").notNull(),
    updatedAt: timestampTz("updated_at").notNull(),
    lastActivityAt: timestampTz("last_activity_at").notNull(),
    endedAt: timestampTz("ended_at"),
  },
  (table) => [index("sessions_status_idx").on(table.status), index("sessions_created_at_idx").on(table.createdAt)],
);

export const participants = pgTable(
  "participants",
  {
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    participantId: text("participant_id").notNull(),
    name: text("name").notNull(),
    role: text("role").$type<ParticipantRole>().notNull(),
    connected: boolean("connected").notNull(),
    joinedAt: timestampTz("joined_at").notNull(),
    leftAt: timestampTz("left_at"),
  },
  (table) => [primaryKey({ name: "participants_pk", columns: [table.sessionId, table.participantId] })],
);

export const sessionEvents = pgTable(
  "session_events",
  {
    // Monotonic id gives a stable total order within a session, even for events sharing a timestamp.
    id: bigserial("id", { mode: "number" }).primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    participantId: text("participant_id"),
    data: jsonb("data")
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    at: timestampTz("at").notNull(),
  },
  (table) => [index("session_events_session_id_id_idx").on(table.sessionId, table.id)],
);

export type SessionRow = typeof sessions.$inferSelect;
export type ParticipantRow = typeof participants.$inferSelect;
export type SessionEventRow = typeof sessionEvents.$inferSelect;

/** Final transcript segments; `segment_id` comes from the pool and makes saving idempotent. */
export const transcriptSegments = pgTable(
  "transcript_segments",
  {
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    segmentId: text("segment_id").notNull(),
    participantId: text("participant_id").notNull(),
    text: text("text").notNull(),
    /** Offsets from the session's creation, in ms. */
    startMs: bigint("start_ms", { mode: "number" }).notNull(),
    endMs: bigint("end_ms", { mode: "number" }).notNull(),
    createdAt: timestampTz("created_at").notNull(),
  },
  (table) => [
    primaryKey({ name: "transcript_segments_pk", columns: [table.sessionId, table.segmentId] }),
    index("transcript_segments_session_start_idx").on(table.sessionId, table.startMs),
  ],
);

export type TranscriptSegmentRow = typeof transcriptSegments.$inferSelect;

/**
 * Results of analysing a participant's media over time (expressions, `no_face`, later attention or a meeting's
 * analysis): open-ended by `kind`, the result itself in `payload`. Written by rooms in batches, in order.
 */
export const analyses = pgTable(
  "analyses",
  {
    // Monotonic id: the order rows were written in, for rows that share an offset.
    id: bigserial("id", { mode: "number" }).primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    /** Null for an analysis of the whole session. */
    participantId: text("participant_id"),
    kind: text("kind").notNull(),
    /** Offset from the session's creation, in ms (the timeline transcripts use). */
    atMs: bigint("at_ms", { mode: "number" }).notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    createdAt: timestampTz("created_at").notNull(),
  },
  (table) => [index("analyses_session_at_idx").on(table.sessionId, table.atMs, table.id)],
);

export type AnalysisRow = typeof analyses.$inferSelect;
