import { FRAME_MS, type SpeechScript } from "./speech-script.js";

/** One utterance as one speaker sent it (the k-th time round the loop). */
export interface SentUtterance {
  speakerId: string;
  /** Joined mid-utterance (the speaker's first frame): matched, so its transcript is expected, but not measured. */
  partial: boolean;
  /** Wall-clock ms when the frame holding its first / last speech sample went out. */
  startSentAtMs: number;
  endSentAtMs: number | null;
  /** Where the engine should place its end, in session-relative ms (the room's own timeline). */
  expectedEndMs: number | null;
  speakingAtMs: number | null;
  /** Where the engine should place its speech start, in session-relative ms; null when joined mid-utterance. */
  expectedStartMs: number | null;
  /** Wall-clock ms the speaker's first interim caption (`final: false`) of it arrived; null: none came. */
  firstInterimAtMs: number | null;
  /** Receiver participant id → wall-clock ms its final transcript arrived. */
  heardAtMs: Map<string, number>;
}

/** Transcript matching tolerance: the engine's end sits within VAD precision of ours (±150 ms tested). */
const MATCH_TOLERANCE_MS = 1_500;

/**
 * What one speaker sent and what came back for it. The room places a stream's first sample at
 * `now − room start − frame` (session-relative), so the generator knows where each utterance's end must appear in
 * the `transcript` messages and matches them by time, not by order: a missed utterance does not shift the others.
 */
export class SpeakerLedger {
  readonly utterances: SentUtterance[] = [];
  /** Frames sent so far; the next frame's index in this speaker's timeline. */
  framesSent = 0;
  #streamOffsetMs: number | null = null;
  #open: SentUtterance | null = null;
  unmatched = 0;
  duplicates = 0;
  readonly alignmentErrorsMs: number[] = [];

  constructor(
    readonly speakerId: string,
    private readonly sessionCreatedAtMs: number,
  ) {}

  /** Book-keeps one sent frame: `audioFrame` is its index in the looped audio. */
  frameSent(audioFrame: number, script: SpeechScript, nowMs: number): void {
    if (this.#streamOffsetMs === null) this.#streamOffsetMs = nowMs - this.sessionCreatedAtMs - FRAME_MS;
    const frameStartMs = audioFrame * FRAME_MS;
    const frameEndMs = frameStartMs + FRAME_MS;
    for (const u of script.utterances) {
      const starts = u.startMs >= frameStartMs && u.startMs < frameEndMs;
      const joinsInside = this.framesSent === 0 && u.startMs < frameStartMs && u.endMs > frameStartMs;
      if (this.#open === null && (starts || joinsInside)) {
        this.#open = {
          speakerId: this.speakerId,
          partial: !starts,
          startSentAtMs: nowMs,
          endSentAtMs: null,
          expectedEndMs: null,
          speakingAtMs: null,
          expectedStartMs: starts ? this.#streamOffsetMs + this.framesSent * FRAME_MS + (u.startMs - frameStartMs) : null,
          firstInterimAtMs: null,
          heardAtMs: new Map(),
        };
        this.utterances.push(this.#open);
      }
      if (this.#open !== null && u.endMs > frameStartMs && u.endMs <= frameEndMs) {
        this.#open.endSentAtMs = nowMs;
        this.#open.expectedEndMs = this.#streamOffsetMs + this.framesSent * FRAME_MS + (u.endMs - frameStartMs);
        this.#open = null;
      }
    }
    this.framesSent += 1;
  }

  /** Inside an utterance: stopping now would cut it. */
  get speaking(): boolean {
    return this.#open !== null;
  }

  speakingStarted(nowMs: number): void {
    for (let i = this.utterances.length - 1; i >= 0; i--) {
      const u = this.utterances[i];
      if (u === undefined || u.speakingAtMs !== null) return;
      if (u.startSentAtMs <= nowMs && nowMs - u.startSentAtMs < 10_000) {
        u.speakingAtMs = nowMs;
        return;
      }
    }
  }

  /**
   * An interim caption of this speaker's, at the speaker: matched by its start (the utterance's, padding included)
   * to the nearest utterance begun; only the first per utterance counts. Unmatched ones are not counted: an
   * interim's bounds are looser than a final's (a long utterance's later pieces start at their cut).
   */
  interimHeard(startMs: number, nowMs: number): void {
    const { best, error } = this.#nearest((u) => u.expectedStartMs, startMs);
    if (best === null || error > MATCH_TOLERANCE_MS || best.firstInterimAtMs !== null) return;
    best.firstInterimAtMs = nowMs;
  }

  transcriptHeard(receiverId: string, endMs: number, nowMs: number): void {
    const { best, error: bestError } = this.#nearest((u) => u.expectedEndMs, endMs);
    if (best === null || best.expectedEndMs === null || bestError > MATCH_TOLERANCE_MS) {
      this.unmatched += 1;
      return;
    }
    if (best.heardAtMs.has(receiverId)) {
      this.duplicates += 1;
      return;
    }
    best.heardAtMs.set(receiverId, nowMs);
    if (receiverId === this.speakerId) this.alignmentErrorsMs.push(endMs - best.expectedEndMs);
  }

  /** The utterance whose expected offset (`pick`) is nearest `atMs`, and how far it is. */
  #nearest(pick: (u: SentUtterance) => number | null, atMs: number): { best: SentUtterance | null; error: number } {
    let best: SentUtterance | null = null;
    let error = Infinity;
    for (const u of this.utterances) {
      const expected = pick(u);
      if (expected === null || Math.abs(expected - atMs) >= error) continue;
      best = u;
      error = Math.abs(expected - atMs);
    }
    return { best, error };
  }
}
