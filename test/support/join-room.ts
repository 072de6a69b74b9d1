import { Client, type Room } from "@colyseus/sdk";
import { onServerMessages } from "../../src/protocol/server-message-handlers.js";

/**
 * Joins a session through the real SDK, as a client of the engine should: every server message type gets a handler
 * at once (a no-op until the test adds its own), so nothing arriving before the test's handlers makes the SDK warn.
 */
export async function joinRoom(engineUrl: string, sessionId: string, token: string | undefined): Promise<Room> {
  const client = new Client(engineUrl);
  if (token !== undefined) client.auth.token = token;
  const room = await client.joinById(sessionId);
  onServerMessages(room);
  return room;
}
