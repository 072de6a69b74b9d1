import { readPcm16, pcm16SampleCount } from "./pcm16.js";
import { PlaybackSchedule, type PlaybackScheduleOptions } from "./playback-schedule.js";

/** What the player has done, for the panel's data attributes (tests read them; so can a curious user). */
export interface TutorAudioStats {
  /** The AudioContext's state: audio is dropped unless "running". */
  state: AudioContextState;
  sampleRate: number | null;
  scheduled: number;
  /** Chunks heard to their end. */
  played: number;
  /** Chunks cut by an interruption (playing or still queued). */
  stopped: number;
  /** Chunks not played: the context was suspended (no gesture yet), or no rate was stated. */
  dropped: number;
  /** Audio scheduled in all, in ms. */
  scheduledMs: number;
  /** Sources started or queued and not yet ended. */
  active: number;
  /** Audio queued ahead of the context's clock, in ms. */
  queuedMs: number;
  /** Times the queue ran dry mid-turn. */
  gaps: number;
}

/**
 * Plays the tutor's `tutor.audio` (16-bit mono PCM at the turn's stated rate) with Web Audio: each chunk an
 * AudioBuffer, started when the one before ends. Interrupted, it stops every source at once, queued ones included,
 * and starts the schedule afresh. Browsers start an AudioContext suspended until a user gesture: `resume()` on one.
 */
export class TutorAudio {
  readonly #context = new AudioContext({ latencyHint: "interactive" });
  readonly #schedule: PlaybackSchedule;
  readonly #sources = new Set<AudioBufferSourceNode>();
  readonly #onChange: () => void;
  #sampleRate: number | null = null;
  #turnId: number | null = null;
  readonly #counts = { scheduled: 0, played: 0, stopped: 0, dropped: 0, scheduledMs: 0 };

  constructor(onChange: () => void, options: Partial<PlaybackScheduleOptions> = {}) {
    this.#onChange = onChange;
    this.#schedule = new PlaybackSchedule(options);
    this.#context.addEventListener("statechange", onChange);
  }

  get state(): AudioContextState {
    return this.#context.state;
  }

  /** Call from a user gesture (a click, a key press): browsers allow audio only after one. */
  resume(): Promise<void> {
    return this.#context.state === "suspended" ? this.#context.resume() : Promise.resolve();
  }

  /** A turn stated the rate of its audio; a new turn's first chunk starts afresh, not as a late chunk of the last. */
  startTurn(turnId: number, sampleRate: number): void {
    if (turnId !== this.#turnId) this.#schedule.restart();
    this.#turnId = turnId;
    this.#sampleRate = sampleRate;
  }

  play(pcm16: Uint8Array): void {
    const samples = pcm16SampleCount(pcm16);
    if (samples === 0) return;
    if (this.#context.state !== "running" || this.#sampleRate === null) {
      this.#counts.dropped += 1;
      this.#onChange();
      return;
    }
    const buffer = this.#context.createBuffer(1, samples, this.#sampleRate);
    readPcm16(pcm16, buffer.getChannelData(0));
    const source = this.#context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.#context.destination);
    const durationMs = (samples / this.#sampleRate) * 1000;
    source.start(this.#schedule.place(this.#context.currentTime * 1000, durationMs) / 1000);
    source.onended = () => {
      if (this.#sources.delete(source)) this.#counts.played += 1;
      source.disconnect();
      this.#onChange();
    };
    this.#sources.add(source);
    this.#counts.scheduled += 1;
    this.#counts.scheduledMs += durationMs;
    this.#onChange();
  }

  /** Stops everything playing or queued, now (`tutor.interrupted`, leaving). */
  stop(): void {
    for (const source of this.#sources) {
      source.onended = null;
      source.stop();
      source.disconnect();
      this.#counts.stopped += 1;
    }
    this.#sources.clear();
    this.#schedule.restart();
    this.#onChange();
  }

  async close(): Promise<void> {
    this.stop();
    if (this.#context.state !== "closed") await this.#context.close();
  }

  stats(): TutorAudioStats {
    return {
      ...this.#counts,
      state: this.#context.state,
      sampleRate: this.#sampleRate,
      active: this.#sources.size,
      queuedMs: this.#schedule.queuedMs(this.#context.currentTime * 1000),
      gaps: this.#schedule.gaps,
    };
  }
}
