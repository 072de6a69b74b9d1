import { ErrorCode, matchMaker, ServerError } from "@colyseus/core";
import { JOIN_REJECTIONS } from "../auth/join-rejections.js";
import type { SessionStore } from "../persistence/store.js";

/**
 * Colyseus answers a `joinById` for a room it does not hold with its own 522, before any of the engine's checks run.
 * A session id is the engine's to explain: `session_ended` (449) when the session exists but its room is gone,
 * `session_not_found` (446) otherwise. Colyseus keeps the matchmaking controller per process, so this wraps its
 * `invokeMethod` and returns the function that puts the original back (the engine calls it when it stops).
 */
export function explainMissingRooms(store: SessionStore): () => void {
  const controller = matchMaker.controller;
  const original = controller.invokeMethod;
  controller.invokeMethod = async (method, roomName, clientOptions, authOptions) => {
    try {
      return await original.call(controller, method, roomName, clientOptions, authOptions);
    } catch (error) {
      if (method !== "joinById" || !(error instanceof ServerError) || error.code !== ErrorCode.MATCHMAKE_INVALID_ROOM_ID) throw error;
      // A lookup that fails says nothing about the session: the id is then reported as not found.
      const session = await store.getSession(roomName).catch(() => null);
      const code = session === null ? "session_not_found" : "session_ended";
      throw new ServerError(JOIN_REJECTIONS[code], code);
    }
  };
  return () => {
    controller.invokeMethod = original;
  };
}
