// The camera frames' size and pace: pure, so unit-tested without a browser (test/web/camera-frames.unit.test.ts).
import { MAX_VIDEO_FPS, MAX_VIDEO_FRAME_HEIGHT, MAX_VIDEO_FRAME_WIDTH } from "../../src/protocol/client-messages.js";

/**
 * Frames are paced this much slower than the allowed rate: the room's budget refills by the engine's clock, and a
 * timer here may fire a little early or late, so a steady stream just under the rate never meets its limit.
 */
const PACING_HEADROOM = 1.1;

/**
 * The size a `width` × `height` frame is sent at: scaled down (never up, aspect kept) to fit the engine's frame limit
 * either way round, as the engine takes a portrait frame of the same bounds.
 */
export function fitFrame(width: number, height: number): { width: number; height: number } {
  const maxLong = Math.max(MAX_VIDEO_FRAME_WIDTH, MAX_VIDEO_FRAME_HEIGHT);
  const maxShort = Math.min(MAX_VIDEO_FRAME_WIDTH, MAX_VIDEO_FRAME_HEIGHT);
  const scale = Math.min(1, maxLong / Math.max(width, height), maxShort / Math.min(width, height));
  return { width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)) };
}

/** The gap between two frames at `fps`, kept under the limit, with `fps` clamped to what the engine allows. */
export function frameIntervalMs(fps: number): number {
  const allowed = Math.min(MAX_VIDEO_FPS, Math.max(1, Math.floor(fps)));
  return Math.ceil((1000 / allowed) * PACING_HEADROOM);
}
