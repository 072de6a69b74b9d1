/** How many segments with an interim on screen a room remembers (the oldest forgotten past it). */
export const MAX_INTERIM_SEGMENTS = 64;

/**
 * The segments whose interim caption a room has broadcast and whose final has not come yet. A final whose text is
 * empty (Whisper heard nothing in the whole utterance) is sent only for these, to withdraw the line; any other empty
 * final is not sent. Bounded: a speaker's utterances end one after another, so only the last few are ever open, and
 * the set stays empty for a room that gets no interims.
 */
export class InterimSegments {
  readonly #open = new Set<string>();
  readonly #max: number;

  constructor(max = MAX_INTERIM_SEGMENTS) {
    this.#max = max;
  }

  /** An interim of this segment went out. */
  shown(segmentId: string): void {
    this.#open.delete(segmentId);
    this.#open.add(segmentId);
    if (this.#open.size <= this.#max) return;
    const oldest = this.#open.values().next();
    if (oldest.done !== true) this.#open.delete(oldest.value);
  }

  /** Its final came: whether an interim of it is on screen (it is forgotten either way). */
  settle(segmentId: string): boolean {
    return this.#open.delete(segmentId);
  }
}
