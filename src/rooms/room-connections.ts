import type { Client } from "@colyseus/core";
import { joinAuthSchema, type JoinAuth } from "./join-authorization.js";
import { TokenBucket } from "../token-bucket.js";

export type SessionClient = Client<{ auth: JoinAuth; userData: ConnectionRecord }>;

/** Audio a client may send: 1.5 s of audio per second (catching up after a stall), bursts up to 3 s. */
const AUDIO_BUDGET = { ratePerSecond: 1_500, burst: 3_000 } as const;
/** Error replies a connection gets: past this, refusals are counted but not answered (a flood gets no echo). */
const ERROR_REPLY_BUDGET = { ratePerSecond: 10, burst: 50 } as const;

/** What the room keeps of a connection, in Colyseus' `client.userData` (not a map per room). */
export interface ConnectionRecord {
  /** Verified at join, parsed once: never re-read from `client.auth` per message. */
  auth: JoinAuth;
  messages: TokenBucket;
  /** Made on the connection's first audio message or refusal: most connections of a session never need both. */
  audio: TokenBucket | undefined;
  /** Camera frames, made on the first. */
  video: TokenBucket | undefined;
  errorReplies: TokenBucket | undefined;
}

/**
 * A room's connections: the current one of each participant (an older one is stale, replaced) and, per connection,
 * its identity and its message and audio budgets.
 */
export class RoomConnections {
  readonly #current = new Map<string, SessionClient>();
  readonly #messageLimits: { ratePerSecond: number; burst: number };

  constructor(messageLimits: { ratePerSecond: number; burst: number }) {
    this.#messageLimits = messageLimits;
  }

  get size(): number {
    return this.#current.size;
  }

  /** Makes `client` the participant's connection; returns the one it replaces, if any. */
  attach(client: SessionClient, auth: JoinAuth): SessionClient | undefined {
    const previous = this.#current.get(auth.participantId);
    this.#current.set(auth.participantId, client);
    // The parsed copy replaces what `onAuth` returned: one `JoinAuth` per connection, not two.
    client.auth = auth;
    client.userData = { auth, messages: new TokenBucket(this.#messageLimits), audio: undefined, video: undefined, errorReplies: undefined };
    return previous === client ? undefined : previous;
  }

  detach(participantId: string): void {
    this.#current.delete(participantId);
  }

  clientOf(participantId: string): SessionClient | undefined {
    return this.#current.get(participantId);
  }

  /** Participants connected now, other than `participantId`. */
  countOthers(participantId: string): number {
    let others = 0;
    for (const id of this.#current.keys()) if (id !== participantId) others += 1;
    return others;
  }

  authOf(client: SessionClient): JoinAuth {
    return client.userData?.auth ?? joinAuthSchema.parse(client.auth);
  }

  /** The participant a client speaks for, or null when a newer connection has replaced it. */
  currentParticipantOf(client: SessionClient): string | null {
    const parsed = joinAuthSchema.safeParse(client.auth);
    if (!parsed.success) return null;
    const current = this.#current.get(parsed.data.participantId);
    return current === undefined || current === client || current.sessionId === client.sessionId ? parsed.data.participantId : null;
  }

  /** Takes one message from the client's budget; false when it is spent. */
  takeMessage(client: SessionClient): boolean {
    return client.userData?.messages.take() ?? true;
  }

  /** Takes one error reply from the client's budget; false when it is spent (an unknown connection gets none). */
  takeErrorReply(client: SessionClient): boolean {
    const record = client.userData;
    if (record === undefined) return false;
    record.errorReplies ??= new TokenBucket(ERROR_REPLY_BUDGET);
    return record.errorReplies.take();
  }

  /** Takes `ms` of audio from the client's budget; false when it is spent (or the connection is unknown). */
  takeAudio(client: SessionClient, ms: number): boolean {
    const record = client.userData;
    if (record === undefined) return false;
    record.audio ??= new TokenBucket(AUDIO_BUDGET);
    return record.audio.take(ms);
  }

  /** Takes one camera frame from the client's budget of `framesPerSecond` (bursts of a second's worth). */
  takeVideoFrame(client: SessionClient, framesPerSecond: number): boolean {
    const record = client.userData;
    if (record === undefined) return false;
    record.video ??= new TokenBucket({ ratePerSecond: framesPerSecond, burst: framesPerSecond });
    return record.video.take();
  }
}
