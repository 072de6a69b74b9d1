import type { Room } from "@colyseus/sdk";
import { DEFAULT_VIDEO_FPS } from "../../src/protocol/client-messages.js";

export type { ExpressionMessage, NoFaceMessage } from "../../src/protocol/server-messages.js";

export interface FrameStreamOptions {
  /** Frames to send. */
  count: number;
  /** The pace (frames a second): at most the session's `video_fps`, or frames are refused `rate_limited`. */
  fps?: number;
  /** Keeps sending while this is true (after `count`), for a test that acts while frames arrive. */
  until?: () => boolean;
}

/** Sends one JPEG as camera frames at a steady pace, as a browser's camera loop does. */
export async function streamFrames(room: Room, jpeg: Uint8Array, options: FrameStreamOptions): Promise<number> {
  // A little under the allowed rate: the room's budget refills by the room's clock, not this one.
  const intervalMs = Math.ceil(1000 / (options.fps ?? DEFAULT_VIDEO_FPS)) + 20;
  let sent = 0;
  while (sent < options.count || options.until?.() === true) {
    if (!room.connection.isOpen) break;
    // Pacing, not a wait for anything: the budget is a rate.
    if (sent > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    room.sendBytes("video", jpeg);
    sent += 1;
  }
  return sent;
}
