import type { LlmClient } from "../tutor/llm/llm-client.js";

/** Whether the language model endpoint answered its model list, as a status route reports it. */
export interface LlmReachability {
  reachable: boolean;
  /** The list's round trip; null when it did not answer. */
  latencyMs: number | null;
  /** Why not, when it did not (the client's message: never the URL or key). */
  error: string | null;
}

export interface LlmProbeOptions {
  /** A probe's answer is reused this long: a status route cannot be used to hammer the endpoint. */
  cacheMs: number;
  /** Bound on one probe. */
  timeoutMs: number;
  now: () => number;
}

export const DEFAULT_LLM_PROBE_OPTIONS: LlmProbeOptions = { cacheMs: 5_000, timeoutMs: 3_000, now: () => performance.now() };

/**
 * A bounded, cached reachability check of the LLM endpoint (`GET /models`, as the tutor's prewarm asks): at most one
 * probe in flight, its answer shared by every caller for `cacheMs` after it settles.
 */
export class LlmProbe {
  readonly #llm: LlmClient;
  readonly #options: LlmProbeOptions;
  #last: { atMs: number; answer: Promise<LlmReachability> } | null = null;

  constructor(llm: LlmClient, options: Partial<LlmProbeOptions> = {}) {
    this.#llm = llm;
    this.#options = { ...DEFAULT_LLM_PROBE_OPTIONS, ...options };
  }

  check(): Promise<LlmReachability> {
    const now = this.#options.now();
    if (this.#last !== null && now - this.#last.atMs < this.#options.cacheMs) return this.#last.answer;
    const entry = { atMs: Number.POSITIVE_INFINITY, answer: this.#probe() };
    this.#last = entry;
    // The cache window starts when the probe settles; while it runs, `atMs` in the future keeps it shared.
    void entry.answer.finally(() => {
      entry.atMs = this.#options.now();
    });
    return entry.answer;
  }

  async #probe(): Promise<LlmReachability> {
    try {
      const checked = await this.#llm.check(AbortSignal.timeout(this.#options.timeoutMs));
      return { reachable: true, latencyMs: Math.round(checked.latencyMs), error: null };
    } catch (error) {
      return { reachable: false, latencyMs: null, error: error instanceof Error ? error.message : "the language model endpoint did not answer" };
    }
  }
}
