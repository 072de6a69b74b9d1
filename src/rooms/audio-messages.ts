import { z } from "zod";
import { SUPPORTED_SAMPLE_RATES, type SampleRate } from "../inference/pool-types.js";

/** Join option `sample_rate`: the rate of the 16-bit mono PCM a participant will send (default 16 kHz). */
export const sampleRateOption = z
  .union(SUPPORTED_SAMPLE_RATES.map((rate) => z.literal(rate)) as [z.ZodLiteral<SampleRate>, ...z.ZodLiteral<SampleRate>[]])
  .default(16_000);

export const MIN_AUDIO_MESSAGE_MS = 10;
export const MAX_AUDIO_MESSAGE_MS = 100;
export const MAX_AUDIO_MESSAGE_BYTES = 64 * 1024;

/** Why an audio message is refused, or null when it is well formed for `sampleRate`. */
export function audioMessageProblem(bytes: Uint8Array, sampleRate: SampleRate): string | null {
  if (bytes.byteLength > MAX_AUDIO_MESSAGE_BYTES) return `an audio message is limited to ${MAX_AUDIO_MESSAGE_BYTES} bytes`;
  if (bytes.byteLength % 2 !== 0) return "16-bit PCM needs an even number of bytes";
  const durationMs = (bytes.byteLength / 2 / sampleRate) * 1000;
  if (durationMs < MIN_AUDIO_MESSAGE_MS || durationMs > MAX_AUDIO_MESSAGE_MS) {
    return `an audio message carries ${MIN_AUDIO_MESSAGE_MS}–${MAX_AUDIO_MESSAGE_MS} ms (this one ${durationMs.toFixed(1)} ms at ${sampleRate} Hz)`;
  }
  return null;
}

/** Milliseconds of audio in a well-formed message. */
export function audioMessageMs(bytes: Uint8Array, sampleRate: SampleRate): number {
  return (bytes.byteLength / 2 / sampleRate) * 1000;
}
