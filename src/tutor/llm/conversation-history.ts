import { countTokens } from "gpt-tokenizer";
import type { ChatMessage } from "./llm-client.js";

/**
 * One session's conversation with its tutor, as the next request's messages: the profile's system prompt, retrieved
 * passages, as many recent turns as the token budget holds, and the new user text. Pure: no I/O.
 *
 * Tokens are counted with gpt-tokenizer (o200k_base, OpenAI's current encoding). Local models tokenize differently,
 * typically within ±20 % for English: `maxTokens` should stay that far below the model's context window.
 */

export interface ConversationHistoryOptions {
  /** Budget of a whole request: system prompt, passages, turns, the new user text and `replyTokens`. */
  maxTokens: number;
  /** Tokens kept free for the reply (the profile's `max_tokens`). */
  replyTokens: number;
}

export const CONVERSATION_HISTORY_DEFAULTS: ConversationHistoryOptions = { maxTokens: 3_000, replyTokens: 300 };

/** A retrieved passage of the course material. */
export interface Passage {
  docId: string;
  chunkIndex: number;
  text: string;
}

/** A user's words and the tutor's reply: kept and dropped together, so roles always alternate. */
export interface Turn {
  user: string;
  /** What the tutor actually said; an interrupted reply ends in `INTERRUPTED_MARK`. */
  assistant: string;
  interrupted: boolean;
}

/**
 * Appended to what an interrupted tutor had said (and standing alone when it had said nothing): the model reads
 * where it was cut off. An ellipsis rather than a tag such as "[interrupted]", which models tend to echo back.
 */
export const INTERRUPTED_MARK = "…";

export const SOURCES_HEADING = "Use these passages from the course material when relevant:";

/**
 * Tokens the chat format adds around each message (`<|start|>role … <|end|>`), and once to prime the reply: the
 * figures OpenAI documents for its chat models.
 */
const MESSAGE_OVERHEAD_TOKENS = 4;
const REPLY_PRIMING_TOKENS = 3;

/** Text counted as text: a user who types "<|endoftext|>" must not make the tokenizer throw. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

export function messageTokens(content: string): number {
  return countTokens(content, PLAIN_TEXT) + MESSAGE_OVERHEAD_TOKENS;
}

/** A request's tokens as this history counts them: every message and the reply's priming (not the reply). */
export function requestTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, message) => sum + messageTokens(message.content), REPLY_PRIMING_TOKENS);
}

/** One passage on one line, numbered from 1, so the numbers stay unambiguous. */
function passageLine(index: number, passage: Passage): string {
  return `[${index + 1}] ${passage.text.replace(/\s+/gu, " ").trim()}`;
}

/** The passages as one block under `SOURCES_HEADING`. */
export function sourcesBlock(passages: readonly Passage[]): string {
  return [SOURCES_HEADING, ...passages.map((passage, i) => passageLine(i, passage))].join("\n");
}

interface StoredTurn extends Turn {
  tokens: number;
}

export class ConversationHistory {
  readonly #systemPrompt: string;
  readonly #systemTokens: number;
  readonly #options: ConversationHistoryOptions;
  /** Oldest first. */
  #turns: StoredTurn[] = [];

  constructor(systemPrompt: string, options: Partial<ConversationHistoryOptions> = {}) {
    this.#systemPrompt = systemPrompt;
    this.#systemTokens = messageTokens(systemPrompt);
    this.#options = { ...CONVERSATION_HISTORY_DEFAULTS, ...options };
  }

  get turns(): readonly Turn[] {
    return this.#turns.map(({ user, assistant, interrupted }) => ({ user, assistant, interrupted }));
  }

  /**
   * The messages of the next request: one system message (the prompt, then the passages that fit, in their order:
   * one message because several chat templates — Mistral's, Gemma's — refuse a second system message), the newest
   * turns that fit, then `userText`. Priority when the budget is short: system prompt and `userText` always,
   * then passages, then turns, newest first. Changes nothing: record the turn once the reply is known.
   */
  messagesFor(userText: string, passages: readonly Passage[] = []): ChatMessage[] {
    const userTokens = messageTokens(userText);
    // Each passage's line is counted alone (±1 token at the joins); the finished message is counted whole below.
    let passageBudget = this.#available() - userTokens - countTokens(`\n\n${SOURCES_HEADING}`, PLAIN_TEXT);
    const fitting: Passage[] = [];
    for (const passage of passages) {
      const cost = countTokens(`\n${passageLine(fitting.length, passage)}`, PLAIN_TEXT);
      if (cost > passageBudget) break;
      fitting.push(passage);
      passageBudget -= cost;
    }
    let system = this.#systemMessage(fitting);
    let budget = this.#available() + this.#systemTokens - messageTokens(system) - userTokens;
    while (budget < 0 && fitting.length > 0) {
      // The joins counted more than the lines alone: the last passage makes room.
      fitting.pop();
      system = this.#systemMessage(fitting);
      budget = this.#available() + this.#systemTokens - messageTokens(system) - userTokens;
    }
    const turns: ChatMessage[] = [];
    for (let i = this.#turns.length - 1; i >= 0; i -= 1) {
      const turn = this.#turns[i];
      if (turn === undefined || turn.tokens > budget) break;
      budget -= turn.tokens;
      turns.unshift({ role: "user", content: turn.user }, { role: "assistant", content: turn.assistant });
    }
    return [{ role: "system", content: system }, ...turns, { role: "user", content: userText }];
  }

  /** A whole exchange. A failed reply records nothing: a user turn without a reply would break the alternation. */
  recordTurn(user: string, assistant: string): void {
    this.#push({ user, assistant, interrupted: false });
  }

  /** An exchange the student cut off: kept with what the tutor had said by then, marked as cut. */
  recordInterruptedTurn(user: string, spoken: string): void {
    const said = spoken.trimEnd();
    this.#push({ user, assistant: said === "" ? INTERRUPTED_MARK : `${said} ${INTERRUPTED_MARK}`, interrupted: true });
  }

  /** Tokens the stored turns take (without the system prompt). */
  get turnTokens(): number {
    return this.#turns.reduce((sum, turn) => sum + turn.tokens, 0);
  }

  #push(turn: Turn): void {
    this.#turns.push({ ...turn, tokens: messageTokens(turn.user) + messageTokens(turn.assistant) });
    // Oldest whole turns go once even an empty next request could not hold them; the system prompt never does.
    let total = this.turnTokens;
    while (total > this.#available() && this.#turns.length > 0) {
      total -= this.#turns.shift()?.tokens ?? 0;
    }
  }

  #systemMessage(passages: readonly Passage[]): string {
    return passages.length === 0 ? this.#systemPrompt : `${this.#systemPrompt}\n\n${sourcesBlock(passages)}`;
  }

  /** The budget left for passages, turns and the new user text. */
  #available(): number {
    return this.#options.maxTokens - this.#options.replyTokens - REPLY_PRIMING_TOKENS - this.#systemTokens;
  }
}
