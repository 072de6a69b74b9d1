import { LlmAborted, LlmError } from "./llm-error.js";

export interface RequestBoundsOptions {
  /** Until `firstTokenArrived()`; from the start, across the retry too: it bounds what the student waits for. */
  firstTokenTimeoutMs: number;
  /** Wall-clock bound of the whole call, the retry and a slow reader included. */
  totalTimeoutMs: number;
  /** What the call is, for the timeout messages ("reply", "model list"). */
  what: string;
}

/**
 * One call's abort signal: the caller's signal, a first-token timer and a total timer, whichever comes first. Its
 * `reason` is the error the call ends with (`LlmAborted` or an `LlmError` naming the bound), so the request is
 * aborted at once when a bound runs out, whether or not anyone is reading the reply at that moment.
 */
export class RequestBounds {
  readonly #controller = new AbortController();
  readonly #caller: AbortSignal | undefined;
  readonly #onCallerAbort = () => this.#abort(new LlmAborted());
  #firstTokenTimer: NodeJS.Timeout | undefined;
  #totalTimer: NodeJS.Timeout | undefined;

  constructor(caller: AbortSignal | undefined, options: RequestBoundsOptions) {
    this.#caller = caller;
    if (caller?.aborted === true) {
      this.#abort(new LlmAborted());
      return;
    }
    caller?.addEventListener("abort", this.#onCallerAbort, { once: true });
    const { firstTokenTimeoutMs, totalTimeoutMs, what } = options;
    // unref: a pending bound must not hold the process open at shutdown; the request's socket does while it runs.
    this.#firstTokenTimer = setTimeout(
      () => this.#abort(new LlmError("first_token_timeout", `the language model sent no ${what} within the first-token bound of ${firstTokenTimeoutMs} ms`)),
      firstTokenTimeoutMs,
    ).unref();
    this.#totalTimer = setTimeout(
      () => this.#abort(new LlmError("total_timeout", `the language model's ${what} did not finish within the total bound of ${totalTimeoutMs} ms`)),
      totalTimeoutMs,
    ).unref();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The error the call ends with once `signal` is aborted; null while it is not. */
  get failure(): LlmError | LlmAborted | null {
    if (!this.#controller.signal.aborted) return null;
    const reason: unknown = this.#controller.signal.reason;
    return reason instanceof LlmError || reason instanceof LlmAborted ? reason : new LlmAborted();
  }

  firstTokenArrived(): void {
    clearTimeout(this.#firstTokenTimer);
  }

  /** Ends the bounds; aborts the request if it is still open (a reader that stopped early). */
  dispose(): void {
    this.#abort(new LlmAborted("the reader stopped before the reply ended"));
  }

  #abort(reason: LlmError | LlmAborted): void {
    clearTimeout(this.#firstTokenTimer);
    clearTimeout(this.#totalTimer);
    this.#caller?.removeEventListener("abort", this.#onCallerAbort);
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }
}
