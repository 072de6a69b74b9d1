import type { Logger } from "pino";
import type { LlmClient } from "./llm-client.js";
import { OPENAI_LLM_CLIENT_DEFAULTS, OpenAiLlmClient } from "./openai-llm-client.js";
import { UnconfiguredLlm } from "./unconfigured-llm.js";

/** The language model settings the engine reads from its environment (times in milliseconds). */
export interface LlmConfig {
  /** LLM_URL: OpenAI-compatible base URL, `/v1` included; null → no tutor replies (`llm_unavailable`). */
  llmUrl: string | null;
  /** LLM_MODEL: the model a tutor profile without one asks for, and the one `check()` looks for. */
  llmModel: string | null;
  /** LLM_API_KEY: bearer key; null → none (local servers need none). */
  llmApiKey: string | null;
  /** LLM_FIRST_TOKEN_TIMEOUT_MS: bound on the wait for the reply's first text. */
  llmFirstTokenTimeoutMs: number;
  /** LLM_TIMEOUT_MS: bound on the whole reply. */
  llmTimeoutMs: number;
}

export const llmConfigDefaults: LlmConfig = {
  llmUrl: null,
  llmModel: null,
  llmApiKey: null,
  llmFirstTokenTimeoutMs: OPENAI_LLM_CLIENT_DEFAULTS.firstTokenTimeoutMs,
  llmTimeoutMs: OPENAI_LLM_CLIENT_DEFAULTS.totalTimeoutMs,
};

/** The client for `config`: the OpenAI-compatible one when `LLM_URL` is set, else one that fails every call. */
export function createLlmClient(config: LlmConfig, logger: Logger | null = null): LlmClient {
  if (config.llmUrl === null) return new UnconfiguredLlm();
  return new OpenAiLlmClient({
    baseUrl: config.llmUrl,
    apiKey: config.llmApiKey,
    model: config.llmModel,
    firstTokenTimeoutMs: config.llmFirstTokenTimeoutMs,
    totalTimeoutMs: config.llmTimeoutMs,
    logger,
  });
}
