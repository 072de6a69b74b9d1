import type { AuthContext } from "@colyseus/core";
import type { SessionKind } from "../domain.js";
import { authorizeJoin, type JoinAuth } from "./join-authorization.js";
import { MeetingRoom } from "./meeting-room.js";
import type { RoomDeps } from "./room-deps.js";
import { TutoringRoom } from "./tutoring-room.js";

/**
 * Concrete room classes with the engine's dependencies closed over. Colyseus instantiates rooms with `new Room()`,
 * so dependencies travel in the class, not in module state or (serialised) room options: a getter on the prototype,
 * not a field on every room (see `SessionRoom`'s note on properties).
 */
export function bindRooms(deps: RoomDeps): Record<SessionKind, new () => MeetingRoom | TutoringRoom> {
  class BoundMeetingRoom extends MeetingRoom {
    protected get deps(): RoomDeps {
      return deps;
    }
    static override async onAuth(token: string, options: unknown, context: AuthContext): Promise<JoinAuth> {
      return authorizeJoin(deps, "meeting", token, options, context);
    }
  }
  class BoundTutoringRoom extends TutoringRoom {
    protected get deps(): RoomDeps {
      return deps;
    }
    static override async onAuth(token: string, options: unknown, context: AuthContext): Promise<JoinAuth> {
      return authorizeJoin(deps, "tutoring", token, options, context);
    }
  }
  return { meeting: BoundMeetingRoom, tutoring: BoundTutoringRoom };
}
