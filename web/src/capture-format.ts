import type { SampleRate } from "../../src/protocol/client-messages.js";

/** What the page and its capture worklet agree on (shared by both bundles). */
export const CAPTURE_PROCESSOR = "capture";
/** Milliseconds of audio per `audio` message. */
export const FRAME_MS = 20;

export interface CaptureOptions {
  /** The rate the worklet converts to and the page joins with (`sample_rate`). */
  targetRate: SendRate;
}

/**
 * Rates the page sends as they are. Every other device rate (44.1, 48, 24 kHz…) is converted to 16 kHz, the models'
 * rate, which keeps the upload at 32 KB/s; an 8 kHz device is sent at 8 kHz rather than padded to twice the bytes.
 * Typed against the protocol's supported rates, so the two cannot disagree.
 */
const SENT_AS_IS = [8_000, 16_000] as const satisfies readonly SampleRate[];
export type SendRate = (typeof SENT_AS_IS)[number];

export function sendRateFor(captureRate: number): SendRate {
  return (SENT_AS_IS as readonly number[]).includes(captureRate) ? (captureRate as SendRate) : 16_000;
}
