import { ROOM_ERROR_CODES, type RoomErrorCode } from "../protocol/error-codes.js";
import type { PoolErrorCode } from "../inference/pool-types.js";

/** What a room's media parts see of the pool: its codes, and `inference_unavailable` when the link gives up. */
export type MediaErrorCode = PoolErrorCode | "inference_unavailable";

/**
 * What a participant is told of a pool error: the pool's code when it means something to them, `inference_unavailable`
 * when the pool refused this engine (a wrong secret: the operator's to fix), `internal` for the link's own mistakes.
 */
export function participantCode(code: MediaErrorCode): RoomErrorCode {
  if (code === "unauthorized") return "inference_unavailable";
  return (ROOM_ERROR_CODES as readonly string[]).includes(code) ? (code as RoomErrorCode) : "internal";
}

/**
 * At most one notice of each code per participant in a window: a failing pool must not flood a client with the same
 * error for every chunk or frame. A participant's entries go when their stream ends.
 */
export class ErrorNotices {
  readonly #windowMs: number;
  readonly #lastMs = new Map<string, Map<MediaErrorCode, number>>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** True when this participant may be told of `code` now (and then not again within the window). */
  allow(participantId: string, code: MediaErrorCode, nowMs: number): boolean {
    const notices = this.#lastMs.get(participantId) ?? new Map<MediaErrorCode, number>();
    if (nowMs - (notices.get(code) ?? Number.NEGATIVE_INFINITY) < this.#windowMs) return false;
    notices.set(code, nowMs);
    this.#lastMs.set(participantId, notices);
    return true;
  }

  forget(participantId: string): void {
    this.#lastMs.delete(participantId);
  }
}
