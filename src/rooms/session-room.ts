import { CloseCode, ServerError } from "@colyseus/core";
import { createActor, waitFor, type Actor } from "xstate";
import type { z } from "zod";
import { JOIN_REJECTIONS } from "../auth/join-rejections.js";
import {
  lifecycleStatus,
  sessionMachine,
  type ParticipantResult,
  type SessionMachineEmitted,
  type SessionMachineInput,
  type SessionMachineSnapshot,
} from "../actors/session-machine.js";
import type { EndReason, SessionStatus } from "../domain.js";
import type { RoomErrorCode } from "../protocol/error-codes.js";
import type { ErrorMessage, ServerMessages, ServerMessageType } from "../protocol/server-messages.js";
import { ClientInbox } from "./client-inbox.js";
import { joinAuthSchema, withSharedStrings, type JoinAuth } from "./join-authorization.js";
import { GuardedRoom } from "./guarded-room.js";
import { roomCreateOptionsSchema, type SessionRoomMetadata } from "./room-options.js";
import { OrderedWrites } from "./ordered-writes.js";
import { RoomAudio, type RoomAudioErrorCode } from "./room-audio.js";
import { deliverResult, type ResultTarget } from "./result-delivery.js";
import { RoomConnections, type SessionClient } from "./room-connections.js";
import { createSessionState, ParticipantState, stateBufferBytes, withStateBufferSize } from "./session-state.js";

type SessionActor = Actor<typeof sessionMachine>;

interface SessionParts {
  actor: SessionActor;
  connections: RoomConnections;
  inbox: ClientInbox;
  audio: RoomAudio;
  writes: OrderedWrites;
}

/** Close code for a connection replaced by a newer one of the same participant (consented: no auto-reconnect). */
const REPLACED_CLOSE_CODE = CloseCode.CONSENTED;
/** How long `requestEnd` waits for the session to reach `ended` before answering. */
const END_WAIT_MS = 10_000;
/** Colyseus' own per-client cap disconnects; keep it far above our token bucket, as a last-resort flood guard. */
const HARD_MESSAGES_PER_SECOND = 2_000;

/**
 * A session as a Colyseus room: a thin adapter that turns Colyseus hooks and messages into events of the session
 * machine (`client.join`, `client.drop`, ...), mirrors the machine into the room state, and persists every change
 * in order. Kinds extend it with their own messages.
 */
export abstract class SessionRoom extends GuardedRoom {
  /**
   * The session's parts in one field. A Colyseus room keeps its properties in a dictionary, with room for about five
   * more than Colyseus' own: past that it doubles (+1.5 KB a session, measured). Hence one field reached through
   * getters on the prototype, and `private` methods, not `#` ones (a class with `#` methods brands every instance).
   */
  #parts!: SessionParts;

  protected get writes(): OrderedWrites {
    return this.#parts.writes;
  }

  private get actor(): SessionActor {
    return this.#parts.actor;
  }

  private get connections(): RoomConnections {
    return this.#parts.connections;
  }

  private get audio(): RoomAudio {
    return this.#parts.audio;
  }

  private get inbox(): ClientInbox {
    return this.#parts.inbox;
  }

  override async onCreate(rawOptions: unknown): Promise<void> {
    this.log = this.deps.logger;
    try {
      await this.createSession(rawOptions);
    } catch (error) {
      this.hookFailed("onCreate", error);
      throw error;
    }
  }

  private async createSession(rawOptions: unknown): Promise<void> {
    const options = roomCreateOptionsSchema.parse(rawOptions);
    this.roomId = options.sessionId;
    // The machine, not Colyseus, decides when a session ends.
    this.autoDispose = false;
    // One extra seat lets a participant's new connection replace their old one.
    this.maxClients = options.maxParticipants + 1;
    this.maxMessagesPerSecond = HARD_MESSAGES_PER_SECOND;
    this.log = this.deps.logger.child({ session_id: options.sessionId, kind: options.kind });
    const connections = new RoomConnections({
      ratePerSecond: this.deps.config.messagesPerSecond,
      burst: this.deps.config.messageBurst,
    });
    const writes = new OrderedWrites(this.log, this.deps.metrics);
    withStateBufferSize(stateBufferBytes(options.maxParticipants, options.title), () =>
      this.setState(createSessionState(options.sessionId, options.kind, options.title)),
    );
    await this.setMetadata({ kind: options.kind, status: "created", participants: 0 });

    // The room is its parts' listener: an idle session carries no bag of closures per part.
    this.#parts = {
      connections,
      writes,
      audio: new RoomAudio({
        gateway: this.deps.inference,
        sessionId: options.sessionId,
        startedAtMs: Date.now(),
        logger: this.log,
        listener: this,
      }),
      inbox: new ClientInbox(this, connections, this.deps.metrics, this.deps.config.messagesPerSecond),
      actor: this.createMachine({
        sessionId: options.sessionId,
        kind: options.kind,
        idleTimeoutMs: options.idleTimeoutMs,
        maxDurationMs: options.maxDurationMs,
      }),
    };
    this.registerHandlers();
    this.actor.start();
    this.actor.send({ type: "session.open" });
    // The creator's response says `waiting`: make that true in the database before answering.
    await this.writes.flush();
    this.log.info("session room created");
  }

  /** Handlers made here, not in `onCreate`: their closures keep only `this`, not `onCreate`'s locals. */
  private registerHandlers(): void {
    this.onClientMessage("signal", (client, message) => this.inbox.signal(client, message));
    this.onClientMessage("text", (client, message) => this.inbox.text(client, message));
    this.onClientBytes("audio", (client, bytes) => this.inbox.audio(client, bytes));
    this.registerMessages();
    this.onUnknownMessage((client, type) => {
      if (!this.inbox.admit(client, type)) return;
      this.reject(client, type, "unknown_message_type", `no message type "${type}" in a ${this.state.kind} session`);
    });
  }

  /** The session's actor, listened to but not started (its first snapshot needs the parts it is one of). */
  private createMachine(input: SessionMachineInput): SessionActor {
    const actor = createActor(sessionMachine, { input });
    // The room's side of what the machine asks runs guarded: XState rethrows a listener's exception outside any hook.
    actor.on("*", (emitted) => this.guarded(emitted.type, () => this.onMachineEmitted(emitted)));
    // An observer's exception would be rethrown by XState outside any hook: guarded too. Two functions, not an
    // observer object, which measured ≈ 1.3 KB more a session.
    actor.subscribe(
      (snapshot) => this.guarded("onMachineSnapshot", () => this.onMachineSnapshot(snapshot)),
      (error) => this.log.error({ err: error }, "session machine failed"),
    );
    return actor;
  }

  /** Kind-specific message handlers (registered with `onClientMessage`). */
  protected registerMessages(): void {}

  /** Every message to one client goes through here (counted by type), typed by the wire protocol. */
  sendTo<T extends ServerMessageType>(client: SessionClient, type: T, message: ServerMessages[T]): void {
    client.send(type, message);
    this.deps.metrics.messagesSent(type);
  }

  /** Every message to all clients goes through here (counted once per recipient). */
  sendToAll<T extends ServerMessageType>(type: T, message: ServerMessages[T]): void {
    this.broadcast(type, message);
    this.deps.metrics.messagesSent(type, this.clients.length);
  }

  /** What draining waits for before the session may end; kinds add their in-flight work. */
  protected async flushBeforeEnd(): Promise<void> {
    await this.audio.drain();
    await this.writes.flush();
  }

  override onJoin(client: SessionClient, _options: unknown, rawAuth: unknown): void {
    this.hooked("onJoin", true, () => this.joinParticipant(client, rawAuth));
  }

  private joinParticipant(client: SessionClient, rawAuth: unknown): void {
    const parsed = joinAuthSchema.parse(rawAuth ?? client.auth);
    if (parsed.engineSessionId !== this.roomId) throw new ServerError(JOIN_REJECTIONS.token_wrong_session, "token_wrong_session");
    const auth = withSharedStrings(parsed, this.roomId);
    if (this.lifecycle === "draining" || this.lifecycle === "ended") {
      throw new ServerError(JOIN_REJECTIONS.session_ended, "session_ended");
    }
    if (this.connections.countOthers(auth.participantId) >= this.maxClients - 1) {
      throw new ServerError(JOIN_REJECTIONS.session_full, "session_full");
    }

    const previous = this.connections.attach(client, auth);
    if (previous !== undefined) {
      this.sendTo(previous, "session.replaced", { reason: "joined from another connection" });
      previous.leave(REPLACED_CLOSE_CODE);
      // The old connection's stream ends with it (its `onLeave` is ignored as stale): the new one opens its own, at
      // its own rate, and the participant is not left shown speaking mid-utterance.
      this.audio.end(auth.participantId);
    }
    const nowMs = Date.now();
    const existing = this.state.participants.get(auth.participantId);
    const participant = existing ?? new ParticipantState();
    participant.id = auth.participantId;
    participant.name = auth.name;
    participant.role = auth.role;
    participant.connected = true;
    if (existing === undefined) {
      participant.joinedAt = nowMs;
      this.state.participants.set(auth.participantId, participant);
    }
    this.log.info({ participant_id: auth.participantId, role: auth.role }, "participant joined");
    this.writes.enqueue("participant.joined", () =>
      this.deps.store.recordJoin({
        sessionId: this.roomId,
        participantId: auth.participantId,
        name: auth.name,
        role: auth.role,
        at: new Date(nowMs),
      }),
    );
    this.actor.send({ type: "client.join", participantId: auth.participantId, role: auth.role });
    this.sendTo(client, "session.joined", {
      session_id: this.roomId,
      participant_id: auth.participantId,
      role: auth.role,
      reconnect_window_ms: this.deps.config.reconnectWindowMs,
    });
    this.updateListing();
  }

  override onDrop(client: SessionClient, code?: number): void {
    this.hooked("onDrop", false, () => this.dropParticipant(client, code));
  }

  private dropParticipant(client: SessionClient, code: number | undefined): void {
    const participantId = this.connections.currentParticipantOf(client);
    if (participantId === null) return;
    const participant = this.state.participants.get(participantId);
    if (participant !== undefined) participant.connected = false;
    this.audio.end(participantId);
    this.log.info({ participant_id: participantId, close_code: code }, "participant dropped");
    this.writes.enqueue("participant.dropped", () =>
      this.deps.store.recordDrop({ sessionId: this.roomId, participantId, at: new Date() }),
    );
    this.sendToMachine({ type: "client.drop", participantId });
    if (this.lifecycle === "ended") return;
    // Colyseus calls onLeave if the window passes without a reconnection, and also when it refuses to hold the seat
    // at all (a socket closed before the join acknowledgement: "not joined"): that refusal is expected, not a fault.
    this.allowReconnection(client, this.deps.config.reconnectWindowMs / 1000).catch((error: unknown) => {
      this.log.debug({ participant_id: participantId, err: error }, "seat not held for reconnection");
    });
  }

  override onReconnect(client: SessionClient): void {
    this.hooked("onReconnect", true, () => this.reconnectParticipant(client));
  }

  private reconnectParticipant(client: SessionClient): void {
    const participantId = this.connections.currentParticipantOf(client);
    if (participantId === null) {
      client.leave(REPLACED_CLOSE_CODE);
      return;
    }
    // Colyseus hands a new Client object for the same seat: it is now the participant's connection.
    this.connections.attach(client, joinAuthSchema.parse(client.auth));
    const participant = this.state.participants.get(participantId);
    if (participant !== undefined) participant.connected = true;
    this.log.info({ participant_id: participantId }, "participant reconnected");
    this.writes.enqueue("participant.reconnected", () =>
      this.deps.store.recordReconnect({ sessionId: this.roomId, participantId, at: new Date() }),
    );
    this.sendToMachine({ type: "client.reconnect", participantId });
  }

  override onLeave(client: SessionClient, code?: number): void {
    this.hooked("onLeave", false, () => this.leaveParticipant(client, code));
  }

  private leaveParticipant(client: SessionClient, code: number | undefined): void {
    const participantId = this.connections.currentParticipantOf(client);
    if (participantId === null) return;
    this.connections.detach(participantId);
    this.state.participants.delete(participantId);
    this.audio.end(participantId);
    this.log.info({ participant_id: participantId, close_code: code }, "participant left");
    this.writes.enqueue("participant.left", () =>
      this.deps.store.recordLeave({ sessionId: this.roomId, participantId, at: new Date() }),
    );
    this.sendToMachine({ type: "client.leave", participantId });
    this.updateListing();
  }

  override onBeforeShutdown(): void {
    this.guarded("onBeforeShutdown", () => this.sendToMachine({ type: "session.end", reason: "shutdown" }));
  }

  override async onDispose(): Promise<void> {
    try {
      if (this.actor.getSnapshot().status === "active") this.actor.stop();
      this.audio.close();
      await this.writes.flush();
      this.log.info({ failed_writes: this.writes.failed }, "session room disposed");
    } catch (error) {
      this.hookFailed("onDispose", error);
    }
  }

  /** Audio the inbox accepted: the machine decides whether it goes to the pool (`ClientInbox`'s `InboxRoom`). */
  audioAccepted(participantId: string, pcm16: Uint8Array): void {
    this.sendToMachine({ type: "audio.chunk", participantId, pcm16 });
  }

  /** A pool result (`RoomAudioListener`): it arrives on a gRPC callback, outside every hook and handler. */
  audioResult(result: ParticipantResult): void {
    this.guarded("inference.result", () => this.sendToMachine({ type: "inference.result", result }));
  }

  audioError(code: RoomAudioErrorCode): void {
    this.deps.metrics.error("pool", code);
  }

  /** Called by the management API (possibly from another process, through `matchMaker.remoteRoomCall`). */
  async requestEnd(reason: EndReason): Promise<SessionStatus> {
    this.sendToMachine({ type: "session.end", reason });
    try {
      // Done once draining has flushed; the `ended` transition's own write was queued before this resolves.
      await waitFor(this.actor, (snapshot) => snapshot.status === "done", { timeout: END_WAIT_MS });
      await this.writes.flush();
    } catch (error) {
      // Not ended in time (or the machine stopped): the answer is the status it has reached.
      this.log.warn({ err: error }, "session did not end within the wait");
    }
    return this.lifecycle;
  }

  protected messageFailed(client: SessionClient, type: string): void {
    this.reject(client, type, "internal", "the message could not be handled");
  }

  /** Validates a client message by hand: a bad one gets an `error` reply and the client stays connected. */
  protected parseMessage<T>(client: SessionClient, type: string, schema: z.ZodType<T>, message: unknown): T | null {
    return this.inbox.parse(client, type, schema, message);
  }

  protected reject(client: SessionClient, type: string, code: RoomErrorCode, message: string, issues?: ErrorMessage["issues"]): void {
    this.inbox.reject(client, type, code, message, issues);
  }

  protected participantOf(client: SessionClient): JoinAuth {
    return this.connections.authOf(client);
  }

  protected clientOf(participantId: string): SessionClient | undefined {
    return this.connections.clientOf(participantId);
  }

  /** Where pool results land: this room's state, clients and writes. */
  private resultTarget(): ResultTarget {
    return {
      sessionId: this.roomId,
      state: this.state,
      writes: this.writes,
      transcripts: this.deps.transcripts,
      metrics: this.deps.metrics,
      sendToAll: (type, message) => this.sendToAll(type, message),
      rejectAudio: (participantId, code, message) => {
        const client = this.connections.clientOf(participantId);
        if (client !== undefined) this.reject(client, "audio", code, message);
      },
    };
  }

  /** What the machine asks of the room: audio to the pool, a refusal, a result applied, the writes flushed. */
  private onMachineEmitted(emitted: SessionMachineEmitted): void {
    switch (emitted.type) {
      case "audio.forward": {
        const client = this.connections.clientOf(emitted.participantId);
        if (client !== undefined) this.audio.push(emitted.participantId, this.participantOf(client).sampleRate, emitted.pcm16);
        return;
      }
      case "audio.refused": {
        const client = this.connections.clientOf(emitted.participantId);
        if (client !== undefined) this.reject(client, "audio", "session_not_live", `audio is not taken while the session is ${this.lifecycle}`);
        return;
      }
      case "result.deliver":
        deliverResult(this.resultTarget(), emitted.result);
        return;
      case "writes.flush":
        this.flushBeforeEnd().then(
          () => this.sendToMachine({ type: "writes.flushed" }),
          (error: unknown) =>
            this.sendToMachine({ type: "writes.flush_failed", message: error instanceof Error ? error.message : "flush failed" }),
        );
        return;
    }
  }

  /** The machine's lifecycle status now (one truth: never kept beside it). */
  private get lifecycle(): SessionStatus {
    return lifecycleStatus(this.actor.getSnapshot());
  }

  private sendToMachine(event: Parameters<SessionActor["send"]>[0]): void {
    if (this.actor.getSnapshot().status === "active") this.actor.send(event);
  }

  private onMachineSnapshot(snapshot: SessionMachineSnapshot): void {
    const status = lifecycleStatus(snapshot);
    // The room state mirrors the machine's status: it is also the status last seen here.
    if (status === this.state.status) return;
    const reason = snapshot.context.endReason;
    this.state.status = status;
    this.state.endReason = reason ?? "";
    // Send it now rather than at the next patch tick, so clients see every status, even a brief `draining`.
    this.broadcastPatch();
    this.log.info({ status, reason }, "session status changed");
    const persisted = this.actor.getPersistedSnapshot();
    this.writes.enqueue(`lifecycle.${status}`, () =>
      this.deps.store.recordTransition({ sessionId: this.roomId, status, snapshot: persisted, reason, at: new Date() }),
    );
    this.updateListing();
    if (status === "ended") {
      this.finish(reason).catch((error: unknown) => {
        this.deps.metrics.error("room", "internal");
        this.log.error({ err: error }, "session end failed");
      });
    }
  }

  /** After `ended`: tell every client, persist the last writes, disconnect, dispose. */
  private async finish(reason: EndReason | null): Promise<void> {
    this.sendToAll("session.ended", { session_id: this.roomId, reason });
    await this.writes.flush();
    await this.disconnect(CloseCode.CONSENTED);
  }

  private updateListing(): void {
    const metadata: SessionRoomMetadata = {
      kind: this.state.kind === "tutoring" ? "tutoring" : "meeting",
      status: this.lifecycle,
      participants: this.connections.size,
    };
    this.setMetadata(metadata).catch((error: unknown) => this.log.warn({ err: error }, "room listing update failed"));
  }
}
