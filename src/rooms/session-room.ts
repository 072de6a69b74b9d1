import { CloseCode, OnMessageException, Room, ServerError, type RoomException, type RoomMethodName } from "@colyseus/core";
import { assertEvent, createActor, fromPromise, type Actor } from "xstate";
import type { z } from "zod";
import { JOIN_REJECTIONS } from "../auth/join-rejections.js";
import { lifecycleStatus, sessionMachine, type SessionMachineSnapshot } from "../actors/session-machine.js";
import type { EndReason, SessionStatus } from "../domain.js";
import type { Logger } from "../logger.js";
import type { RoomErrorCode } from "../protocol/error-codes.js";
import type { ErrorMessage, ServerMessages, ServerMessageType } from "../protocol/server-messages.js";
import { ClientInbox } from "./client-inbox.js";
import { joinAuthSchema, type JoinAuth } from "./join-authorization.js";
import { roomCreateOptionsSchema, type SessionRoomMetadata } from "./room-options.js";
import { OrderedWrites } from "./ordered-writes.js";
import { RoomAudio } from "./room-audio.js";
import { deliverResult, type ResultTarget } from "./result-delivery.js";
import { RoomConnections, type SessionClient } from "./room-connections.js";
import type { RoomDeps } from "./room-deps.js";
import { createSessionState, ParticipantState, type SessionState } from "./session-state.js";

type SessionActor = Actor<typeof sessionMachine>;

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
export abstract class SessionRoom extends Room<{ state: SessionState; metadata: SessionRoomMetadata; client: SessionClient }> {
  protected abstract readonly deps: RoomDeps;
  protected log!: Logger;
  protected writes!: OrderedWrites;
  #actor!: SessionActor;
  #status: SessionStatus = "created";
  #ended: Promise<void> = Promise.resolve();
  #resolveEnded: () => void = () => {};
  #connections!: RoomConnections;
  #audio!: RoomAudio;
  #inbox!: ClientInbox;

  override async onCreate(rawOptions: unknown): Promise<void> {
    const options = roomCreateOptionsSchema.parse(rawOptions);
    this.roomId = options.sessionId;
    // The machine, not Colyseus, decides when a session ends.
    this.autoDispose = false;
    // One extra seat lets a participant's new connection replace their old one.
    this.maxClients = options.maxParticipants + 1;
    this.maxMessagesPerSecond = HARD_MESSAGES_PER_SECOND;
    this.#connections = new RoomConnections({
      ratePerSecond: this.deps.config.messagesPerSecond,
      burst: this.deps.config.messageBurst,
    });
    this.log = this.deps.logger.child({ session_id: options.sessionId, kind: options.kind });
    this.writes = new OrderedWrites(this.log, (label, durationMs, ok) => this.deps.metrics.dbWrite(label, durationMs, ok));
    this.#ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    this.setState(createSessionState(options.sessionId, options.kind, options.title));
    await this.setMetadata({ kind: options.kind, status: "created", participants: 0 });

    this.#audio = new RoomAudio({
      gateway: this.deps.inference,
      sessionId: options.sessionId,
      startedAtMs: Date.now(),
      logger: this.log,
      // Pool results arrive on gRPC callbacks, outside what onUncaughtException wraps: guarded here.
      deliver: (result) => this.guarded("inference.result", () => this.sendToMachine({ type: "inference.result", result })),
      onError: (code) => this.deps.metrics.error("pool", code),
    });
    const results = this.resultTarget();
    // The room's side of each action runs guarded: an exception thrown into XState would stop the session's actor.
    const machine = sessionMachine.provide({
      actors: { flushWrites: fromPromise(() => this.flushBeforeEnd()) },
      actions: {
        forwardAudio: ({ event }) =>
          this.guarded("forwardAudio", () => {
            assertEvent(event, "audio.chunk");
            const client = this.#connections.clientOf(event.participantId);
            if (client !== undefined) this.#audio.push(event.participantId, this.participantOf(client).sampleRate, event.pcm16);
          }),
        refuseAudio: ({ event }) =>
          this.guarded("refuseAudio", () => {
            assertEvent(event, "audio.chunk");
            const client = this.#connections.clientOf(event.participantId);
            if (client !== undefined) this.reject(client, "audio", "session_not_live", `audio is not taken while the session is ${this.#status}`);
          }),
        deliverResult: ({ event }) =>
          this.guarded("deliverResult", () => {
            assertEvent(event, "inference.result");
            deliverResult(results, event.result);
          }),
      },
    });
    this.#actor = createActor(machine, {
      input: {
        sessionId: options.sessionId,
        kind: options.kind,
        idleTimeoutMs: options.idleTimeoutMs,
        maxDurationMs: options.maxDurationMs,
      },
    });
    this.#actor.subscribe({
      // An observer's exception would be rethrown by XState outside any hook: guarded too.
      next: (snapshot) => this.guarded("onMachineSnapshot", () => this.onMachineSnapshot(snapshot)),
      error: (error) => this.log.error({ err: error }, "session machine failed"),
    });
    this.#actor.start();

    this.#inbox = new ClientInbox({
      connections: this.#connections,
      metrics: this.deps.metrics,
      messagesPerSecond: this.deps.config.messagesPerSecond,
      sendTo: (client, type, message) => this.sendTo(client, type, message),
      sendToAll: (type, message) => this.sendToAll(type, message),
      audio: (participantId, pcm16) => this.sendToMachine({ type: "audio.chunk", participantId, pcm16 }),
    });
    this.onClientMessage("signal", (client, message) => this.#inbox.signal(client, message));
    this.onClientMessage("text", (client, message) => this.#inbox.text(client, message));
    this.onMessageBytes("audio", (client: SessionClient, bytes: Uint8Array) => {
      this.deps.metrics.messageReceived("audio");
      this.#inbox.audio(client, bytes);
    });
    this.registerMessages();
    this.onMessage("*", (client: SessionClient, type: string | number) => {
      // The client picks this name: it never becomes a metrics label.
      this.deps.metrics.messageReceived("unknown");
      if (!this.#inbox.admit(client, String(type))) return;
      this.reject(client, String(type), "unknown_message_type", `no message type "${String(type)}" in a ${options.kind} session`);
    });

    this.#actor.send({ type: "session.open" });
    // The creator's response says `waiting`: make that true in the database before answering.
    await this.writes.flush();
    this.log.info("session room created");
  }

  /** Kind-specific message handlers (registered with `onClientMessage`). */
  protected registerMessages(): void {}

  /** A JSON message handler, counted by type in the metrics (`type` is ours, so a bounded label). */
  protected onClientMessage(type: string, handler: (client: SessionClient, message: unknown) => void): void {
    this.onMessage(type, (client: SessionClient, message: unknown) => {
      this.deps.metrics.messageReceived(type);
      handler(client, message);
    });
  }

  /** Every message to one client goes through here (counted by type), typed by the wire protocol. */
  protected sendTo<T extends ServerMessageType>(client: SessionClient, type: T, message: ServerMessages[T]): void {
    client.send(type, message);
    this.deps.metrics.messagesSent(type);
  }

  /** Every message to all clients goes through here (counted once per recipient). */
  protected sendToAll<T extends ServerMessageType>(type: T, message: ServerMessages[T]): void {
    this.broadcast(type, message);
    this.deps.metrics.messagesSent(type, this.clients.length);
  }

  /** What draining waits for before the session may end; kinds add their in-flight work. */
  protected async flushBeforeEnd(): Promise<void> {
    await this.#audio.drain();
    await this.writes.flush();
  }

  override onJoin(client: SessionClient, _options: unknown, rawAuth: unknown): void {
    const auth = joinAuthSchema.parse(rawAuth ?? client.auth);
    if (auth.engineSessionId !== this.roomId) throw new ServerError(JOIN_REJECTIONS.token_wrong_session, "token_wrong_session");
    if (this.#status === "draining" || this.#status === "ended") {
      throw new ServerError(JOIN_REJECTIONS.session_ended, "session_ended");
    }
    if (this.#connections.countOthers(auth.participantId) >= this.maxClients - 1) {
      throw new ServerError(JOIN_REJECTIONS.session_full, "session_full");
    }

    const previous = this.#connections.attach(client, auth);
    if (previous !== undefined) {
      this.sendTo(previous, "session.replaced", { reason: "joined from another connection" });
      previous.leave(REPLACED_CLOSE_CODE);
      // The old connection's stream ends with it (its `onLeave` is ignored as stale): the new one opens its own, at
      // its own rate, and the participant is not left shown speaking mid-utterance.
      this.#audio.end(auth.participantId);
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
    this.#actor.send({ type: "client.join", participantId: auth.participantId, role: auth.role });
    this.sendTo(client, "session.joined", {
      session_id: this.roomId,
      participant_id: auth.participantId,
      role: auth.role,
      reconnect_window_ms: this.deps.config.reconnectWindowMs,
    });
    this.updateListing();
  }

  override onDrop(client: SessionClient, code?: number): void {
    const participantId = this.#connections.currentParticipantOf(client);
    if (participantId === null) return;
    const participant = this.state.participants.get(participantId);
    if (participant !== undefined) participant.connected = false;
    this.#audio.end(participantId);
    this.log.info({ participant_id: participantId, close_code: code }, "participant dropped");
    this.writes.enqueue("participant.dropped", () =>
      this.deps.store.recordDrop({ sessionId: this.roomId, participantId, at: new Date() }),
    );
    this.sendToMachine({ type: "client.drop", participantId });
    if (this.#status === "ended") return;
    // Colyseus calls onLeave if the window passes without a reconnection, and also when it refuses to hold the seat
    // at all (a socket closed before the join acknowledgement: "not joined"): that refusal is expected, not a fault.
    this.allowReconnection(client, this.deps.config.reconnectWindowMs / 1000).catch((error: unknown) => {
      this.log.debug({ participant_id: participantId, err: error }, "seat not held for reconnection");
    });
  }

  override onReconnect(client: SessionClient): void {
    const participantId = this.#connections.currentParticipantOf(client);
    if (participantId === null) {
      client.leave(REPLACED_CLOSE_CODE);
      return;
    }
    // Colyseus hands a new Client object for the same seat: it is now the participant's connection.
    this.#connections.attach(client, joinAuthSchema.parse(client.auth));
    const participant = this.state.participants.get(participantId);
    if (participant !== undefined) participant.connected = true;
    this.log.info({ participant_id: participantId }, "participant reconnected");
    this.writes.enqueue("participant.reconnected", () =>
      this.deps.store.recordReconnect({ sessionId: this.roomId, participantId, at: new Date() }),
    );
    this.sendToMachine({ type: "client.reconnect", participantId });
  }

  override onLeave(client: SessionClient, code?: number): void {
    const participantId = this.#connections.currentParticipantOf(client);
    if (participantId === null) return;
    this.#connections.detach(participantId);
    this.state.participants.delete(participantId);
    this.#audio.end(participantId);
    this.log.info({ participant_id: participantId, close_code: code }, "participant left");
    this.writes.enqueue("participant.left", () =>
      this.deps.store.recordLeave({ sessionId: this.roomId, participantId, at: new Date() }),
    );
    this.sendToMachine({ type: "client.leave", participantId });
    this.updateListing();
  }

  override onBeforeShutdown(): void {
    this.sendToMachine({ type: "session.end", reason: "shutdown" });
  }

  override async onDispose(): Promise<void> {
    if (this.#actor.getSnapshot().status === "active") this.#actor.stop();
    this.#audio.close();
    await this.writes.flush();
    this.log.info({ failed_writes: this.writes.failed }, "session room disposed");
  }

  /** Called by the management API (possibly from another process, through `matchMaker.remoteRoomCall`). */
  async requestEnd(reason: EndReason): Promise<SessionStatus> {
    this.sendToMachine({ type: "session.end", reason });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, END_WAIT_MS)));
    await Promise.race([this.#ended, timeout]);
    clearTimeout(timer);
    return this.#status;
  }

  /**
   * Colyseus routes exceptions of message handlers, hooks and clock timers here. The sender of a failing message gets
   * `internal`; every other session and client goes on. What it does not wrap — pool results on gRPC callbacks, the
   * machine's own timers, promises a hook leaves behind — goes through `guarded` or a `.catch` of its own.
   */
  override onUncaughtException(error: RoomException, methodName: RoomMethodName): void {
    this.log.error({ err: error.cause ?? error, method: methodName }, "room handler failed");
    // Counted once: as the refusal its sender is told of, or on its own.
    if (error instanceof OnMessageException && error.client !== undefined) {
      this.reject(error.client as SessionClient, String(error.type), "internal", "the message could not be handled");
      return;
    }
    this.deps.metrics.error("room", "internal");
  }

  /** Runs work that arrives outside Colyseus' hooks; an exception is logged and counted, never thrown on. */
  protected guarded(what: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.deps.metrics.error("room", "internal");
      this.log.error({ err: error, what }, "room work failed");
    }
  }

  /** Validates a client message by hand: a bad one gets an `error` reply and the client stays connected. */
  protected parseMessage<T>(client: SessionClient, type: string, schema: z.ZodType<T>, message: unknown): T | null {
    return this.#inbox.parse(client, type, schema, message);
  }

  protected reject(client: SessionClient, type: string, code: RoomErrorCode, message: string, issues?: ErrorMessage["issues"]): void {
    this.#inbox.reject(client, type, code, message, issues);
  }

  protected participantOf(client: SessionClient): JoinAuth {
    return this.#connections.authOf(client);
  }

  protected clientOf(participantId: string): SessionClient | undefined {
    return this.#connections.clientOf(participantId);
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
        const client = this.#connections.clientOf(participantId);
        if (client !== undefined) this.reject(client, "audio", code, message);
      },
    };
  }

  private sendToMachine(event: Parameters<SessionActor["send"]>[0]): void {
    if (this.#actor.getSnapshot().status === "active") this.#actor.send(event);
  }

  private onMachineSnapshot(snapshot: SessionMachineSnapshot): void {
    const status = lifecycleStatus(snapshot);
    if (status === this.#status) return;
    this.#status = status;
    const reason = snapshot.context.endReason;
    this.state.status = status;
    this.state.endReason = reason ?? "";
    // Send it now rather than at the next patch tick, so clients see every status, even a brief `draining`.
    this.broadcastPatch();
    this.log.info({ status, reason }, "session status changed");
    const persisted = this.#actor.getPersistedSnapshot();
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
    this.#resolveEnded();
    await this.disconnect(CloseCode.CONSENTED);
  }

  private updateListing(): void {
    const metadata: SessionRoomMetadata = {
      kind: this.state.kind === "tutoring" ? "tutoring" : "meeting",
      status: this.#status,
      participants: this.#connections.size,
    };
    this.setMetadata(metadata).catch((error: unknown) => this.log.warn({ err: error }, "room listing update failed"));
  }
}
