import { WebSocket } from "ws";

/**
 * Colyseus 0.18 compares `client.readyState` against the global `WebSocket.OPEN` when a client reconnects;
 * Node 20 has no global WebSocket, so every reconnection would fail (close 4003). Node 22+ keeps its own.
 */
export function installWebSocketGlobal(): void {
  if (typeof globalThis.WebSocket === "undefined") {
    Object.defineProperty(globalThis, "WebSocket", { value: WebSocket, writable: true, configurable: true });
  }
}
