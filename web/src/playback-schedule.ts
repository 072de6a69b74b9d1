/**
 * When each chunk of the tutor's audio plays, on the audio clock (in ms): right after the one before, so chunks play
 * back to back; a chunk that comes once the queue has run dry (the first of a turn, or after a late one) starts a
 * little ahead of now, which absorbs the network's jitter instead of clicking at once on the next late chunk. Pure:
 * the page converts to the AudioContext's seconds.
 */
export interface PlaybackScheduleOptions {
  /** How far ahead of now a chunk starts when nothing is queued. */
  startLeadMs: number;
}

export const DEFAULT_PLAYBACK_SCHEDULE_OPTIONS: PlaybackScheduleOptions = { startLeadMs: 100 };

export class PlaybackSchedule {
  readonly #options: PlaybackScheduleOptions;
  /** When the last chunk placed ends; null when nothing was placed since the last restart. */
  #endMs: number | null = null;
  #gaps = 0;

  constructor(options: Partial<PlaybackScheduleOptions> = {}) {
    this.#options = { ...DEFAULT_PLAYBACK_SCHEDULE_OPTIONS, ...options };
  }

  /** Places a chunk of `durationMs` given the clock's `nowMs`: returns when it starts. */
  place(nowMs: number, durationMs: number): number {
    let startMs: number;
    if (this.#endMs !== null && this.#endMs > nowMs) startMs = this.#endMs;
    else {
      // The queue ran dry mid-stream: the listener heard a gap.
      if (this.#endMs !== null) this.#gaps += 1;
      startMs = nowMs + this.#options.startLeadMs;
    }
    this.#endMs = startMs + durationMs;
    return startMs;
  }

  /** Audio placed and not yet played at `nowMs`. */
  queuedMs(nowMs: number): number {
    return this.#endMs === null ? 0 : Math.max(0, this.#endMs - nowMs);
  }

  /** Times the queue ran dry between two chunks of a stream (heard as a gap). */
  get gaps(): number {
    return this.#gaps;
  }

  /**
   * Forgets what was placed: the next chunk starts afresh, and the pause before it is no gap. For a new turn (the
   * silence between turns), and once the queued sources were stopped (an interruption).
   */
  restart(): void {
    this.#endMs = null;
  }
}
