import {
  SERVER_BINARY_MESSAGE_TYPES,
  SERVER_MESSAGES,
  type ServerBinaryMessageType,
  type ServerMessages,
  type ServerMessageType,
} from "./server-messages.js";

/**
 * Handlers a client passes for the server messages it acts on; the rest are received and ignored. Binary messages
 * (`tutor.audio`) come as the bytes the server sent.
 */
export type ServerMessageHandlers = { [K in ServerMessageType]?: (message: ServerMessages[K]) => void } & {
  [K in ServerBinaryMessageType]?: (bytes: Uint8Array) => void;
};

/** The one method of a Colyseus SDK `Room` this needs (structural, so the protocol module stays SDK-free). */
export interface ServerMessageSource {
  onMessage(type: string, callback: (message: unknown) => void): unknown;
}

export const SERVER_MESSAGE_TYPES = Object.keys(SERVER_MESSAGES) as ServerMessageType[];

/**
 * Registers a handler for every server message type: the given one, or a no-op. The SDK prints "onMessage() not
 * registered" for each message of a type without a handler (a listener-only client gets `text`, `transcript` and
 * `session.joined` it never asked for); a type the protocol does not define still warns, which is a real mismatch.
 * More handlers for the same type may be added later with `room.onMessage`: the SDK calls them all.
 */
export function onServerMessages(room: ServerMessageSource, handlers: ServerMessageHandlers = {}): void {
  for (const type of [...SERVER_MESSAGE_TYPES, ...SERVER_BINARY_MESSAGE_TYPES]) {
    // The SDK hands each handler the messages of its own type (decoded by MessagePack, not validated).
    const handler = handlers[type] as ((message: unknown) => void) | undefined;
    room.onMessage(type, handler ?? (() => {}));
  }
}
