import { endianness } from "node:os";
import { AudioError } from "./audio-error.js";

const LITTLE_ENDIAN = endianness() === "LE";

/** Little-endian signed 16-bit PCM → floats in [-1, 1). A DataView copes with pooled Buffers at odd offsets. */
export function pcm16ToFloat32(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 2 !== 0) {
    throw new AudioError(`PCM16 audio must have an even number of bytes, got ${bytes.byteLength}`);
  }
  const samples = new Float32Array(bytes.byteLength / 2);
  if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    // Hot path (every chunk of every stream): read the bytes in place as int16.
    const ints = new Int16Array(bytes.buffer, bytes.byteOffset, samples.length);
    for (let i = 0; i < samples.length; i++) samples[i] = (ints[i] ?? 0) / 32768;
    return samples;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < samples.length; i++) {
    samples[i] = view.getInt16(i * 2, true) / 32768;
  }
  return samples;
}

/** Floats → little-endian signed 16-bit PCM, clipped. Scaling by 32768 makes pcm16 → float → pcm16 exact. */
export function float32ToPcm16(samples: Float32Array): Uint8Array {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) {
    view.setInt16(i * 2, floatToInt16(samples[i] ?? 0), true);
  }
  return bytes;
}

export function floatToInt16(sample: number): number {
  if (Number.isNaN(sample)) return 0;
  const scaled = Math.round(sample * 32768);
  return scaled > 32767 ? 32767 : scaled < -32768 ? -32768 : scaled;
}
