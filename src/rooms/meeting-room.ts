import { SessionRoom } from "./session-room.js";

/**
 * A meeting: live from its first non-observer participant; participants relay WebRTC signaling (`signal`) and chat
 * (`text`) through the room. Live transcripts arrive with the inference pool.
 */
export abstract class MeetingRoom extends SessionRoom {}
