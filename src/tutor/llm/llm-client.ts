/**
 * What the tutor needs of a language model: a streamed reply and a readiness check. `OpenAiLlmClient` speaks to any
 * OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server); `UnconfiguredLlm` stands in when none is configured
 * and fails every call. Failures are `LlmError` (`llm_unavailable`); the caller's abort is `LlmAborted`.
 */

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface LlmSettings {
  model: string;
  temperature: number;
  /** The reply's token budget (sent as `max_tokens`). */
  maxTokens: number;
}

export interface LlmReplyRequest {
  messages: readonly ChatMessage[];
  settings: LlmSettings;
  /** Aborting it closes the HTTP request at once; the iterator then throws `LlmAborted`. */
  signal: AbortSignal;
}

/** The endpoint answered its model list. */
export interface LlmCheck {
  /** Model ids the endpoint lists. */
  models: string[];
  /** The configured model (null when none is), and whether the list names it: some servers serve models they do not list. */
  model: string | null;
  modelListed: boolean;
  latencyMs: number;
}

export interface LlmClient {
  /** The reply's text as it streams, one non-empty delta at a time; throws `LlmError` or `LlmAborted`. */
  streamReply(request: LlmReplyRequest): AsyncIterable<string>;
  /** Whether the endpoint answers (`GET /models`), for prewarm and readiness; throws `LlmError` or `LlmAborted`. */
  check(signal?: AbortSignal): Promise<LlmCheck>;
}
