import type { Logger } from "../logger.js";
import type { AsrQueue } from "./asr/asr-queue.js";
import { segmentIdOf, type AudioStream } from "./pool-stream.js";
import { poolErrorCodeOf } from "./pool-types.js";
import type { AsrModel } from "./registry/model-module.js";
import type { InProgressUtterance } from "./vad/segmenter.js";

/** Interim captions: the open utterance transcribed while it is still spoken, as best-effort ASR work. */
export interface InterimOptions {
  enabled: boolean;
  /** The open utterance's audio (its pre-roll padding included) before its first interim. */
  firstMs: number;
  /** More audio before the next interim of the same utterance. */
  intervalMs: number;
}

export const DEFAULT_INTERIM_OPTIONS: InterimOptions = {
  enabled: true,
  // 300 ms of pre-roll + ~400 ms of speech: Whisper has its first word (with less it says `[BLANK_AUDIO]`), and on a
  // free lane (~300 ms for that audio on 2 cores) the caption is out ~0.8 s after the speech starts. Measured on a
  // 4 s eSpeak sentence: 500 → [BLANK_AUDIO] then a retry, 700 → "quick" at 716 ms, 800 → "quick" at 812 ms.
  firstMs: 700,
  intervalMs: 1_000,
};

/**
 * Starts interim runs of streams' open utterances on the ASR queue's spare slots (`tryRunInterim`: skipped, never
 * queued, when finals need the lanes) and emits them as `final: false` transcripts with the segment id the final
 * will have. At most one per stream at a time; one skipped is tried again with the stream's next VAD chunk, one that
 * heard no words yet a quarter interval later. An interim is dropped when the final of its segment has been emitted
 * (or failed), so none ever follows its final, and when it has no words (empty, or only `[BLANK_AUDIO]`).
 */
export class InterimCaptions {
  readonly #options: InterimOptions;
  readonly #queue: AsrQueue<string>;
  readonly #asr: () => AsrModel | null;
  readonly #log: Logger;

  constructor(options: InterimOptions, queue: AsrQueue<string>, asr: () => AsrModel | null, log: Logger) {
    this.#options = options;
    this.#queue = queue;
    this.#asr = asr;
    this.#log = log;
  }

  /** After a stream's VAD chunk is applied: an interim of its open utterance, if one is due and a lane is spare. */
  consider(stream: AudioStream): void {
    const asr = this.#asr();
    if (!this.#options.enabled || asr === null || stream.closing || stream.finished) return;
    const state = stream.interim;
    const heardMs = stream.segmenter.inProgressMs();
    if (heardMs === null || state.running) return;
    const segment = stream.utterances + 1;
    if (state.segment !== segment) {
      state.segment = segment;
      state.nextAtMs = this.#options.firstMs;
    }
    if (heardMs < state.nextAtMs) return;
    // The utterance so far is copied only once the run is admitted: a skipped one (every chunk, under load) would
    // otherwise copy the growing utterance 31 times a second per speaker for nothing.
    let open: InProgressUtterance | null = null;
    const run = this.#queue.tryRunInterim(async () => {
      open = stream.segmenter.inProgress();
      return open === null ? "" : (await asr.transcribe(open.samples)).text;
    });
    if (run === null) return;
    state.running = true;
    state.nextAtMs = heardMs + this.#options.intervalMs;
    const retryAtMs = heardMs + this.#options.intervalMs / 4;
    const offsetMs = stream.open.offsetMs ?? 0;
    const streamId = stream.open.streamId;
    run.then(
      ({ value: text, runMs }) => {
        state.running = false;
        const heard: InProgressUtterance | null = open;
        if (heard === null) return;
        if (!hasWords(text)) {
          // The first word is often not out yet: try again soon rather than a whole interval later.
          if (state.segment === segment) state.nextAtMs = Math.min(state.nextAtMs, retryAtMs);
          return;
        }
        if (!this.#pending(stream, segment)) return;
        const timings = { queueMs: 0, asrMs: runMs, totalMs: runMs };
        const segmentId = segmentIdOf(stream, segment);
        stream.emit({ kind: "transcript", streamId, segmentId, text, startMs: offsetMs + heard.startMs, endMs: offsetMs + heard.endMs, final: false, timings });
      },
      (error: unknown) => {
        state.running = false;
        this.#log.debug({ stream_id: streamId, code: poolErrorCodeOf(error) }, "interim caption failed");
      },
    );
  }

  /** The segment is still open, or ended with its final not emitted yet. */
  #pending(stream: AudioStream, segment: number): boolean {
    return !stream.finished && (segment > stream.utterances || stream.awaitingFinal.has(segment));
  }
}

/** Whisper's non-speech annotations (`[BLANK_AUDIO]`, `(music)`): what it says of a first syllable or two. */
const ANNOTATION = /\[[^\]]*\]|\([^)]*\)/g;

/** Text with more than annotations in it: worth a caption. */
export function hasWords(text: string): boolean {
  return text.replace(ANNOTATION, "").trim() !== "";
}
