import { MapSchema, schema, t, type SchemaType } from "@colyseus/schema";

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
  return state;
}
