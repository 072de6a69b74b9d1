/** Shared vocabulary of the engine: session kinds, lifecycle statuses and participant roles. */

export const SESSION_KINDS = ["meeting", "tutoring"] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];

/** Lifecycle statuses, in the order a session moves through them. */
export const SESSION_STATUSES = ["created", "waiting", "live", "draining", "ended"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** Statuses of a session that still holds (or will hold) a room. */
export const OPEN_STATUSES: readonly SessionStatus[] = ["created", "waiting", "live", "draining"];

export const ROLES_BY_KIND = {
  meeting: ["host", "participant", "observer"],
  tutoring: ["student", "tutor", "observer"],
} as const satisfies Record<SessionKind, readonly string[]>;

export type MeetingRole = (typeof ROLES_BY_KIND)["meeting"][number];
export type TutoringRole = (typeof ROLES_BY_KIND)["tutoring"][number];
export type ParticipantRole = MeetingRole | TutoringRole;

export function isRoleOf(kind: SessionKind, role: string): role is ParticipantRole {
  return (ROLES_BY_KIND[kind] as readonly string[]).includes(role);
}

/** A room of this process as its listing shows it: what metrics count. */
export interface LocalRoomListing {
  /** The room's id: its session's id. */
  sessionId: string;
  kind: SessionKind;
  status: SessionStatus;
  /** Connections Colyseus counts in the room. */
  clients: number;
}

/** Why a session left `live`/`waiting` for `draining`. */
export const END_REASONS = ["requested", "idle_timeout", "max_duration", "process_restart", "shutdown"] as const;
export type EndReason = (typeof END_REASONS)[number];
