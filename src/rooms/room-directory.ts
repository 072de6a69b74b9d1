import { matchMaker } from "@colyseus/core";
import {
  SESSION_KINDS,
  SESSION_STATUSES,
  type EndReason,
  type LocalRoomListing,
  type SessionKind,
  type SessionStatus,
} from "../domain.js";
import { z } from "zod";
import type { RoomCreateOptions } from "./room-options.js";

/** The listing metadata session rooms set (`SessionRoomMetadata`); a room still starting has none yet. */
const listingMetadata = z.object({ kind: z.enum(SESSION_KINDS), status: z.enum(SESSION_STATUSES) });

/** How the management API reaches session rooms, wherever (which process) they run. */
export interface RoomDirectory {
  create(kind: SessionKind, options: RoomCreateOptions): Promise<void>;
  exists(sessionId: string): Promise<boolean>;
  /** Ask the room to drain and end; resolves with the status it reached (or `null` when no room answered). */
  requestEnd(sessionId: string, reason: EndReason, timeoutMs: number): Promise<SessionStatus | null>;
  /** Rooms of this process only: with Redis every process sees the whole cluster, and each reports its own. */
  listLocal(): Promise<LocalRoomListing[]>;
}

/** Colyseus' matchmaker: local rooms directly, remote ones through presence IPC. */
export class MatchMakerRoomDirectory implements RoomDirectory {
  async create(kind: SessionKind, options: RoomCreateOptions): Promise<void> {
    await matchMaker.createRoom(kind, options);
  }

  async exists(sessionId: string): Promise<boolean> {
    return (await matchMaker.getRoomById(sessionId)) !== undefined;
  }

  async requestEnd(sessionId: string, reason: EndReason, timeoutMs: number): Promise<SessionStatus | null> {
    if (!(await this.exists(sessionId))) return null;
    const status: unknown = await matchMaker.remoteRoomCall(sessionId, "requestEnd", [reason], timeoutMs);
    const parsed = z.enum(SESSION_STATUSES).safeParse(status);
    return parsed.success ? parsed.data : null;
  }

  async listLocal(): Promise<LocalRoomListing[]> {
    const rooms = await matchMaker.query({ processId: matchMaker.processId });
    return rooms.flatMap((room) => {
      const metadata = listingMetadata.safeParse(room.metadata);
      return metadata.success ? [{ ...metadata.data, sessionId: room.roomId, clients: room.clients }] : [];
    });
  }
}
