/*
 * Batched recurrent state of the VAD, layout [2, B, H] (H = stateSize / 2): element (half, row, k) sits at
 * half*B*H + row*H + k. A stream's own state is its half-0 H floats followed by its half-1 H floats.
 */

export function writeStreamState(batched: Float32Array, batchSize: number, row: number, stream: Float32Array): void {
  const h = stream.length / 2;
  batched.set(stream.subarray(0, h), row * h);
  batched.set(stream.subarray(h), batchSize * h + row * h);
}

export function readStreamState(batched: Float32Array, batchSize: number, row: number, stateSize: number): Float32Array {
  const h = stateSize / 2;
  const out = new Float32Array(stateSize);
  out.set(batched.subarray(row * h, row * h + h), 0);
  out.set(batched.subarray(batchSize * h + row * h, batchSize * h + row * h + h), h);
  return out;
}
