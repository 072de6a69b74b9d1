import type { Expression, FrameFace } from "../inference/pool-types.js";

export interface ExpressionTrackerOptions {
  /** An unchanged expression is sent again after this long (frame time), so late joiners and gaps are covered. */
  heartbeatMs: number;
  /** No face in a participant's frames for this long gets one `no_face`. */
  noFaceAfterMs: number;
}

export const DEFAULT_EXPRESSION_TRACKER_OPTIONS: ExpressionTrackerOptions = { heartbeatMs: 2_000, noFaceAfterMs: 10_000 };

/** What one analysed frame means for the room: what to show, whether to say it, whether the face is gone. */
export interface FrameVerdict {
  faces: number;
  /** The main face (the detector's best), or null when none is in view. */
  main: FrameFace | null;
  /** Send (and persist) an `expression` for this frame: the dominant expression or face count changed, or it is time. */
  announce: boolean;
  /** Set on the first frame of an absence of `noFaceAfterMs`: when the last face (or the first frame) was seen. */
  noFaceSinceMs: number | null;
}

interface Seen {
  expression: Expression | null;
  faces: number;
  announcedAtMs: number;
  /** The capture time of the last frame with a face, or of the camera's first frame. */
  faceSeenAtMs: number;
  noFaceSent: boolean;
}

/**
 * Per participant, what their camera last showed, in frame time (capture times, not timers): a camera that stops
 * sending is not a face that left, so nothing fires without frames.
 */
export class ExpressionTracker {
  readonly #options: ExpressionTrackerOptions;
  readonly #seen = new Map<string, Seen>();

  constructor(options: Partial<ExpressionTrackerOptions> = {}) {
    this.#options = { ...DEFAULT_EXPRESSION_TRACKER_OPTIONS, ...options };
  }

  observe(participantId: string, atMs: number, faces: readonly FrameFace[]): FrameVerdict {
    const main = faces[0] ?? null;
    const expression = main?.expression ?? null;
    const seen = this.#seen.get(participantId);
    if (seen === undefined) {
      this.#seen.set(participantId, { expression, faces: faces.length, announcedAtMs: atMs, faceSeenAtMs: atMs, noFaceSent: false });
      return { faces: faces.length, main, announce: true, noFaceSinceMs: null };
    }
    // Frames of one stream answer in order, but a late one after a reconnect must not move time back.
    if (atMs < seen.announcedAtMs) return { faces: faces.length, main, announce: false, noFaceSinceMs: null };
    const announce =
      expression !== seen.expression || faces.length !== seen.faces || atMs - seen.announcedAtMs >= this.#options.heartbeatMs;
    if (announce) {
      seen.expression = expression;
      seen.faces = faces.length;
      seen.announcedAtMs = atMs;
    }
    let noFaceSinceMs: number | null = null;
    if (main !== null) {
      seen.faceSeenAtMs = atMs;
      seen.noFaceSent = false;
    } else if (!seen.noFaceSent && atMs - seen.faceSeenAtMs >= this.#options.noFaceAfterMs) {
      seen.noFaceSent = true;
      noFaceSinceMs = seen.faceSeenAtMs;
    }
    return { faces: faces.length, main, announce, noFaceSinceMs };
  }

  /** The participant's camera stream ended: a new one starts afresh. */
  forget(participantId: string): void {
    this.#seen.delete(participantId);
  }
}
