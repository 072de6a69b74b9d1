import { CloseCode } from "@colyseus/core";
import { createActor, waitFor, type Actor } from "xstate";
import type { z } from "zod";
import {
  lifecycleStatus,
  sessionMachine,
  turnState,
  type SessionMachineEmitted,
  type SessionMachineInput,
  type SessionMachineSnapshot,
} from "../actors/session-machine.js";
import type { EndReason, SessionStatus } from "../domain.js";
import type { RoomErrorCode } from "../protocol/error-codes.js";
import type { ErrorMessage, ServerMessages, ServerMessageType } from "../protocol/server-messages.js";
import type { ClientInbox } from "./client-inbox.js";
import { GuardedRoom } from "./guarded-room.js";
import type { JoinAuth } from "./join-authorization.js";
import type { OrderedWrites } from "./ordered-writes.js";
import { deliverResult, type ResultTarget } from "./result-delivery.js";
import type { AnalysisWrites } from "./analysis-writes.js";
import type { InterimSegments } from "./interim-segments.js";
import type { RoomAudio } from "./room-audio.js";
import type { RoomVideo } from "./room-video.js";
import type { RoomTutor } from "./room-tutor.js";
import type { RoomConnections, SessionClient } from "./room-connections.js";
import type { RoomRestore, SessionRoomMetadata } from "./room-options.js";
import { restoreSessionActor } from "../actors/session-restore.js";
import { EngineError } from "../errors.js";

export type SessionActor = Actor<typeof sessionMachine>;

/** What a session room is made of, assembled once in `onCreate`. */
export interface SessionParts {
  actor: SessionActor;
  connections: RoomConnections;
  inbox: ClientInbox;
  audio: RoomAudio;
  video: RoomVideo;
  writes: OrderedWrites;
  analyses: AnalysisWrites;
  /** Segments whose interim caption went out, final not yet come (result-delivery.ts). */
  interims: InterimSegments;
  /** A tutoring session's tutor; null for a meeting. */
  tutor: RoomTutor | null;
}

/** How long `requestEnd` waits for the session to reach `ended` before answering. */
const END_WAIT_MS = 10_000;

/**
 * The machine side of a session room: its parts, the session machine's actor and what it asks of the room (audio to
 * the pool, refusals, results, the flush before the end), the lifecycle mirrored into the room state, the listing
 * and the database, and the end. `SessionRoom` adds the Colyseus hooks and the client messages.
 */
export abstract class MachineRoom extends GuardedRoom {
  /**
   * The session's parts in one field. A Colyseus room keeps its properties in a dictionary, with room for about five
   * more than Colyseus' own: past that it doubles (+1.5 KB a session, measured). Hence one field reached through
   * getters on the prototype, and `private` methods, not `#` ones (a class with `#` methods brands every instance).
   */
  #parts!: SessionParts;

  protected get writes(): OrderedWrites {
    return this.#parts.writes;
  }

  protected get actor(): SessionActor {
    return this.#parts.actor;
  }

  protected get connections(): RoomConnections {
    return this.#parts.connections;
  }

  protected get audio(): RoomAudio {
    return this.#parts.audio;
  }

  protected get video(): RoomVideo {
    return this.#parts.video;
  }

  protected get analyses(): AnalysisWrites {
    return this.#parts.analyses;
  }

  protected get inbox(): ClientInbox {
    return this.#parts.inbox;
  }

  protected get tutor(): RoomTutor | null {
    return this.#parts.tutor;
  }


  /**
   * The session's actor, listened to but not started (its first snapshot needs the parts it is one of): a new one, or
   * the one `restore` carries the persisted snapshot of.
   */
  protected createMachine(input: SessionMachineInput, restore?: RoomRestore): SessionActor {
    const actor = restore === undefined ? createActor(sessionMachine, { input }) : restoreSessionActor(input, restore.snapshot);
    if (actor === null) throw new EngineError("internal", "the session's persisted machine snapshot cannot be restored");
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
      analyses: this.analyses,
      interims: this.#parts.interims,
      expressions: () => this.video.expressions,
      metrics: this.deps.metrics,
      events: this.deps.events,
      sendToAll: (type, message) => this.sendToAll(type, message),
      rejectMedia: (participantId, media, code, message) => {
        const client = this.connections.clientOf(participantId);
        if (client !== undefined) this.reject(client, media, code, message);
      },
    };
  }

  /** What the machine asks of the room: media to the pool, a refusal, a result applied, the writes flushed. */
  private onMachineEmitted(emitted: SessionMachineEmitted): void {
    switch (emitted.type) {
      case "audio.forward": {
        const client = this.connections.clientOf(emitted.participantId);
        if (client === undefined) return;
        const auth = this.participantOf(client);
        this.audio.push(emitted.participantId, auth.sampleRate, emitted.pcm16, auth.noiseSuppression);
        return;
      }
      case "audio.refused": {
        const client = this.connections.clientOf(emitted.participantId);
        if (client !== undefined) this.reject(client, "audio", "session_not_live", `audio is not taken while the session is ${this.lifecycle}`);
        return;
      }
      case "video.forward":
        this.video.push(emitted.participantId, emitted.jpeg);
        return;
      case "video.refused": {
        const client = this.connections.clientOf(emitted.participantId);
        if (client !== undefined) this.reject(client, "video", "session_not_live", `video is not taken while the session is ${this.lifecycle}`);
        return;
      }
      case "result.deliver":
        deliverResult(this.resultTarget(), emitted.result);
        return;
      case "reply.start":
      case "reply.stop":
        this.#parts.tutor?.onMachine(emitted);
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
  protected get lifecycle(): SessionStatus {
    return lifecycleStatus(this.actor.getSnapshot());
  }

  protected sendToMachine(event: Parameters<SessionActor["send"]>[0]): void {
    if (this.actor.getSnapshot().status === "active") this.actor.send(event);
  }

  private onMachineSnapshot(snapshot: SessionMachineSnapshot): void {
    this.mirrorTurn(snapshot);
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
    if (status === "live") this.deps.events.publish("meeting.started", this.roomId, {});
    if (status === "ended") {
      this.deps.events.publish("meeting.ended", this.roomId, { reason });
      this.finish(reason).catch((error: unknown) => {
        this.deps.metrics.error("room", "internal");
        this.log.error({ err: error }, "session end failed");
      });
    }
  }

  /** A tutoring session's turn state, mirrored into the room state and persisted with the snapshot at each change. */
  private mirrorTurn(snapshot: SessionMachineSnapshot): void {
    if (this.#parts.tutor === null) return;
    const state = turnState(snapshot) ?? "";
    const { turnId } = snapshot.context;
    if (state === this.state.tutorState && turnId === this.state.turnId) return;
    this.state.tutorState = state;
    this.state.turnId = turnId;
    if (state === "") return;
    const persisted = this.actor.getPersistedSnapshot();
    this.writes.enqueue(`turn.${state}`, () =>
      this.deps.store.recordTurnState({ sessionId: this.roomId, state, turnId, snapshot: persisted, at: new Date() }),
    );
  }

  /** After `ended`: tell every client, persist the last writes, disconnect, dispose. */
  private async finish(reason: EndReason | null): Promise<void> {
    this.sendToAll("session.ended", { session_id: this.roomId, reason });
    await this.writes.flush();
    await this.disconnect(CloseCode.CONSENTED);
  }

  protected updateListing(): void {
    const metadata: SessionRoomMetadata = {
      kind: this.state.kind === "tutoring" ? "tutoring" : "meeting",
      status: this.lifecycle,
      participants: this.connections.size,
    };
    this.setMetadata(metadata).catch((error: unknown) => this.log.warn({ err: error }, "room listing update failed"));
  }
  /** Sets the parts once, before the machine starts. */
  protected assemble(parts: SessionParts): void {
    this.#parts = parts;
  }

  /** False in a room whose `onCreate` stopped before its parts were made (a claim lost to another process). */
  protected get assembled(): boolean {
    return this.#parts !== undefined;
  }

  /** What draining waits for before the session may end. */
  protected abstract flushBeforeEnd(): Promise<void>;
}
