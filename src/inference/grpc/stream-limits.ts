/** Bounds on the ids a StreamAudio or StreamVideo message may carry. */
export const MAX_ID_CHARS = 128;
/** A room's stream id is a participant id (≤ 128 characters) plus `#<n>`. */
export const MAX_STREAM_ID_CHARS = 160;

/**
 * A uint64 the proto loader hands over as a Number (`longs: Number`) is exact only below 2^53: a larger seq or time
 * would be rounded, and a stream's later seqs then refused as not following it. Such a value is refused as what it is.
 */
export function exactUint64(value: number): boolean {
  return Number.isSafeInteger(value);
}

export function validId(value: string, maxChars = MAX_ID_CHARS): boolean {
  return value.length > 0 && value.length <= maxChars;
}
