import { matchMaker } from "@colyseus/core";
import type { SessionKind } from "../domain.js";
import type { RoomHost } from "./session-resume.js";
import type { RoomCreateOptions } from "./room-options.js";

/** Colyseus' matchmaking channel of a process: every live process subscribes to its own (`p:<processId>`). */
const PROCESS_CHANNEL_PREFIX = "p:";

/**
 * `RoomHost` on Colyseus' matchmaker, with whichever presence and driver the engine runs: in-process (one process, so
 * only this one is alive) or Redis (a process is alive while its channel is subscribed; a SIGKILLed process's Redis
 * connection closes with it, and its channel goes at once).
 */
export class ColyseusRoomHost implements RoomHost {
  get processId(): string {
    return matchMaker.processId;
  }

  async aliveProcesses(): Promise<ReadonlySet<string>> {
    const channels = await matchMaker.presence.channels(`${PROCESS_CHANNEL_PREFIX}*`);
    const alive = new Set([matchMaker.processId]);
    // The in-process presence matches the pattern anywhere in a name: keep only process channels.
    for (const channel of channels) if (channel.startsWith(PROCESS_CHANNEL_PREFIX)) alive.add(channel.slice(PROCESS_CHANNEL_PREFIX.length));
    return alive;
  }

  async listedRooms(): Promise<ReadonlyMap<string, string>> {
    const rooms = await matchMaker.query({});
    return new Map(rooms.map((room) => [room.roomId, room.processId]));
  }

  async answers(processId: string): Promise<boolean> {
    // Colyseus' own health check: a process that does not answer in time is excluded and its listings removed.
    const answered: unknown = await matchMaker.healthCheckProcessId(processId);
    return answered === true;
  }

  async createHere(kind: SessionKind, options: RoomCreateOptions): Promise<void> {
    await matchMaker.handleCreateRoom(kind, options);
  }
}
