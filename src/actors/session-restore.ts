import { createActor, type Actor } from "xstate";
import { z } from "zod";
import { lifecycleStatus, sessionMachine, type SessionMachineInput } from "./session-machine.js";

/** The statuses a session can be restored in: its room was open (not created, draining or ended) when its process died. */
export const RESTORABLE_STATUSES = ["waiting", "live"] as const;

/** The outline of a persisted machine snapshot; XState itself checks the rest when it restores one. */
const persistedShape = z
  .looseObject({
    status: z.literal("active"),
    // Snapshots from before the `deadline` region cannot re-arm the maximum duration: not restorable.
    value: z.looseObject({ open: z.looseObject({ phase: z.unknown(), presence: z.unknown(), deadline: z.literal("running") }) }),
    context: z.looseObject({ sessionId: z.string(), connected: z.array(z.string()) }),
  })
  // JSON drops the `undefined` fields of an active snapshot; XState's type has them.
  .transform((snapshot) => ({ ...snapshot, output: undefined, error: undefined }));

/**
 * The session machine's actor restored from a persisted snapshot (`getPersistedSnapshot()` as stored), not started;
 * null when the snapshot is not one of an open session of this id (another machine version's, say). `input` is the
 * session's as a new room would give it: XState takes the context from the snapshot. The caller subscribes, starts
 * the actor and sends `session.resume`.
 */
export function restoreSessionActor(input: SessionMachineInput, persisted: unknown): Actor<typeof sessionMachine> | null {
  const shape = persistedShape.safeParse(persisted);
  if (!shape.success || shape.data.context.sessionId !== input.sessionId) return null;
  // XState resolves the state value against the machine; one naming a state that does not exist leaves the actor
  // with an error snapshot.
  const actor = createActor(sessionMachine, { snapshot: shape.data, input });
  const snapshot = actor.getSnapshot();
  if (snapshot.status !== "active") return null;
  return (RESTORABLE_STATUSES as readonly string[]).includes(lifecycleStatus(snapshot)) ? actor : null;
}
