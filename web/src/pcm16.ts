/** 16-bit little-endian PCM bytes → samples in [-1, 1), into `target` (an AudioBuffer's channel). Pure. */
export function readPcm16(bytes: Uint8Array, target: Float32Array): void {
  // A DataView: a received message may be a view at an odd offset of a larger buffer.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Math.min(target.length, pcm16SampleCount(bytes));
  for (let i = 0; i < count; i++) target[i] = view.getInt16(i * 2, true) / 32768;
}

/** Whole samples in `bytes` (a trailing odd byte is not one). */
export function pcm16SampleCount(bytes: Uint8Array): number {
  return bytes.byteLength >> 1;
}
