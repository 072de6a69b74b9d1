import { MODEL_SAMPLE_RATE } from "../../src/inference/pool-types.js";

/** 20 ms of 16 kHz 16-bit mono: what a browser's microphone sends per message. */
export const MIC_FRAME_MS = 20;
export const MIC_FRAME_SAMPLES = (MODEL_SAMPLE_RATE * MIC_FRAME_MS) / 1000;
export const MIC_FRAME_BYTES = MIC_FRAME_SAMPLES * 2;

/**
 * A frame is speech when a sample reaches −40 dBFS (0.01 of full scale); the microphone's silence is digital zeros,
 * and eSpeak's lead-in and tail are quieter than this. Used for the bench's clock only, never by the engine.
 */
export const VOICED_PEAK = 328;

/** An utterance cut into microphone frames, with where its speech starts and ends. */
export interface MicUtterance {
  frames: Uint8Array[];
  /** First and last frame with speech in it (−1 when there is none). */
  firstVoicedFrame: number;
  lastVoicedFrame: number;
}

/** Cuts PCM16 into whole frames (the last one zero-padded) and finds the speech in them. */
export function micUtterance(pcm16: Uint8Array): MicUtterance {
  const frames: Uint8Array[] = [];
  let firstVoicedFrame = -1;
  let lastVoicedFrame = -1;
  for (let offset = 0; offset < pcm16.byteLength; offset += MIC_FRAME_BYTES) {
    const frame = new Uint8Array(MIC_FRAME_BYTES);
    frame.set(pcm16.subarray(offset, Math.min(offset + MIC_FRAME_BYTES, pcm16.byteLength & ~1)));
    if (isVoiced(frame)) {
      if (firstVoicedFrame < 0) firstVoicedFrame = frames.length;
      lastVoicedFrame = frames.length;
    }
    frames.push(frame);
  }
  return { frames, firstVoicedFrame, lastVoicedFrame };
}

function isVoiced(frame: Uint8Array): boolean {
  const samples = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  for (let i = 0; i + 1 < frame.byteLength; i += 2) {
    if (Math.abs(samples.getInt16(i, true)) >= VOICED_PEAK) return true;
  }
  return false;
}

/** When (on the microphone's clock) an utterance's frames went out. */
export interface SentUtterance {
  /** The first frame with speech in it was sent: the student started speaking. */
  firstVoicedAtMs: number;
  /** The last frame with speech in it was sent: the student stopped speaking (t0 of the turn). */
  lastVoicedAtMs: number;
  /** The utterance's last frame was sent. */
  endedAtMs: number;
}

interface Speaking {
  utterance: MicUtterance;
  next: number;
  firstVoicedAtMs: number;
  lastVoicedAtMs: number;
  resolve: (sent: SentUtterance) => void;
}

/**
 * A live microphone: one frame every 20 ms on an absolute schedule (no drift: a late tick sends every frame due),
 * silence unless an utterance is being said. Frames are sent, never buffered: the student's clock is the send time.
 */
export class Microphone {
  readonly #send: (frame: Uint8Array) => void;
  readonly #now: () => number;
  readonly #silence = new Uint8Array(MIC_FRAME_BYTES);
  #startedAtMs = 0;
  #framesSent = 0;
  #timer: NodeJS.Timeout | null = null;
  #speaking: Speaking | null = null;
  #maxLagMs = 0;

  constructor(send: (frame: Uint8Array) => void, now: () => number = () => performance.now()) {
    this.#send = send;
    this.#now = now;
  }

  /** The most a frame went out after its due time (the student's own event loop was busy). */
  get maxLagMs(): number {
    return this.#maxLagMs;
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#startedAtMs = this.#now();
    this.#framesSent = 0;
    this.#tick();
  }

  /** Says an utterance (from the next frame on); resolves once its last frame is sent. One at a time. */
  say(utterance: MicUtterance): Promise<SentUtterance> {
    if (this.#speaking !== null) return Promise.reject(new Error("the microphone is already saying something"));
    return new Promise((resolve) => {
      this.#speaking = { utterance, next: 0, firstVoicedAtMs: Number.NaN, lastVoicedAtMs: Number.NaN, resolve };
    });
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #tick(): void {
    const now = this.#now();
    const due = Math.floor((now - this.#startedAtMs) / MIC_FRAME_MS) + 1;
    this.#maxLagMs = Math.max(this.#maxLagMs, (due - 1 - this.#framesSent) * MIC_FRAME_MS);
    while (this.#framesSent < due) this.#sendFrame();
    const nextAtMs = this.#startedAtMs + this.#framesSent * MIC_FRAME_MS;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, nextAtMs - this.#now()));
  }

  #sendFrame(): void {
    const speaking = this.#speaking;
    this.#framesSent += 1;
    if (speaking === null) {
      this.#send(this.#silence);
      return;
    }
    const index = speaking.next;
    speaking.next += 1;
    const frame = speaking.utterance.frames[index] ?? this.#silence;
    this.#send(frame);
    const sentAtMs = this.#now();
    if (index === speaking.utterance.firstVoicedFrame) speaking.firstVoicedAtMs = sentAtMs;
    if (index === speaking.utterance.lastVoicedFrame) speaking.lastVoicedAtMs = sentAtMs;
    if (speaking.next >= speaking.utterance.frames.length) {
      this.#speaking = null;
      speaking.resolve({ firstVoicedAtMs: speaking.firstVoicedAtMs, lastVoicedAtMs: speaking.lastVoicedAtMs, endedAtMs: sentAtMs });
    }
  }
}
