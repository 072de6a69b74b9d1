/** Bounds on the ids a StreamAudio or StreamVideo message may carry. */
export const MAX_ID_CHARS = 128;
/** A room's stream id is a participant id (≤ 128 characters) plus `#<n>`. */
export const MAX_STREAM_ID_CHARS = 160;

export function validId(value: string, maxChars = MAX_ID_CHARS): boolean {
  return value.length > 0 && value.length <= maxChars;
}
