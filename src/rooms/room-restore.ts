import type { ParticipantRole } from "../domain.js";
import { EngineError } from "../errors.js";
import type { EventPublisher } from "../events/event-publisher.js";
import type { SessionStore } from "../persistence/store.js";
import type { OrderedWrites } from "./ordered-writes.js";
import type { RoomOptions } from "./room-options.js";
import { ParticipantState, type SessionState } from "./session-state.js";

/** A seat a restored room knows from the database, its participant's connection gone with the dead process. */
export interface RestoredSeat {
  participantId: string;
  role: ParticipantRole;
}

/**
 * Takes the session for this process before its room does anything: a new session (held by no process yet) with the
 * options a restore will need, or a restored one from the dead process that held it. A lost claim (another process
 * holds it, or took it over first) throws `session_exists`.
 */
export async function claimRoomSession(store: SessionStore, options: RoomOptions, startedAtMs: number, processId: string): Promise<void> {
  const { restore, ...kept } = options;
  const claimed = await store.claimSession({
    sessionId: options.sessionId,
    processId,
    previousProcessId: restore?.fromProcessId ?? null,
    ...(restore === undefined ? { roomOptions: { ...kept, startedAtMs } } : {}),
    at: new Date(),
  });
  if (!claimed) throw new EngineError("session_exists", `session ${options.sessionId} is held by another engine process`);
}

/**
 * The seats of a restored session in its room state, every one disconnected (participants who left stay gone); those
 * the database still showed connected are recorded as dropped, in order with the room's other writes.
 */
export async function restoreSeats(store: SessionStore, writes: OrderedWrites, state: SessionState): Promise<RestoredSeat[]> {
  const sessionId = state.sessionId;
  const seats = (await store.listParticipants(sessionId)).filter((seat) => seat.leftAt === null);
  const at = new Date();
  for (const seat of seats) {
    const participant = new ParticipantState();
    participant.id = seat.participantId;
    participant.name = seat.name;
    participant.role = seat.role;
    participant.connected = false;
    participant.joinedAt = seat.joinedAt.getTime();
    state.participants.set(seat.participantId, participant);
    const { participantId } = seat;
    if (seat.connected) writes.enqueue("participant.dropped", () => store.recordDrop({ sessionId, participantId, at }));
  }
  return seats.map(({ participantId, role }) => ({ participantId, role }));
}

/**
 * A restore that failed after its room's claim: the session ends here with `process_restart` (no other process would
 * take it: this one, which holds it, is alive).
 */
export async function endUnrestored(deps: { store: SessionStore; events: EventPublisher }, sessionId: string): Promise<void> {
  const session = await deps.store.getSession(sessionId);
  await deps.store.recordTransition({ sessionId, status: "ended", snapshot: session?.snapshot ?? null, reason: "process_restart", at: new Date() });
  deps.events.publish("meeting.ended", sessionId, { reason: "process_restart" });
}
