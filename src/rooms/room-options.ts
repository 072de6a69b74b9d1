import { z } from "zod";
import { SESSION_KINDS, type SessionKind, type SessionStatus } from "../domain.js";
import { DEFAULT_VIDEO_FPS, MAX_VIDEO_FPS } from "../protocol/client-messages.js";

/**
 * What a room re-created after its process died is given (`session-resume.ts`): the process it takes the session
 * from (its claim succeeds only while that one still holds it), the machine's persisted snapshot as stored, and what
 * is left of the deadlines.
 */
export const roomRestoreSchema = z.object({
  fromProcessId: z.string().min(1),
  snapshot: z.unknown(),
  maxDurationLeftMs: z.number().int().positive(),
  idleLeftMs: z.number().int().positive(),
});
export type RoomRestore = z.infer<typeof roomRestoreSchema>;

/** Options the management API creates a room with (`matchMaker.createRoom(kind, options)`). */
export const roomCreateOptionsSchema = z.object({
  sessionId: z.string().min(1),
  kind: z.enum(SESSION_KINDS),
  /** Shown to participants (room state `title`); empty when the session has none. */
  title: z.string().max(200).default(""),
  maxParticipants: z.number().int().positive(),
  idleTimeoutMs: z.number().int().positive(),
  maxDurationMs: z.number().int().positive(),
  /** Noise suppression of every participant's audio unless their join says otherwise (session option `noise_suppression`). */
  noiseSuppression: z.boolean().default(false),
  /** A tutoring session's tutor (its profile and shared instance); null → the default tutor. Unused by meetings. */
  tutorId: z.string().min(1).nullable().default(null),
  /** A tutoring session's knowledge base; null → none. */
  kbId: z.string().min(1).nullable().default(null),
  /** Camera frames a second each participant may send (session option `video_fps`). */
  videoFps: z.number().int().min(1).max(MAX_VIDEO_FPS).default(DEFAULT_VIDEO_FPS),
  /** When the room first opened (epoch ms): the origin of the session's media offsets, kept by a restored room. */
  startedAtMs: z.number().int().positive().optional(),
  /** Present when the room restores a session whose process died; never stored with the options. */
  restore: roomRestoreSchema.optional(),
});
/** The options as a room holds them (defaults filled in). */
export type RoomOptions = z.infer<typeof roomCreateOptionsSchema>;
/** What a creator passes (defaults may be left out: the room parses them in). */
export type RoomCreateOptions = z.input<typeof roomCreateOptionsSchema>;

/** Room listing metadata: what the monitor and `matchMaker.query` show of a session. */
export interface SessionRoomMetadata {
  kind: SessionKind;
  status: SessionStatus;
  participants: number;
}

/**
 * The listing fields the monitor's room list shows as columns, in this order. Typed against the metadata so a renamed
 * field cannot leave the panel showing an empty column.
 */
export const LISTED_METADATA = ["kind", "status", "participants"] as const satisfies readonly (keyof SessionRoomMetadata)[];
