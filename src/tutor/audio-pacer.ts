/**
 * Sends a turn's synthesized speech to the clients at about the pace they play it, a little ahead: audio sent is
 * audio a barge-in cannot take back, so the engine keeps at most `leadMs` unplayed at the client. It models the
 * client's playback as a clock that plays what arrived in order and waits (a gap) when nothing is left, which gives
 * `played_ms` at an interruption and when the turn has been heard to its end.
 */
export interface AudioPacerOptions {
  /** Audio per `tutor.audio` message. */
  chunkMs: number;
  /** Unplayed audio the client holds at most (its jitter buffer). */
  leadMs: number;
}

export const DEFAULT_AUDIO_PACER_OPTIONS: AudioPacerOptions = { chunkMs: 100, leadMs: 400 };

export interface PacedAudioSink {
  /** One chunk of 16-bit mono PCM (little-endian bytes). */
  send(pcm16: Uint8Array): void;
}

export class AudioPacer {
  readonly #sink: PacedAudioSink;
  readonly #options: AudioPacerOptions;
  readonly #now: () => number;
  readonly #queue: Uint8Array[] = [];
  #sampleRate = 0;
  /** When (on `now()`'s clock) the client finishes playing what was sent. */
  #playEndAtMs = 0;
  #sentMs = 0;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #ended = false;
  #onDone: (() => void) | null = null;

  constructor(sink: PacedAudioSink, options: Partial<AudioPacerOptions> = {}, now: () => number = () => performance.now()) {
    this.#sink = sink;
    this.#options = { ...DEFAULT_AUDIO_PACER_OPTIONS, ...options };
    this.#now = now;
  }

  /** Audio sent so far, in ms. */
  get sentMs(): number {
    return this.#sentMs;
  }

  /** Queues one sentence's PCM (every sentence of a turn at the same rate). */
  push(pcm16: Uint8Array, sampleRate: number): void {
    if (this.#stopped || pcm16.byteLength < 2) return;
    this.#sampleRate = sampleRate;
    const chunkBytes = Math.max(2, Math.round((sampleRate * this.#options.chunkMs) / 1000) * 2);
    const evenBytes = pcm16.byteLength & ~1;
    for (let offset = 0; offset < evenBytes; offset += chunkBytes) {
      this.#queue.push(pcm16.subarray(offset, Math.min(offset + chunkBytes, evenBytes)));
    }
    this.#pump();
  }

  /** No more audio will come: `done` resolves once what was sent has played. */
  end(): void {
    this.#ended = true;
    this.#pump();
  }

  /** Resolves when every queued chunk was sent and played (after `end`), or at `stop`. */
  done(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#finished()) resolve();
      else this.#onDone = resolve;
    });
  }

  /** Stops sending at once; returns how much of the sent audio the client has played (ms). */
  stop(): number {
    const unplayedMs = Math.max(0, this.#playEndAtMs - this.#now());
    this.#stopped = true;
    this.#queue.length = 0;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#settle();
    return Math.max(0, Math.round(this.#sentMs - unplayedMs));
  }

  #pump(): void {
    if (this.#stopped) return;
    const now = this.#now();
    while (this.#queue.length > 0 && this.#playEndAtMs - now < this.#options.leadMs) {
      const chunk = this.#queue.shift();
      if (chunk === undefined) break;
      const chunkMs = (chunk.byteLength / 2 / this.#sampleRate) * 1000;
      this.#playEndAtMs = Math.max(this.#playEndAtMs, now) + chunkMs;
      this.#sentMs += chunkMs;
      this.#sink.send(chunk);
    }
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#queue.length > 0) {
      this.#timer = setTimeout(() => this.#pump(), Math.max(1, this.#playEndAtMs - this.#options.leadMs - now));
    } else if (this.#ended) {
      if (this.#finished()) this.#settle();
      else this.#timer = setTimeout(() => this.#pump(), Math.max(1, this.#playEndAtMs - now));
    }
  }

  #finished(): boolean {
    return this.#stopped || (this.#ended && this.#queue.length === 0 && this.#playEndAtMs <= this.#now());
  }

  #settle(): void {
    const resolve = this.#onDone;
    this.#onDone = null;
    resolve?.();
  }
}
