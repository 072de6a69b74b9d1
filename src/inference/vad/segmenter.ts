import { isRetryable } from "../../protocol/error-codes.js";
import { MODEL_SAMPLE_RATE, type PoolErrorCode } from "../pool-types.js";

/**
 * Turns one audio stream's per-chunk speech probabilities into utterances (pure logic: no model, no timers).
 *
 * Event semantics:
 * - `speech_started` is emitted only once speech has lasted `minSpeechMs` (measured from the first chunk at or above
 *   `speechThreshold` to the end of the last chunk at or above `silenceThreshold`), so a blip emits nothing at all.
 *   Its `atMs` is back-dated to where that speech began, not when it was confirmed.
 * - `speech_ended` comes once `hangoverMs` of silence (probability below `silenceThreshold`) follow the speech; its
 *   `atMs` is the end of the last non-silent chunk. Every `speech_started` is followed by exactly one `speech_ended`
 *   (by `flush()` at the latest).
 * - `utterance` carries the audio, padding included; `startMs`/`endMs` describe exactly that audio, so
 *   `samples.length === (endMs - startMs) * sampleRate / 1000`. An utterance is never longer than `maxUtteranceMs`:
 *   longer speech is cut (`reason: "max_length"`, no padding at the cut) in the middle of the quietest chunk (lowest
 *   probability) of its last `cutSearchMs` before that limit, or at the limit when `cutSearchMs` is 0, and goes on
 *   as the next utterance, which starts at the cut sample. Cuts emit no speech events: one started/ended pair can
 *   span several utterances.
 *
 * All offsets are ms since the stream's first sample.
 */

export interface SegmenterOptions {
  /** A chunk at or above this starts speech. */
  speechThreshold: number;
  /** During speech, a chunk below this counts as silence; between the two thresholds speech goes on (hysteresis). */
  silenceThreshold: number;
  /** Speech shorter than this is discarded as a blip. */
  minSpeechMs: number;
  /** Silence that ends an utterance; shorter pauses stay inside it. */
  hangoverMs: number;
  /** Audio kept before and after the speech in each utterance. */
  paddingMs: number;
  /** Longest utterance (padding included): Whisper takes at most 30 s. */
  maxUtteranceMs: number;
  /**
   * How far before `maxUtteranceMs` a cut may go to land in the quietest chunk: a cut at the limit itself falls
   * inside a word as often as not, and Whisper then loses or repeats that word on both sides. 0: at the limit.
   */
  cutSearchMs: number;
  sampleRate: number;
  /** Samples per pushed chunk (Silero v5: 512 = 32 ms at 16 kHz). */
  chunkSamples: number;
}

export const DEFAULT_SEGMENTER_OPTIONS: SegmenterOptions = {
  speechThreshold: 0.5,
  silenceThreshold: 0.35,
  minSpeechMs: 250,
  hangoverMs: 400,
  paddingMs: 30,
  maxUtteranceMs: 30_000,
  cutSearchMs: 0,
  sampleRate: MODEL_SAMPLE_RATE,
  chunkSamples: 512,
};

export type UtteranceEndReason = "silence" | "max_length" | "flush";

export type SegmenterEvent =
  | { type: "speech_started"; atMs: number }
  | { type: "speech_ended"; atMs: number }
  | { type: "utterance"; startMs: number; endMs: number; samples: Float32Array; reason: UtteranceEndReason };

/** The confirmed utterance still open: its audio so far (padding before it included), offsets as for `utterance`. */
export interface InProgressUtterance {
  startMs: number;
  endMs: number;
  samples: Float32Array;
}

export class SegmenterError extends Error {
  readonly code: PoolErrorCode;
  readonly retryable: boolean;

  constructor(code: PoolErrorCode, message: string) {
    super(message);
    this.name = "SegmenterError";
    this.code = code;
    this.retryable = isRetryable(code);
  }
}

type Phase = "silence" | "pending" | "speaking";

export class SpeechSegmenter {
  readonly options: SegmenterOptions;
  private readonly minSpeechSamples: number;
  private readonly hangoverSamples: number;
  private readonly paddingSamples: number;
  private readonly maxUtteranceSamples: number;
  private readonly cutSearchSamples: number;
  /** Chunks kept during silence: enough to cover the pre-roll padding. */
  private readonly preRollChunks: number;

  /** Copies of the retained chunks; `chunks[0]` starts at sample `firstChunk * chunkSamples`. */
  private chunks: Float32Array[] = [];
  /** Each retained chunk's speech probability (same indices), for placing max-length cuts. */
  private probabilities: number[] = [];
  private firstChunk = 0;
  /** Samples pushed so far (absolute offset of the next sample). */
  private streamEnd = 0;

  private phase: Phase = "silence";
  /** First sample of the speech (unpadded) being tracked. */
  private speechStart = 0;
  /** End of the last non-silent chunk. */
  private speechEnd = 0;
  /** First sample of the current utterance's audio (padding included, or a cut point). */
  private utteranceStart = 0;

  constructor(options: Partial<SegmenterOptions> = {}) {
    this.options = { ...DEFAULT_SEGMENTER_OPTIONS, ...options };
    const o = this.options;
    if (!(o.silenceThreshold <= o.speechThreshold)) {
      throw new SegmenterError("internal", "silenceThreshold must not exceed speechThreshold");
    }
    this.minSpeechSamples = this.msToSamples(o.minSpeechMs);
    this.hangoverSamples = Math.max(1, this.msToSamples(o.hangoverMs));
    this.paddingSamples = this.msToSamples(o.paddingMs);
    this.maxUtteranceSamples = this.msToSamples(o.maxUtteranceMs);
    if (this.maxUtteranceSamples <= this.paddingSamples + o.chunkSamples) {
      throw new SegmenterError("internal", "maxUtteranceMs is too short for the padding and chunk size");
    }
    this.cutSearchSamples = this.msToSamples(o.cutSearchMs);
    if (!(this.cutSearchSamples >= 0 && this.cutSearchSamples <= this.maxUtteranceSamples / 2)) {
      throw new SegmenterError("internal", "cutSearchMs must be between 0 and half of maxUtteranceMs");
    }
    this.preRollChunks = Math.ceil(this.paddingSamples / o.chunkSamples);
  }

  /**
   * Most samples ever retained: pre-roll + a maximal utterance + the hangover that ends it + a chunk of slack on
   * either side. Memory per stream is bounded by this however long the stream runs.
   */
  get maxBufferedSamples(): number {
    const chunk = this.options.chunkSamples;
    return this.maxUtteranceSamples + this.hangoverSamples + this.paddingSamples + 3 * chunk;
  }

  /** Samples currently retained. */
  get bufferedSamples(): number {
    return this.chunks.length * this.options.chunkSamples;
  }

  /** Stream time so far, in ms. */
  get durationMs(): number {
    return this.samplesToMs(this.streamEnd);
  }

  /**
   * How much audio the open utterance holds so far (ms, padding included), or null outside confirmed speech. Cheap:
   * no copy, for deciding whether to read it with `inProgress()`.
   */
  inProgressMs(): number | null {
    return this.phase === "speaking" ? this.samplesToMs(this.streamEnd - this.utteranceStart) : null;
  }

  /**
   * A copy of the open (confirmed, not yet ended) utterance's audio so far: the start of the `utterance` it will
   * become, for interim captions. Null outside confirmed speech. Its next `utterance` event is that utterance (or,
   * for speech past `maxUtteranceMs`, its first piece).
   */
  inProgress(): InProgressUtterance | null {
    if (this.phase !== "speaking") return null;
    return { startMs: this.samplesToMs(this.utteranceStart), endMs: this.samplesToMs(this.streamEnd), samples: this.read(this.utteranceStart, this.streamEnd) };
  }

  push(chunk: Float32Array, probability: number): SegmenterEvent[] {
    const size = this.options.chunkSamples;
    if (chunk.length !== size) {
      throw new SegmenterError("invalid_audio", `chunk has ${chunk.length} samples, expected ${size}`);
    }
    const chunkStart = this.streamEnd;
    // A copy: callers may reuse their chunk buffer.
    this.chunks.push(chunk.slice());
    this.probabilities.push(probability);
    this.streamEnd += size;
    const events: SegmenterEvent[] = [];

    if (this.phase === "silence") {
      if (probability >= this.options.speechThreshold) {
        this.phase = "pending";
        this.speechStart = chunkStart;
        this.speechEnd = this.streamEnd;
        this.utteranceStart = Math.max(0, chunkStart - this.paddingSamples);
        this.confirmIfLongEnough(events);
      } else {
        this.trimToPreRoll();
      }
      return events;
    }

    const voiced = probability >= this.options.silenceThreshold;
    if (voiced) this.speechEnd = this.streamEnd;

    if (this.streamEnd - this.speechEnd >= this.hangoverSamples) {
      // A pending (unconfirmed) speech ends here too: it never reached minSpeechMs, so it is dropped silently.
      if (this.phase === "speaking") this.finishUtterance(events, "silence");
      this.resetToSilence();
      return events;
    }

    if (this.phase === "pending") this.confirmIfLongEnough(events);
    // Cut only on voiced chunks: a cut inside a pause that then ends the speech would leave a silent utterance.
    if (this.phase === "speaking" && voiced) this.cutAtMaxLength(events);
    return events;
  }

  /** The stream is closing: finish confirmed speech; unconfirmed speech is shorter than minSpeechMs and dropped. */
  flush(): SegmenterEvent[] {
    const events: SegmenterEvent[] = [];
    if (this.phase === "speaking") this.finishUtterance(events, "flush");
    this.resetToSilence();
    return events;
  }

  private confirmIfLongEnough(events: SegmenterEvent[]): void {
    if (this.speechEnd - this.speechStart < this.minSpeechSamples) return;
    this.phase = "speaking";
    events.push({ type: "speech_started", atMs: this.samplesToMs(this.speechStart) });
    this.cutAtMaxLength(events);
  }

  private cutAtMaxLength(events: SegmenterEvent[]): void {
    while (this.streamEnd - this.utteranceStart > this.maxUtteranceSamples) {
      const cut = this.quietestCut(this.utteranceStart + this.maxUtteranceSamples);
      events.push(this.utterance(this.utteranceStart, cut, "max_length"));
      this.utteranceStart = cut;
      this.dropBefore(cut);
    }
  }

  /**
   * Where a cut at `limit` goes: the middle of the lowest-probability retained chunk wholly inside the last
   * `cutSearchSamples` before it (the latest of equals, so utterances stay long), or `limit` itself.
   */
  private quietestCut(limit: number): number {
    if (this.cutSearchSamples === 0) return limit;
    const size = this.options.chunkSamples;
    const from = Math.max(limit - this.cutSearchSamples, this.utteranceStart + this.paddingSamples);
    let cut = limit;
    let quietest = Infinity;
    this.probabilities.forEach((probability, index) => {
      const start = (this.firstChunk + index) * size;
      if (start < from || start + size > limit || probability > quietest) return;
      quietest = probability;
      cut = start + size / 2;
    });
    return Math.round(cut);
  }

  private finishUtterance(events: SegmenterEvent[], reason: UtteranceEndReason): void {
    events.push({ type: "speech_ended", atMs: this.samplesToMs(this.speechEnd) });
    const end = Math.min(
      this.speechEnd + this.paddingSamples,
      this.streamEnd,
      this.utteranceStart + this.maxUtteranceSamples,
    );
    events.push(this.utterance(this.utteranceStart, end, reason));
  }

  private resetToSilence(): void {
    this.phase = "silence";
    this.trimToPreRoll();
  }

  private utterance(start: number, end: number, reason: UtteranceEndReason): SegmenterEvent {
    return {
      type: "utterance",
      startMs: this.samplesToMs(start),
      endMs: this.samplesToMs(end),
      samples: this.read(start, end),
      reason,
    };
  }

  /** Copies samples [start, end) out of the retained chunks. */
  private read(start: number, end: number): Float32Array {
    const size = this.options.chunkSamples;
    const base = this.firstChunk * size;
    if (start < base || end > this.streamEnd || end < start) {
      throw new SegmenterError("internal", `samples ${start}..${end} are not retained (${base}..${this.streamEnd})`);
    }
    const out = new Float32Array(end - start);
    let written = 0;
    let position = start;
    while (position < end) {
      const index = Math.floor((position - base) / size);
      const chunk = this.chunks[index];
      if (chunk === undefined) throw new SegmenterError("internal", "retained chunk missing");
      const offset = position - (base + index * size);
      const take = Math.min(size - offset, end - position);
      out.set(chunk.subarray(offset, offset + take), written);
      written += take;
      position += take;
    }
    return out;
  }

  private trimToPreRoll(): void {
    const excess = this.chunks.length - this.preRollChunks;
    if (excess > 0) {
      this.chunks.splice(0, excess);
      this.probabilities.splice(0, excess);
      this.firstChunk += excess;
    }
  }

  /** Frees whole chunks that end at or before `sample`. */
  private dropBefore(sample: number): void {
    const drop = Math.floor(sample / this.options.chunkSamples) - this.firstChunk;
    if (drop > 0) {
      this.chunks.splice(0, drop);
      this.probabilities.splice(0, drop);
      this.firstChunk += drop;
    }
  }

  private msToSamples(ms: number): number {
    return Math.round((ms * this.options.sampleRate) / 1000);
  }

  private samplesToMs(samples: number): number {
    return (samples * 1000) / this.options.sampleRate;
  }
}
