import { Room, ServerError } from "@colyseus/core";
import type { Logger } from "../logger.js";
import type { SessionClient } from "./room-connections.js";
import type { RoomDeps } from "./room-deps.js";
import type { SessionRoomMetadata } from "./room-options.js";
import type { SessionState } from "./session-state.js";

/** Longest client-chosen message type written to a log line. */
const MAX_LOGGED_TYPE_CHARS = 64;

export type SessionRoomTypes = { state: SessionState; metadata: SessionRoomMetadata; client: SessionClient };

/**
 * A room that catches its own exceptions. Colyseus has `onUncaughtException` for this, but a room that defines it gets
 * every hook and message handler wrapped again per instance (measured: 1.3 KiB a session), and expected join refusals
 * (`ServerError`) reported to it as failures. Here a handler is wrapped once, where it is registered, and each hook's
 * body reports what it did not expect through `hookFailed`.
 */
export abstract class GuardedRoom extends Room<SessionRoomTypes> {
  protected abstract readonly deps: RoomDeps;
  /** The engine's logger until `onCreate` knows the session, then the session's. */
  protected log!: Logger;

  /** Told when a handler of a client's message threw: the sender hears `internal` (and that refusal is counted). */
  protected abstract messageFailed(client: SessionClient, type: string): void;

  /** A JSON message handler, counted by type in the metrics (`type` is ours, so a bounded label). */
  protected onClientMessage(type: string, handler: (client: SessionClient, message: unknown) => void): void {
    this.onMessage(type, (client: SessionClient, message: unknown) => this.handle(type, client, type, () => handler(client, message)));
  }

  /** A binary message handler, counted like a JSON one. */
  protected onClientBytes(type: string, handler: (client: SessionClient, bytes: Uint8Array) => void): void {
    this.onMessageBytes(type, (client: SessionClient, bytes: Uint8Array) => this.handle(type, client, type, () => handler(client, bytes)));
  }

  /** Every message of a type no handler takes; counted as `unknown` (the client picks the name, never a label). */
  protected onUnknownMessage(handler: (client: SessionClient, type: string) => void): void {
    this.onMessage("*", (client: SessionClient, type: string | number) => {
      const name = String(type);
      this.handle("unknown", client, name, () => handler(client, name));
    });
  }

  /** Runs a hook's body; `rethrow` where Colyseus must see the exception (a join or reconnection it then refuses). */
  protected hooked(method: string, rethrow: boolean, body: () => void): void {
    try {
      body();
    } catch (error) {
      this.hookFailed(method, error);
      if (rethrow) throw error;
    }
  }

  /**
   * A hook's exception. A `ServerError` is the hook's answer (a refused join) and is not a failure; anything else is
   * logged and counted. The hook rethrows where Colyseus must see it (a join or reconnection it then refuses).
   */
  protected hookFailed(method: string, error: unknown): void {
    if (error instanceof ServerError) return;
    this.deps.metrics.error("room", "internal");
    this.log.error({ err: error, method }, "room handler failed");
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

  /** Counts a message under `label` and handles it; an exception answers `internal` to its sender only. */
  private handle(label: string, client: SessionClient, type: string, work: () => void): void {
    try {
      this.deps.metrics.messageReceived(label);
      work();
    } catch (error) {
      this.handlerFailed(client, type, error);
    }
  }

  private handlerFailed(client: SessionClient, type: string, error: unknown): void {
    this.log.error({ err: error, method: "onMessage", type: type.slice(0, MAX_LOGGED_TYPE_CHARS) }, "room handler failed");
    // Counted once: as the refusal its sender is told of. A reply that itself fails is logged, not thrown into ws.
    try {
      this.messageFailed(client, type);
    } catch (replyError) {
      this.deps.metrics.error("room", "internal");
      this.log.error({ err: replyError }, "room could not answer a failed message");
    }
  }
}
