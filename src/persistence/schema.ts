/**
 * Drizzle table definitions for the engine's own data. The SQL they generate (see `drizzle/`) must run on both
 * PostgreSQL 15+ and PGlite, so it sticks to plain types: text, integer, bigint, boolean, jsonb, timestamptz (and
 * `tsvector`, built into both, for knowledge-base search).
 * New result kinds (transcripts, summaries, ...) get their own tables keyed by `session_id` rather than columns here.
 */
import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, customType, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import type { ParticipantRole, SessionKind, SessionStatus } from "../domain.js";
import type { DocumentFormat } from "../tutor/knowledge/chunking.js";

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
    /** The Colyseus process whose room holds the session; null until a room opens it (and for older sessions). */
    processId: text("process_id"),
    /** The options its room was created with, to re-create it after a crash; null for sessions from before them. */
    roomOptions: jsonb("room_options").$type<unknown>(),
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

/** Tutor profiles (`PUT /api/v1/tutors/{id}`): the settings as validated, one JSON document per tutor. */
export const tutors = pgTable("tutors", {
  id: text("id").primaryKey(),
  /** `TutorSettings` (name, prompt, llm, voice, turn, greeting); read back through the same zod schema. */
  settings: jsonb("settings").$type<Record<string, unknown>>().notNull(),
  createdAt: timestampTz("created_at").notNull(),
  updatedAt: timestampTz("updated_at").notNull(),
});

export type TutorRow = typeof tutors.$inferSelect;

/** Documents of knowledge bases, as sent; a knowledge base exists by having documents. */
export const kbDocuments = pgTable(
  "kb_documents",
  {
    kbId: text("kb_id").notNull(),
    docId: text("doc_id").notNull(),
    title: text("title"),
    format: text("format").$type<DocumentFormat>().notNull(),
    content: text("content").notNull(),
    /** UTF-8 length of `content`. */
    bytes: integer("bytes").notNull(),
    chunkCount: integer("chunk_count").notNull(),
    createdAt: timestampTz("created_at").notNull(),
    updatedAt: timestampTz("updated_at").notNull(),
  },
  (table) => [primaryKey({ name: "kb_documents_pk", columns: [table.kbId, table.docId] })],
);

export type KbDocumentRow = typeof kbDocuments.$inferSelect;

/** PostgreSQL's full-text document type; drizzle has no built-in column for it. */
const tsvector = customType<{ data: string; driverData: string }>({
  dataType: () => "tsvector",
});

/**
 * Passages of documents, searched with PostgreSQL's own full-text search: `search` is computed by the database from
 * the passage (weight A) and its title context (weight B), indexed with GIN. Searching in the database already there
 * keeps one truth (no second index to keep in step), runs the same on PGlite and PostgreSQL, and every engine process
 * sharing a PostgreSQL sees the same index at once.
 */
export const kbChunks = pgTable(
  "kb_chunks",
  {
    kbId: text("kb_id").notNull(),
    docId: text("doc_id").notNull(),
    chunkIndex: integer("chunk_index").notNull(),
    /** Document title and heading path, `Biology › Cells › Mitochondria`; null when there are neither. */
    title: text("title"),
    text: text("text").notNull(),
    search: tsvector("search")
      .notNull()
      .generatedAlwaysAs(sql`setweight(to_tsvector('english', coalesce("title", '')), 'B') || setweight(to_tsvector('english', "text"), 'A')`),
  },
  (table) => [
    primaryKey({ name: "kb_chunks_pk", columns: [table.kbId, table.docId, table.chunkIndex] }),
    foreignKey({ name: "kb_chunks_document_fk", columns: [table.kbId, table.docId], foreignColumns: [kbDocuments.kbId, kbDocuments.docId] }).onDelete("cascade"),
    index("kb_chunks_search_idx").using("gin", table.search),
  ],
);

/**
 * Tutoring conversations turn by turn (`TurnStore`): the student's words and the tutor's reply share a `turn_id`;
 * `role_order` sorts the student's first. Saving is idempotent on (session, turn, role).
 */
export const tutorTurns = pgTable(
  "tutor_turns",
  {
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    turnId: integer("turn_id").notNull(),
    role: text("role").$type<"student" | "tutor">().notNull(),
    roleOrder: integer("role_order").notNull(),
    kind: text("kind").$type<"greeting" | "answer" | "question">().notNull(),
    text: text("text").notNull(),
    outcome: text("outcome").$type<"completed" | "interrupted" | "failed">().notNull(),
    errorCode: text("error_code"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull(),
    startedAt: timestampTz("started_at").notNull(),
    endedAt: timestampTz("ended_at").notNull(),
  },
  (table) => [
    primaryKey({ name: "tutor_turns_pk", columns: [table.sessionId, table.turnId, table.role] }),
    index("tutor_turns_session_order_idx").on(table.sessionId, table.turnId, table.roleOrder),
  ],
);

/**
 * One meeting analysis per session (`GET /api/v1/ai/analysis/{id}`): `final` once computed after the session ended,
 * `live` for an on-demand snapshot of a session still open (replaced by the final one, never the reverse). `payload`
 * is the analysis as served; `version` the shape it was computed with (an older one is computed again).
 */
export const meetingAnalyses = pgTable("meeting_analyses", {
  sessionId: text("session_id")
    .primaryKey()
    .references(() => sessions.id, { onDelete: "cascade" }),
  status: text("status").$type<"final" | "live">().notNull(),
  version: integer("version").notNull(),
  payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
  computedAt: timestampTz("computed_at").notNull(),
});

export type MeetingAnalysisRow = typeof meetingAnalyses.$inferSelect;
