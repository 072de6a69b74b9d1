import { CloseCode, type Room } from "@colyseus/sdk";

/**
 * Join refusals no retry can change (the link is bad, or the session never existed): a rejoin gives up on them at
 * once. Any other failure (the engine restarting, the session not restored yet) is tried again.
 */
const FINAL_JOIN_ERRORS: ReadonlySet<string> = new Set([
  "token_missing",
  "token_invalid",
  "token_expired",
  "token_wrong_session",
  "role_not_allowed",
  "session_not_found",
  "invalid_join_options",
  "join_by_id_only",
]);

export interface RejoinOptions {
  /** Joins tried before giving up. */
  attempts: number;
  /** Wait before the first; each next waits twice as long, up to `maxDelayMs`. */
  firstDelayMs: number;
  maxDelayMs: number;
}

/** About 40 s in all: an engine restart (models included) or another process taking the session over fits in it. */
export const REJOIN_DEFAULTS: RejoinOptions = { attempts: 8, firstDelayMs: 500, maxDelayMs: 8_000 };

/**
 * Whether a room's leave is a lost connection (to rejoin) rather than a departure on purpose: the engine closes with
 * `CONSENTED` when the session ends, when the participant joined elsewhere, and when they left.
 */
export function connectionLost(closeCode: number): boolean {
  return closeCode !== CloseCode.CONSENTED;
}

export type RejoinResult = { room: Room } | { error: string };

/** What a rejoin needs of the SDK's `Client` (its `auth.token` already set). */
export interface RoomJoiner {
  joinById(sessionId: string, options: Record<string, unknown>): Promise<Room>;
}

/**
 * Joins the session again by id with the client's token (`client.auth.token`), after a backoff, a bounded number of
 * times. For when Colyseus' own reconnection has failed: the engine process holding the connection died, and the one
 * that restored the session (restarted, or another process) knows the seat by the token's participant id, not by the
 * old connection. `wait` is injectable for tests.
 */
export async function rejoin(
  client: RoomJoiner,
  sessionId: string,
  joinOptions: Record<string, unknown>,
  options: RejoinOptions = REJOIN_DEFAULTS,
  wait: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<RejoinResult> {
  let error = "unknown";
  for (let attempt = 0; attempt < options.attempts; attempt++) {
    await wait(Math.min(options.maxDelayMs, options.firstDelayMs * 2 ** attempt));
    try {
      return { room: await client.joinById(sessionId, joinOptions) };
    } catch (caught) {
      // The SDK's join error carries the engine's code as its message; a network failure its own text.
      error = caught instanceof Error ? caught.message : String(caught);
      if (FINAL_JOIN_ERRORS.has(error)) break;
    }
  }
  return { error };
}
