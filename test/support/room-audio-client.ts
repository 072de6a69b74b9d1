import type { Room } from "@colyseus/sdk";

/** 20 ms of 16 kHz 16-bit mono. */
export const FRAME_BYTES = 640;

/** A `transcript` message as clients receive it. */
export interface TranscriptMessage {
  segment_id: string;
  participant_id: string;
  text: string;
  start_ms: number;
  end_ms: number;
  final: boolean;
}

/** Streams 16 kHz PCM in 20 ms messages, a little faster than real time (the room allows 1.5×). */
export async function streamPcm(room: Room, pcm: Uint8Array): Promise<void> {
  for (let offset = 0; offset + FRAME_BYTES <= pcm.byteLength; offset += FRAME_BYTES) {
    room.sendBytes("audio", pcm.subarray(offset, offset + FRAME_BYTES));
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}
