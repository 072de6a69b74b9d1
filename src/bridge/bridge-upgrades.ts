import type { IncomingMessage, Server } from "node:http";
import { WebSocketTransport, type TransportOptions } from "@colyseus/ws-transport";
import { TutorBridge } from "./tutor-bridge.js";

/**
 * Colyseus' WebSocket transport for `server`, leaving the bridge's paths (`/ws/…`) to the bridge: Colyseus' transport
 * takes every upgrade of its server unless its (protected) `listenForUpgrade` is given a filter, which this subclass
 * adds. `attach` then hands the bridge's upgrades to it.
 */
export function bridgedTransport(server: Server, options: Omit<TransportOptions, "server">): { transport: WebSocketTransport; attach(bridge: TutorBridge): void } {
  class BridgedTransport extends WebSocketTransport {
    protected override listenForUpgrade(target: Server, filter?: (req: IncomingMessage) => boolean): void {
      super.listenForUpgrade(target, (req) => !TutorBridge.handles(req) && (filter?.(req) ?? true));
    }
  }
  const transport = new BridgedTransport({ ...options, server });
  return {
    transport,
    attach(bridge) {
      server.on("upgrade", (req, socket, head) => {
        if (TutorBridge.handles(req)) bridge.handleUpgrade(req, socket, head);
      });
    },
  };
}
