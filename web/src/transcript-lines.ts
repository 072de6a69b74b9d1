import type { TranscriptMessage } from "../../src/protocol/server-messages.js";

/** One line of the transcript as the page shows it: a speaker's utterance, growing (interim) or final. */
export interface TranscriptLine {
  segmentId: string;
  participantId: string;
  text: string;
  final: boolean;
}

export interface TranscriptLinesOptions {
  /** Segments remembered (the oldest forgotten), so a long meeting does not grow the page's memory without bound. */
  maxSegments: number;
}

export const DEFAULT_TRANSCRIPT_LINES_OPTIONS: TranscriptLinesOptions = { maxSegments: 500 };

/** What `apply` changed: a line appended, one updated in place, or one withdrawn (its final heard nothing). */
export interface TranscriptChange {
  line: TranscriptLine;
  added: boolean;
  removed: boolean;
}

/**
 * The transcript's lines assembled from `transcript` messages: interims (`final: false`) of a segment replace one
 * another's text in place, its final replaces them and closes the line; anything later for that segment (an interim
 * that lost the race) is ignored, and so is empty text, except an empty final of a growing line: Whisper heard nothing
 * in the whole utterance, and the line goes. Pure: `apply` returns the line it changed (a new object) and how, or
 * null when nothing changed.
 */
export class TranscriptLines {
  readonly #options: TranscriptLinesOptions;
  readonly #lines = new Map<string, TranscriptLine>();

  constructor(options: Partial<TranscriptLinesOptions> = {}) {
    this.#options = { ...DEFAULT_TRANSCRIPT_LINES_OPTIONS, ...options };
  }

  apply(message: TranscriptMessage): TranscriptChange | null {
    const text = message.text.trim();
    const known = this.#lines.get(message.segment_id);
    if (known?.final === true) return null;
    if (text === "") {
      if (!message.final || known === undefined) return null;
      // Kept, as final: anything later of that segment is ignored, as after any final.
      const withdrawn: TranscriptLine = { ...known, text: "", final: true };
      this.#lines.set(message.segment_id, withdrawn);
      return { line: withdrawn, added: false, removed: true };
    }
    const line: TranscriptLine = { segmentId: message.segment_id, participantId: message.participant_id, text, final: message.final };
    this.#lines.set(line.segmentId, line);
    if (this.#lines.size > this.#options.maxSegments) {
      const oldest = this.#lines.keys().next();
      if (oldest.done !== true) this.#lines.delete(oldest.value);
    }
    return { line, added: known === undefined, removed: false };
  }
}
