import { EngineError } from "../errors.js";
import { messageTokens } from "../tutor/llm/conversation-history.js";
import type { ChatMessage, LlmClient } from "../tutor/llm/llm-client.js";
import { isLlmAborted } from "../tutor/llm/llm-error.js";

/**
 * Transcript clean-up through the configured language model (the ASR service's `/api/llm/optimize`): one system
 * message saying what to do, the text as the user message, the reply's text as the result. No LLM, or one that
 * fails, is `llm_unavailable`: the text never comes back as if it had been optimised.
 */

export const OPTIMIZE_MODES = ["optimize", "format", "punctuate", "custom"] as const;
export type OptimizeMode = (typeof OPTIMIZE_MODES)[number];

export const OPTIMIZE_LIMITS = { maxTextChars: 20_000, maxPromptChars: 2_000 } as const;

const ANSWER_ONLY = "Answer with the resulting text only: no preamble, no explanation, no quotes around it.";

/** The instruction of each built-in mode (`custom` takes the caller's prompt instead). */
export const MODE_INSTRUCTIONS: Readonly<Record<Exclude<OptimizeMode, "custom">, string>> = {
  optimize:
    "You correct speech recognition transcripts. Fix words the recognizer got wrong (misheard words, homophones, split or merged words, names) from their context, and fix punctuation and capitalisation. Keep the meaning, the language and the speaker's wording otherwise: do not summarise, translate, add or remove content. " +
    ANSWER_ONLY,
  format:
    "You format speech recognition transcripts for reading. Split the text into paragraphs where the topic changes (a blank line between paragraphs) and add missing punctuation and capitalisation. Keep every word, their order and the language: do not summarise, translate, rephrase, or add headings or commentary. " +
    ANSWER_ONLY,
  punctuate:
    "Add punctuation and capitalisation to this speech recognition transcript. Change nothing else: do not add, remove, replace or reorder any word, and do not translate. " +
    ANSWER_ONLY,
};

export interface OptimizeRequest {
  text: string;
  mode: OptimizeMode;
  /** The instruction of mode `custom` (required there, ignored otherwise). */
  prompt?: string;
}

export interface TranscriptOptimizerOptions {
  /** The model asked for (LLM_MODEL); null → no model is configured. */
  model: string | null;
  temperature: number;
  /** Reply budget: this many times the text's tokens, plus `replyTokenMargin`, at most `maxReplyTokens`. */
  replyTokenFactor: number;
  replyTokenMargin: number;
  maxReplyTokens: number;
}

export const DEFAULT_TRANSCRIPT_OPTIMIZER_OPTIONS: TranscriptOptimizerOptions = {
  model: null,
  temperature: 0.2,
  replyTokenFactor: 2,
  replyTokenMargin: 64,
  maxReplyTokens: 16_384,
};

/** Characters as a reader counts them (code points: an emoji is one). */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** Refuses text the modes cannot take: empty, over 20,000 characters, or a custom prompt missing or over 2,000. */
export function checkOptimizeRequest(request: OptimizeRequest): void {
  if (request.text.trim() === "") throw new EngineError("invalid_text", "text is empty", { details: [{ path: "body.text", message: "required" }] });
  if (characterCount(request.text) > OPTIMIZE_LIMITS.maxTextChars) {
    throw new EngineError("invalid_text", `text is limited to ${OPTIMIZE_LIMITS.maxTextChars.toLocaleString("en")} characters`, {
      details: [{ path: "body.text", message: `at most ${OPTIMIZE_LIMITS.maxTextChars} characters` }],
    });
  }
  if (request.mode === "custom" && (request.prompt === undefined || request.prompt.trim() === "")) {
    throw new EngineError("invalid_request", "mode custom needs a prompt", { details: [{ path: "body.prompt", message: "required for mode custom" }] });
  }
  if (request.prompt !== undefined && characterCount(request.prompt) > OPTIMIZE_LIMITS.maxPromptChars) {
    throw new EngineError("invalid_text", `prompt is limited to ${OPTIMIZE_LIMITS.maxPromptChars.toLocaleString("en")} characters`, {
      details: [{ path: "body.prompt", message: `at most ${OPTIMIZE_LIMITS.maxPromptChars} characters` }],
    });
  }
}

/** The messages of one request: the mode's instruction (or the custom prompt) as the system message, the text as the user's. */
export function optimizeMessages(request: OptimizeRequest): ChatMessage[] {
  const instruction = request.mode === "custom" ? (request.prompt ?? "").trim() : MODE_INSTRUCTIONS[request.mode];
  return [
    { role: "system", content: instruction },
    { role: "user", content: request.text },
  ];
}

export class TranscriptOptimizer {
  readonly #llm: LlmClient;
  readonly #options: TranscriptOptimizerOptions;

  constructor(llm: LlmClient, options: Partial<TranscriptOptimizerOptions> = {}) {
    this.#llm = llm;
    this.#options = { ...DEFAULT_TRANSCRIPT_OPTIMIZER_OPTIONS, ...options };
  }

  get model(): string | null {
    return this.#options.model;
  }

  /** The model's text for `request` (checked first); rejects `llm_unavailable` when there is none to give. */
  async optimize(request: OptimizeRequest, signal: AbortSignal): Promise<string> {
    checkOptimizeRequest(request);
    const { model, temperature, replyTokenFactor, replyTokenMargin, maxReplyTokens } = this.#options;
    if (model === null) throw new EngineError("llm_unavailable", "no language model is configured (set LLM_URL and LLM_MODEL)");
    const maxTokens = Math.min(maxReplyTokens, Math.ceil(messageTokens(request.text) * replyTokenFactor) + replyTokenMargin);
    const parts: string[] = [];
    try {
      for await (const delta of this.#llm.streamReply({ messages: optimizeMessages(request), settings: { model, temperature, maxTokens }, signal })) {
        parts.push(delta);
      }
    } catch (error) {
      const message = isLlmAborted(error) ? "the request closed before the language model answered" : error instanceof Error ? error.message : "the language model failed";
      throw new EngineError("llm_unavailable", message, { cause: error });
    }
    const text = parts.join("").trim();
    if (text === "") throw new EngineError("llm_unavailable", "the language model answered with no text");
    return text;
  }
}
