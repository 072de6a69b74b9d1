import { CloseCode, matchMaker, ServerError } from "@colyseus/core";
import { turnState } from "../actors/session-machine.js";
import type { ParticipantRole } from "../domain.js";
import { JOIN_REJECTIONS } from "../auth/join-rejections.js";
import { resultEvent, type ParticipantResult } from "../actors/session-events.js";
import { ClientInbox } from "./client-inbox.js";
import { joinAuthSchema, withSharedStrings } from "./join-authorization.js";
import { MachineRoom } from "./machine-room.js";
import { roomCreateOptionsSchema, type RoomOptions, type RoomRestore } from "./room-options.js";
import { claimRoomSession, endUnrestored, restoreSeats, type RestoredSeat } from "./room-restore.js";
import { OrderedWrites } from "./ordered-writes.js";
import { AnalysisWrites } from "./analysis-writes.js";
import { InterimSegments } from "./interim-segments.js";
import type { MediaErrorCode } from "./error-notices.js";
import { RoomAudio, type RoomAudioErrorCode, type RoomAudioOptions } from "./room-audio.js";
import { RoomVideo } from "./room-video.js";
import { RoomTutor } from "./room-tutor.js";
import { DEFAULT_TUTOR_ID } from "../tutor/tutor-profile.js";
import type { SignalMessage } from "../protocol/client-messages.js";
import { RoomConnections, type SessionClient } from "./room-connections.js";
import { createSessionState, ParticipantState, stateBufferBytes, withStateBufferSize } from "./session-state.js";

/** A room's audio options where they differ from the defaults (noise suppression, a tutor's turn-taking), or null. */
function audioOptions(noiseSuppression: boolean, tutor: RoomTutor | null): Partial<RoomAudioOptions> | null {
  if (!noiseSuppression && tutor === null) return null;
  return { ...(noiseSuppression ? { noiseSuppression } : {}), ...(tutor === null ? {} : { vad: tutor.streamVad }) };
}

/** Close code for a connection replaced by a newer one of the same participant (consented: no auto-reconnect). */
const REPLACED_CLOSE_CODE = CloseCode.CONSENTED;
/** Colyseus' own per-client cap disconnects; keep it far above our token bucket, as a last-resort flood guard. */
const HARD_MESSAGES_PER_SECOND = 2_000;

/**
 * A session as a Colyseus room: a thin adapter that turns Colyseus hooks and messages into events of the session
 * machine (`client.join`, `client.drop`, ...), mirrors the machine into the room state, and persists every change
 * in order. Kinds extend it with their own messages.
 */
export abstract class SessionRoom extends MachineRoom {
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
    // The session's media offsets count from its room's first opening, across restores.
    const startedAtMs = options.startedAtMs ?? Date.now();
    await claimRoomSession(this.deps.store, options, startedAtMs, matchMaker.processId);
    try {
      await this.openSession(options, startedAtMs);
    } catch (error) {
      // A restore that fails after its claim: this process holds the session, and none other would end it.
      if (options.restore !== undefined) {
        await endUnrestored(this.deps, options.sessionId).catch((endError: unknown) => this.log.error({ err: endError }, "unrestored session could not be ended"));
      }
      throw error;
    }
  }

  private async openSession(options: RoomOptions, startedAtMs: number): Promise<void> {
    const connections = new RoomConnections({
      ratePerSecond: this.deps.config.messagesPerSecond,
      burst: this.deps.config.messageBurst,
    });
    const writes = new OrderedWrites({
      logger: this.log,
      observer: this.deps.metrics.writes,
      // Set only from here on: the state exists (below) long before a buffer can fill.
      onPersistence: (persistence) => (this.state.persistence = persistence),
    });
    withStateBufferSize(stateBufferBytes(options.maxParticipants, options.title), () =>
      this.setState(createSessionState(options.sessionId, options.kind, options.title)),
    );
    await this.setMetadata({ kind: options.kind, status: "created", participants: 0 });

    // The room is its parts' listener: an idle session carries no bag of closures per part.
    const tutor = options.kind === "tutoring" ? await this.openTutor(options.sessionId, options.tutorId, options.kbId, writes) : null;
    const audio = audioOptions(options.noiseSuppression, tutor);
    const media = { gateway: this.deps.inference, sessionId: options.sessionId, startedAtMs, logger: this.log, listener: this };
    this.assemble({
      connections,
      writes,
      analyses: new AnalysisWrites(writes, this.deps.analyses),
      interims: new InterimSegments(),
      // Options only where they differ from the defaults: a room's own copy of them costs every session.
      audio: new RoomAudio(audio === null ? media : { ...media, options: audio }),
      video: new RoomVideo({ ...media, options: { expressions: { noFaceAfterMs: this.deps.config.noFaceAfterMs } } }),
      inbox: new ClientInbox(this, connections, this.deps.metrics, {
        messagesPerSecond: this.deps.config.messagesPerSecond,
        videoFps: options.videoFps,
      }),
      tutor,
      actor: this.createMachine(
        {
          sessionId: options.sessionId,
          kind: options.kind,
          idleTimeoutMs: options.idleTimeoutMs,
          maxDurationMs: options.maxDurationMs,
          tutor: tutor?.turnSettings ?? null,
        },
        options.restore,
      ),
    });
    this.registerHandlers();
    if (options.restore === undefined) {
      this.actor.start();
      this.actor.send({ type: "session.open" });
    } else {
      await this.resumeSession(options.restore);
    }
    // The creator's response says `waiting` (a restorer's, that the session is joinable): true in the database first.
    await this.writes.flush();
    this.log.info(options.restore === undefined ? "session room created" : "session room restored");
  }

  /**
   * A session restored after its process died: its seats known again (each participant has the reconnect window to
   * join again with their token), its status and turn as persisted, its machine resumed for what its deadlines have left.
   */
  private async resumeSession(restore: RoomRestore): Promise<void> {
    const seats = await restoreSeats(this.deps.store, this.writes, this.state);
    // Mirrored before the machine starts: the status is the one persisted, not a transition to write or announce again.
    const snapshot = this.actor.getSnapshot();
    this.state.status = this.lifecycle;
    this.state.tutorState = turnState(snapshot) ?? "";
    this.state.turnId = snapshot.context.turnId;
    this.actor.start();
    this.sendToMachine({ type: "session.resume", maxDurationLeftMs: restore.maxDurationLeftMs, idleLeftMs: restore.idleLeftMs });
    this.updateListing();
    if (seats.length === 0) return;
    this.clock.setTimeout(() => this.guarded("restored.seats", () => this.expireRestoredSeats(seats)), this.deps.config.reconnectWindowMs);
  }

  /** Restored seats whose participant did not join again within the reconnect window leave, as a dropped client's do. */
  private expireRestoredSeats(seats: readonly RestoredSeat[]): void {
    for (const { participantId, role } of seats) {
      // Back since (and perhaps dropped again: then Colyseus' own window for that connection runs).
      if (this.connections.clientOf(participantId) !== undefined || !this.state.participants.has(participantId)) continue;
      this.removeParticipant(participantId, role, undefined);
    }
  }

  /** A tutoring session's tutor, on the tutor's shared instance (a session without `tutor_id` gets the default tutor). */
  private openTutor(sessionId: string, tutorId: string | null, kbId: string | null, writes: OrderedWrites): Promise<RoomTutor> {
    const { deps } = this;
    return RoomTutor.open({
      sessionId,
      tutorId: tutorId ?? DEFAULT_TUTOR_ID,
      kbId,
      tutors: deps.tutors,
      speech: deps.speech,
      search: (kb, query, limit) => deps.searchKnowledge(kb, query, limit),
      turns: deps.turns,
      events: deps.events,
      writes,
      logger: this.log,
      metrics: deps.metrics.tutor,
      room: {
        sendToAll: (type, message) => this.sendToAll(type, message),
        sendAudioToAll: (pcm16) => {
          this.broadcastBytes("tutor.audio", pcm16, {});
          deps.metrics.messagesSent("tutor.audio", this.clients.length);
        },
        rejectStudent: (code, message, type) => {
          const studentId = this.actor.getSnapshot().context.studentId;
          const client = studentId === null ? undefined : this.clientOf(studentId);
          if (client !== undefined) this.reject(client, type, code, message);
        },
        sendToMachine: (event) => this.sendToMachine(event),
      },
    });
  }

  /** Handlers made here, not in `onCreate`: their closures keep only `this`, not `onCreate`'s locals. */
  private registerHandlers(): void {
    this.onClientMessage("signal", (client, message) => this.inbox.signal(client, message));
    this.onClientMessage("text", (client, message) => this.inbox.text(client, message));
    this.onClientBytes("audio", (client, bytes) => this.inbox.audio(client, bytes));
    this.onClientBytes("video", (client, bytes) => this.inbox.video(client, bytes));
    this.registerMessages();
    this.onUnknownMessage((client, type) => {
      if (!this.inbox.admit(client, type)) return;
      this.reject(client, type, "unknown_message_type", `no message type "${type}" in a ${this.state.kind} session`);
    });
  }

  /** Kind-specific message handlers (registered with `onClientMessage`). */
  protected registerMessages(): void {}

  /** What draining waits for before the session may end; kinds add their in-flight work. */
  protected async flushBeforeEnd(): Promise<void> {
    this.tutor?.close();
    await Promise.all([this.audio.drain(), this.video.drain()]);
    this.analyses.flush();
    // Bounded: past it the session still ends (`writes.flush_failed`), its writes still queued until the room closes.
    if (!(await this.writes.flush())) throw new Error("database writes still pending");
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
      this.video.end(auth.participantId);
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
      this.deps.events.publish("participant.joined", this.roomId, { participant_id: auth.participantId, role: auth.role });
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
    this.video.end(participantId);
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
    const { role } = this.participantOf(client);
    this.connections.detach(participantId);
    this.removeParticipant(participantId, role, code);
  }

  private removeParticipant(participantId: string, role: ParticipantRole, code: number | undefined): void {
    this.state.participants.delete(participantId);
    this.audio.end(participantId);
    this.video.end(participantId);
    this.log.info({ participant_id: participantId, close_code: code }, "participant left");
    this.writes.enqueue("participant.left", () =>
      this.deps.store.recordLeave({ sessionId: this.roomId, participantId, at: new Date() }),
    );
    this.sendToMachine({ type: "client.leave", participantId });
    this.deps.events.publish("participant.left", this.roomId, { participant_id: participantId, role });
    this.updateListing();
  }

  override onBeforeShutdown(): void {
    this.guarded("onBeforeShutdown", () => this.sendToMachine({ type: "session.end", reason: "shutdown" }));
  }

  override async onDispose(): Promise<void> {
    // A room whose creation stopped before its parts (a claim lost) has nothing to close.
    if (!this.assembled) return;
    try {
      if (this.actor.getSnapshot().status === "active") this.actor.stop();
      this.audio.close();
      this.video.close();
      this.tutor?.close();
      this.analyses.flush();
      await this.writes.close();
      this.log.info({ lost_writes: this.writes.lost }, "session room disposed");
      this.deps.sessionEnded(this.roomId);
    } catch (error) {
      this.hookFailed("onDispose", error);
    }
  }

  /** Audio the inbox accepted: the machine decides whether it goes to the pool (`ClientInbox`'s `InboxRoom`). */
  audioAccepted(participantId: string, pcm16: Uint8Array): void {
    this.sendToMachine({ type: "audio.chunk", participantId, pcm16 });
  }

  /** A pool result of audio or video (`MediaResultListener`): it arrives on a gRPC callback, outside every hook and handler. */
  mediaResult(result: ParticipantResult): void {
    this.guarded("inference.result", () => this.sendToMachine(resultEvent(result)));
  }

  audioError(code: RoomAudioErrorCode): void {
    this.deps.metrics.error("pool", code);
  }

  /** A text message the inbox accepted and broadcast: the machine decides whether the tutor answers it. */
  textAccepted(participantId: string, text: string): void {
    this.sendToMachine({ type: "text.received", participantId, text });
  }

  signalRelayed(from: string, to: string, kind: SignalMessage["type"]): void {
    this.deps.events.publish("signal.relayed", this.roomId, { from, to, kind });
  }

  /** A camera frame the inbox accepted: the machine decides whether it goes to the pool. */
  videoAccepted(participantId: string, jpeg: Uint8Array): void {
    this.sendToMachine({ type: "video.frame", participantId, jpeg });
  }

  videoOutcome(outcome: "analysed" | "dropped_stale" | MediaErrorCode): void {
    if (outcome === "analysed" || outcome === "dropped_stale") this.deps.metrics.videoFrame(outcome);
    else this.deps.metrics.error("pool", outcome);
  }

}
