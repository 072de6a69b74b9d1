import type { LlmCheck, LlmClient, LlmReplyRequest } from "./llm-client.js";
import { LlmError } from "./llm-error.js";

const MESSAGE = "no language model is configured (set LLM_URL)";

/** The language model when `LLM_URL` is unset: every call fails with `llm_unavailable`, so nothing passes for a reply. */
export class UnconfiguredLlm implements LlmClient {
  /** Fails on the first step, as a refused request would. */
  async *streamReply(_request: LlmReplyRequest): AsyncGenerator<string, void, undefined> {
    throw new LlmError("unconfigured", MESSAGE);
  }

  check(_signal?: AbortSignal): Promise<LlmCheck> {
    return Promise.reject(new LlmError("unconfigured", MESSAGE));
  }
}
