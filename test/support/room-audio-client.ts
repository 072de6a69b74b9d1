import type { Room } from "@colyseus/sdk";

/** 20 ms of 16 kHz 16-bit mono. */
export const FRAME_BYTES = 640;

export type { TranscriptMessage } from "../../src/protocol/server-messages.js";

/**
 * The room's audio budget for a connection (src/rooms/room-connections.ts: 1.5 s of audio per second, bursts up to
 * 3 s), less a margin: streaming within it is never refused, and the test does not wait out real time.
 */
const AUDIO_BUDGET = { audioMsPerMs: 1.4, burstMs: 2_500 } as const;
const FRAME_MS = 20;

/** What is left of each room's budget, carried across calls (the room's bucket is per connection, not per call). */
const budgets = new WeakMap<Room, { tokensMs: number; atMs: number }>();

export interface StreamOptions {
  /** Told the count of frames sent after each one, for a test that acts at a point of the audio. */
  onFrame?: (framesSent: number) => void;
  /** One frame per 20 ms, as a live microphone sends, for a test about what happens while audio is arriving. */
  realTime?: boolean;
}

/**
 * Streams 16 kHz PCM in 20 ms messages, by default as fast as the room's audio budget allows (a burst, then faster
 * than real time), so tests do not wait out the audio's length.
 */
export async function streamPcm(room: Room, pcm: Uint8Array, options: StreamOptions = {}): Promise<void> {
  const budget = budgets.get(room) ?? { tokensMs: AUDIO_BUDGET.burstMs, atMs: performance.now() };
  budgets.set(room, budget);
  const refill = () => {
    const now = performance.now();
    budget.tokensMs = Math.min(AUDIO_BUDGET.burstMs, budget.tokensMs + (now - budget.atMs) * AUDIO_BUDGET.audioMsPerMs);
    budget.atMs = now;
  };
  let frames = 0;
  for (let offset = 0; offset + FRAME_BYTES <= pcm.byteLength; offset += FRAME_BYTES) {
    refill();
    // Pacing, not a wait for anything: the budget is a rate.
    const waitMs = options.realTime === true && frames > 0 ? FRAME_MS : Math.ceil((FRAME_MS - budget.tokensMs) / AUDIO_BUDGET.audioMsPerMs);
    if (waitMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      refill();
    }
    room.sendBytes("audio", pcm.subarray(offset, offset + FRAME_BYTES));
    budget.tokensMs -= FRAME_MS;
    frames += 1;
    options.onFrame?.(frames);
    // Let the socket and the test's own handlers run between frames, as a real sender would.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
