import { BRIDGE_SAMPLE_RATE } from "./bridge-audio.js";

export interface AudioStreamerOptions {
  /** Audio per room message (the room takes 10–100 ms). */
  chunkMs: number;
  /** Speed against real time: the room's audio budget allows 1.5×; a little under leaves room for timer jitter. */
  speed: number;
  /** Silence sent after each utterance, so speech detection ends it as a turn (a recording ends without a pause). */
  trailingSilenceMs: number;
}

export const DEFAULT_AUDIO_STREAMER_OPTIONS: AudioStreamerOptions = { chunkMs: 100, speed: 1.25, trailingSilenceMs: 1_200 };

/**
 * Streams a bridge client's recordings into its room seat as a microphone would: 100 ms messages at a little over
 * real time, one recording after the other, each followed by silence. A recording is a whole utterance on that
 * server's protocol; in the room it must arrive as speech does.
 */
export class AudioStreamer {
  readonly #send: (pcm16: Uint8Array) => void;
  readonly #maxQueued: number;
  readonly #options: AudioStreamerOptions;
  /** Recordings not yet fully sent, each as its messages; the first is streaming. */
  readonly #recordings: Uint8Array[][] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(send: (pcm16: Uint8Array) => void, maxQueued: number, options: Partial<AudioStreamerOptions> = {}) {
    this.#send = send;
    this.#maxQueued = maxQueued;
    this.#options = { ...DEFAULT_AUDIO_STREAMER_OPTIONS, ...options };
  }

  /** Whether another recording may be queued (checked before decoding one, so a flood decodes nothing). */
  hasRoom(): boolean {
    return this.#recordings.length <= this.#maxQueued;
  }

  /** Queues a recording (16-bit PCM at 16 kHz); false when the queue is full. */
  enqueue(pcm16: Uint8Array): boolean {
    if (!this.hasRoom()) return false;
    const chunkBytes = Math.round((BRIDGE_SAMPLE_RATE * this.#options.chunkMs) / 1000) * 2;
    const silenceBytes = Math.round((BRIDGE_SAMPLE_RATE * this.#options.trailingSilenceMs) / 1000) * 2;
    // Whole messages only: the room refuses one under 10 ms, so the silence fills the last one up.
    const padded = new Uint8Array(Math.ceil((pcm16.byteLength + silenceBytes) / chunkBytes) * chunkBytes);
    padded.set(pcm16, 0);
    const messages: Uint8Array[] = [];
    for (let offset = 0; offset < padded.byteLength; offset += chunkBytes) {
      messages.push(padded.subarray(offset, Math.min(offset + chunkBytes, padded.byteLength)));
    }
    this.#recordings.push(messages);
    this.#pump();
    return true;
  }

  /** Whether a recording is being sent or waits. */
  get streaming(): boolean {
    return this.#recordings.length > 0 || this.#timer !== null;
  }

  stop(): void {
    this.#recordings.length = 0;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #pump(): void {
    if (this.#timer !== null) return;
    const current = this.#recordings[0];
    const chunk = current?.shift();
    if (current === undefined || chunk === undefined) return;
    if (current.length === 0) this.#recordings.shift();
    this.#send(chunk);
    const chunkMs = (chunk.byteLength / 2 / BRIDGE_SAMPLE_RATE) * 1000;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#pump();
    }, chunkMs / this.#options.speed);
  }
}
