import { orAfter } from "../or-after.js";
/**
 * A room's media streams closed but not yet acknowledged by the pool (their last utterance or frame may still be in
 * analysis): draining waits for them, bounded.
 */
export class ClosingStreams {
  readonly #waiting = new Map<string, () => void>();

  add(streamId: string): void {
    this.#waiting.set(streamId, () => {});
  }

  /** The pool acknowledged the close: nothing more will come for the stream. */
  closed(streamId: string): void {
    const resolve = this.#waiting.get(streamId);
    this.#waiting.delete(streamId);
    resolve?.();
  }

  /** Resolves once every stream closing now is acknowledged, or after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    const pending = [...this.#waiting.keys()].map((streamId) => new Promise<void>((resolve) => this.#waiting.set(streamId, resolve)));
    if (pending.length === 0) return;
    await orAfter(Promise.all(pending), timeoutMs, undefined);
  }
}
