import { z } from "zod";
import { SESSION_KINDS, type SessionKind, type SessionStatus } from "../domain.js";
import { DEFAULT_VIDEO_FPS, MAX_VIDEO_FPS } from "../protocol/client-messages.js";

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
});
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
