import type { ServerMessages } from "../protocol/server-messages.js";

/** How many segments with an interim on screen a room remembers (the oldest forgotten past it). */
export const MAX_INTERIM_SEGMENTS = 64;

type TranscriptMessage = ServerMessages["transcript"];

/**
 * The segments whose interim caption a room has broadcast and whose final has not come yet, each with its latest
 * interim. A final whose text is empty (Whisper heard nothing in the whole utterance) is sent only for these, to
 * withdraw the line; any other empty final is not sent. A final that failed withdraws the line the same way. Bounded:
 * a speaker's utterances end one after another, so only the last few are ever open, and the set stays empty for a
 * room that gets no interims.
 */
export class InterimSegments {
  readonly #open = new Map<string, TranscriptMessage>();
  readonly #max: number;

  constructor(max = MAX_INTERIM_SEGMENTS) {
    this.#max = max;
  }

  /** An interim of this segment went out. */
  shown(interim: TranscriptMessage): void {
    this.#open.delete(interim.segment_id);
    this.#open.set(interim.segment_id, interim);
    if (this.#open.size <= this.#max) return;
    const oldest = this.#open.keys().next();
    if (oldest.done !== true) this.#open.delete(oldest.value);
  }

  /** Its final came (or failed): the interim of it on screen, if any (it is forgotten either way). */
  settle(segmentId: string): TranscriptMessage | undefined {
    const shown = this.#open.get(segmentId);
    this.#open.delete(segmentId);
    return shown;
  }
}
