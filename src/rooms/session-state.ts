import { Encoder, MapSchema, schema, t, type SchemaType } from "@colyseus/schema";

/** One participant as every client sees it. */
export const ParticipantState = schema(
  {
    id: t.string(),
    name: t.string(),
    role: t.string(),
    connected: t.boolean(),
    /** Epoch milliseconds of the first join. */
    joinedAt: t.number(),
    /** True between the pool's speech started and ended events for this participant's audio. */
    speaking: t.boolean(),
    /** Faces in the participant's last analysed camera frame (0 without a camera). */
    faces: t.number(),
    /** The dominant expression of their main face; empty with no face or no camera. */
    expression: t.string(),
  },
  "ParticipantState",
);
export type ParticipantState = SchemaType<typeof ParticipantState>;

/** The room state synchronised to every client: identity, lifecycle status and participants by id. */
export const SessionState = schema(
  {
    sessionId: t.string(),
    kind: t.string(),
    /** The title given at creation (`POST /api/v1/sessions`); empty when none. */
    title: t.string(),
    status: t.string(),
    /** Why the session is draining or ended; empty while open. */
    endReason: t.string(),
    participants: t.map(ParticipantState),
    /** A tutoring session's turn state while live (`listening`, `thinking`, `speaking`); empty otherwise. */
    tutorState: t.string(),
    /** The tutor's current or last turn (0 before the first). */
    turnId: t.number(),
    /**
     * `ok`, or `degraded` while the room's database writes pile up unwritten (the database away for minutes): they are
     * kept and retried, but past a bound new ones are lost (src/rooms/ordered-writes.ts).
     */
    persistence: t.string(),
  },
  "SessionState",
);
export type SessionState = SchemaType<typeof SessionState>;

export function createSessionState(sessionId: string, kind: string, title: string): SessionState {
  const state = new SessionState();
  state.sessionId = sessionId;
  state.kind = kind;
  state.title = title;
  state.status = "created";
  state.endReason = "";
  state.participants = new MapSchema<ParticipantState>();
  state.tutorState = "";
  state.turnId = 0;
  state.persistence = "ok";
  return state;
}

/**
 * A full state encode's budget: the session's own fields, and per participant its map key, id, a display name of up
 * to ≈ 80 bytes, role, flags and join time (measured: 136 B with a 26-character name).
 */
const STATE_FIXED_BYTES = 256;
const STATE_BYTES_PER_PARTICIPANT = 192;
const KIB = 1024;

/**
 * The size of a room's two state buffers. Colyseus gives every room two of `Encoder.BUFFER_SIZE` (16 KiB by
 * default): 32 KiB outside the heap for a 10-person meeting whose full state is 1.5 KiB. A state larger than this
 * (very long names) still encodes: Colyseus reallocates and warns.
 */
export function stateBufferBytes(maxParticipants: number, title: string): number {
  const bytes = STATE_FIXED_BYTES + Buffer.byteLength(title) + maxParticipants * STATE_BYTES_PER_PARTICIPANT;
  return Math.ceil(bytes / KIB) * KIB;
}

/**
 * Runs `setState` with Colyseus' buffer size set for this room, and restores it: the size is read only while a
 * room's serializer and encoder are made, synchronously inside the `state` setter, so no other room sees it.
 */
export function withStateBufferSize<T>(bytes: number, setState: () => T): T {
  const previous = Encoder.BUFFER_SIZE;
  Encoder.BUFFER_SIZE = bytes;
  try {
    return setState();
  } finally {
    Encoder.BUFFER_SIZE = previous;
  }
}
