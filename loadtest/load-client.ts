import { Client } from "@colyseus/sdk";
import type { SchemaConstructor } from "@colyseus/sdk/serializer/SchemaSerializer";
import { SERVER_MESSAGE_TYPES } from "../src/protocol/server-message-handlers.js";
import type { ServerMessageType } from "../src/protocol/server-messages.js";

/** What the run measures, by type; filled in after the joins (payloads unparsed: the generator reads what it needs). */
export type ServerMessageHandlers = { [K in ServerMessageType]?: (payload: unknown) => void };

/**
 * An SDK client (one per load participant) whose room has a handler for every server message type before it
 * connects. A session's clients all join before the run sets what it measures (`handlers`), so messages that arrive
 * in between (its own `session.joined`, relayed text) are dropped on purpose, not warned
 * about once per client ("onMessage() not registered").
 */
export class LoadClient extends Client {
  readonly handlers: ServerMessageHandlers = {};

  protected override createRoom<T>(roomName: string, rootSchema?: SchemaConstructor<T>) {
    const room = super.createRoom<T>(roomName, rootSchema);
    for (const type of SERVER_MESSAGE_TYPES) room.onMessage(type, (payload: unknown) => this.handlers[type]?.(payload));
    // A type outside the protocol (a newer engine) is not measured either; it must not warn once per client.
    room.onMessage("*", () => undefined);
    return room;
  }
}
