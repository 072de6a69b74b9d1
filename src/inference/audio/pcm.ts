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

/** 16-bit samples → their little-endian bytes (a view of the same memory on a little-endian machine, else a copy). */
export function int16ToPcm16(samples: Int16Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  const bytes = new Uint8Array(samples.byteLength);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i] ?? 0, true);
  return bytes;
}

/** Little-endian 16-bit PCM bytes → samples, copied (a received Buffer may sit at an odd offset of a shared pool). */
export function pcm16ToInt16(bytes: Uint8Array): Int16Array {
  if (bytes.byteLength % 2 !== 0) throw new AudioError(`PCM16 audio must have an even number of bytes, got ${bytes.byteLength}`);
  const samples = new Int16Array(bytes.byteLength / 2);
  // A plain copy where the byte order is the machine's (a 60 s sentence is 2.6 MB: a loop would hold the thread).
  if (LITTLE_ENDIAN) new Uint8Array(samples.buffer).set(bytes);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true);
  }
  return samples;
}
