/**
 * The memory bench's baseline: a plain Colyseus 0.18 process — the engine's @colyseus/core, ws-transport, presence
 * and driver, transport options and Node 20 WebSocket global — whose rooms hold no state and do nothing. What one of
 * its clients costs is what Colyseus itself costs per connection; the engine is measured against it.
 * Rooms are created ahead of their clients over IPC (as the engine's REST API creates sessions) and joined by id.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { LocalDriver, LocalPresence, matchMaker, Room, Server } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { installWebSocketGlobal } from "../../src/node-websocket.js";
import { MAX_FRAME_BYTES } from "../../src/protocol/client-messages.js";
import { bareRequest, type BareReply } from "./memory-protocol.js";

const BARE_ROOM_NAME = "bare";

/** An empty room: no state, no handlers. Kept until disposed explicitly, as the engine's rooms are (autoDispose off). */
class BareRoom extends Room {
  override onCreate(): void {
    this.autoDispose = false;
  }

  override onJoin(): void {}
}

function send(reply: BareReply): void {
  process.send?.(reply);
}

async function handle(raw: unknown): Promise<BareReply> {
  const parsed = bareRequest.safeParse(raw);
  if (!parsed.success) return { type: "failed", message: "unreadable request from the memory bench" };
  const request = parsed.data;
  if (request.type === "create") {
    const roomIds: string[] = [];
    for (let i = 0; i < request.count; i++) roomIds.push((await matchMaker.createRoom(BARE_ROOM_NAME, {})).roomId);
    return { type: "created", roomIds };
  }
  let disposed = 0;
  for (const roomId of request.roomIds) {
    const room = matchMaker.getLocalRoomById(roomId);
    if (room === undefined) continue;
    await room.disconnect();
    disposed += 1;
  }
  return { type: "disposed", count: disposed };
}

async function main(): Promise<void> {
  if (process.send === undefined) {
    process.stderr.write("memory-bare-server runs only as a child of the memory bench (it needs an IPC channel)\n");
    process.exit(2);
  }
  installWebSocketGlobal();
  const httpServer = createServer();
  const transport = new WebSocketTransport({ server: httpServer, maxPayload: MAX_FRAME_BYTES });
  const server = new Server({
    transport,
    presence: new LocalPresence(),
    driver: new LocalDriver(),
    greet: false,
    gracefullyShutdown: false,
  });
  server.define(BARE_ROOM_NAME, BareRoom);
  await server.listen(0, "127.0.0.1");
  const { port } = httpServer.address() as AddressInfo;
  process.on("message", (raw: unknown) => {
    handle(raw).then(send, (error: unknown) => send({ type: "failed", message: error instanceof Error ? error.message : String(error) }));
  });
  process.on("disconnect", () => process.exit(0));
  // The same kind of start-up line the engine prints, so both are awaited the same way.
  process.stdout.write(`${JSON.stringify({ msg: "bare listening", url: `http://127.0.0.1:${port}` })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bare server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
