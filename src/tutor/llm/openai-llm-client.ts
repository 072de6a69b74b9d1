import { OpenAI } from "openai";
import type { Logger } from "pino";
import type { ChatMessage, LlmCheck, LlmClient, LlmReplyRequest, LlmSettings } from "./llm-client.js";
import { LlmError } from "./llm-error.js";
import { asLlmError, isConnectionFailure, socketErrorCode } from "./openai-failure.js";
import { RequestBounds } from "./request-bounds.js";

export interface OpenAiLlmClientOptions {
  /** Base URL of the OpenAI-compatible API, `/v1` included (`http://localhost:11434/v1`). */
  baseUrl: string;
  /** Bearer key; null → a placeholder, since local servers need none but the library insists on one. */
  apiKey: string | null;
  /** The configured model, which `check()` looks for in the endpoint's list; requests name theirs in `settings`. */
  model: string | null;
  /** Bound on the wait for the first text delta (the model list, for `check()`). */
  firstTokenTimeoutMs: number;
  /** Bound on the whole reply. */
  totalTimeoutMs: number;
  /** Where the retry is logged (warn); null → not logged. */
  logger: Logger | null;
}

export const OPENAI_LLM_CLIENT_DEFAULTS = {
  apiKey: null,
  model: null,
  firstTokenTimeoutMs: 10_000,
  totalTimeoutMs: 60_000,
  logger: null,
} as const satisfies Partial<OpenAiLlmClientOptions>;

/** Sent as the bearer token when no key is set: the library refuses to start without one; local servers ignore it. */
const PLACEHOLDER_API_KEY = "no-key";

/**
 * The library's own timeout, set out of reach (the largest timer Node keeps: a longer one fires at once) so that
 * `RequestBounds` is the only bound. It only covers the wait for the response headers anyway.
 */
const LIBRARY_TIMEOUT_MS = 2_147_483_647;

/**
 * Streams tutor replies from any OpenAI-compatible chat-completions endpoint (Ollama, vLLM, llama.cpp server) with
 * the official `openai` library. Two bounds (first token, total), one retry on a refused or reset connection before
 * any text, the library's retries and timeouts off; the caller's signal closes the HTTP request at once.
 */
export class OpenAiLlmClient implements LlmClient {
  readonly #options: OpenAiLlmClientOptions;
  readonly #openai: OpenAI;

  constructor(options: Partial<OpenAiLlmClientOptions> & Pick<OpenAiLlmClientOptions, "baseUrl">) {
    this.#options = { ...OPENAI_LLM_CLIENT_DEFAULTS, ...options };
    this.#openai = new OpenAI({
      baseURL: this.#options.baseUrl,
      apiKey: this.#options.apiKey ?? PLACEHOLDER_API_KEY,
      // Set explicitly, or the library takes them from OPENAI_* environment variables meant for something else.
      organization: null,
      project: null,
      maxRetries: 0,
      timeout: LIBRARY_TIMEOUT_MS,
      // Failures reach the caller as LlmError; the library's console logging would duplicate them outside pino.
      logLevel: "off",
    });
  }

  async *streamReply(request: LlmReplyRequest): AsyncGenerator<string, void, undefined> {
    const { messages, settings, signal } = request;
    const bounds = new RequestBounds(signal, { ...this.#options, what: "reply" });
    let deltas = 0;
    try {
      for (let attempt = 1; ; attempt += 1) {
        const progress = { finished: false };
        try {
          for await (const delta of this.#attempt(messages, settings, bounds, progress)) {
            if (deltas === 0) bounds.firstTokenArrived();
            deltas += 1;
            yield delta;
          }
          // The library ends its stream quietly when its signal aborts: the reason says whether that was us. A
          // bound that ran out after the finish, while only the tail was left, cut nothing of the reply.
          const failure = bounds.failure;
          if (failure !== null && !(progress.finished && failure instanceof LlmError)) throw failure;
          return;
        } catch (error) {
          const failure = bounds.failure;
          if (failure !== null) throw failure;
          // Exactly one retry, and only before any text: after a delta the reply cannot be restarted unseen.
          if (attempt === 1 && deltas === 0 && isConnectionFailure(error)) {
            this.#options.logger?.warn({ err_code: socketErrorCode(error) ?? "connection" }, "language model connection failed, retrying once");
            continue;
          }
          throw asLlmError(error, "reply", deltas);
        }
      }
    } finally {
      bounds.dispose();
    }
  }

  async check(signal?: AbortSignal): Promise<LlmCheck> {
    const { firstTokenTimeoutMs, model } = this.#options;
    const bounds = new RequestBounds(signal, { firstTokenTimeoutMs, totalTimeoutMs: firstTokenTimeoutMs, what: "model list" });
    const started = performance.now();
    try {
      if (bounds.failure !== null) throw bounds.failure;
      const page = await this.#openai.models.list({ signal: bounds.signal, maxRetries: 0, timeout: LIBRARY_TIMEOUT_MS });
      const models = page.data.map((entry) => entry.id);
      return { models, model, modelListed: model !== null && models.includes(model), latencyMs: performance.now() - started };
    } catch (error) {
      throw bounds.failure ?? asLlmError(error, "model list");
    } finally {
      bounds.dispose();
    }
  }

  /** One request's text deltas, up to its `finish_reason`; the rest of the stream is read but not yielded. */
  async *#attempt(
    messages: readonly ChatMessage[],
    settings: LlmSettings,
    bounds: RequestBounds,
    progress: { finished: boolean },
  ): AsyncGenerator<string, void, undefined> {
    if (bounds.failure !== null) throw bounds.failure;
    const stream = await this.#openai.chat.completions.create(
      {
        model: settings.model,
        messages: messages.map(({ role, content }) => ({ role, content })),
        temperature: settings.temperature,
        // max_tokens, not max_completion_tokens: the one name Ollama, vLLM and llama.cpp server all take.
        max_tokens: settings.maxTokens,
        stream: true,
      },
      { signal: bounds.signal, maxRetries: 0, timeout: LIBRARY_TIMEOUT_MS },
    );
    for await (const chunk of stream) {
      // Read on to [DONE] after the finish (usage chunks may follow) so the connection stays reusable.
      if (progress.finished) continue;
      // `choices` is empty on usage chunks, and missing on some servers' keep-alive objects despite the type.
      const choice = chunk.choices?.[0];
      const content = choice?.delta?.content;
      if (typeof content === "string" && content !== "") yield content;
      if (choice?.finish_reason != null) progress.finished = true;
    }
  }
}
