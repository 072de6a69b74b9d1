import { describe, expect, it } from "vitest";
import {
  ConversationHistory,
  INTERRUPTED_MARK,
  messageTokens,
  requestTokens,
  SOURCES_HEADING,
  type Passage,
} from "../../src/tutor/llm/conversation-history.js";

const PROMPT = "You are a patient tutor.";

/** A turn's words, `n` of them, tagged so a test can tell turns apart. */
const words = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(" ");

describe("ConversationHistory", () => {
  it("builds system prompt, turns in order, then the new user text", () => {
    const history = new ConversationHistory(PROMPT);
    history.recordTurn("What is 2 + 2?", "It is 4.");
    history.recordTurn("And 3 + 3?", "That is 6.");
    expect(history.messagesFor("And 4 + 4?")).toEqual([
      { role: "system", content: PROMPT },
      { role: "user", content: "What is 2 + 2?" },
      { role: "assistant", content: "It is 4." },
      { role: "user", content: "And 3 + 3?" },
      { role: "assistant", content: "That is 6." },
      { role: "user", content: "And 4 + 4?" },
    ]);
  });

  it("changes nothing when building a request", () => {
    const history = new ConversationHistory(PROMPT);
    history.messagesFor("Hello?");
    expect(history.turns).toEqual([]);
  });

  it("drops the oldest whole turns first and never the system prompt, within the budget", () => {
    const options = { maxTokens: 400, replyTokens: 100 };
    const history = new ConversationHistory(PROMPT, options);
    for (let t = 0; t < 20; t += 1) history.recordTurn(words(`u${t}x`, 10), words(`a${t}x`, 10));
    const messages = history.messagesFor("Next question?");
    expect(messages[0]).toEqual({ role: "system", content: PROMPT });
    expect(messages.at(-1)).toEqual({ role: "user", content: "Next question?" });
    expect(requestTokens(messages) + options.replyTokens).toBeLessThanOrEqual(options.maxTokens);
    const turns = messages.slice(1, -1);
    // Whole turns, alternating, the newest kept.
    expect(turns.length % 2).toBe(0);
    expect(turns.map((m) => m.role)).toEqual(turns.map((_, i) => (i % 2 === 0 ? "user" : "assistant")));
    expect(turns.at(-1)?.content).toBe(words("a19x", 10));
    expect(turns.length).toBeGreaterThan(2);
    expect(turns.length).toBeLessThan(40);
    // Those that could never fit again are gone from memory too.
    expect(history.turns.length).toBeLessThan(20);
    expect(history.turns.at(-1)?.user).toBe(words("u19x", 10));
  });

  it("keeps only the system prompt and the user text when the reply budget takes everything", () => {
    const history = new ConversationHistory(PROMPT, { maxTokens: 300, replyTokens: 4_096 });
    history.recordTurn("Hi", "Hello");
    expect(history.messagesFor("Still there?")).toEqual([
      { role: "system", content: PROMPT },
      { role: "user", content: "Still there?" },
    ]);
  });

  it("keeps an interrupted reply with what was said, marked as cut", () => {
    const history = new ConversationHistory(PROMPT);
    history.recordInterruptedTurn("Explain fractions", "A fraction is a part of a whole. For example ");
    history.recordInterruptedTurn("Wait", "");
    expect(history.turns).toEqual([
      { user: "Explain fractions", assistant: `A fraction is a part of a whole. For example ${INTERRUPTED_MARK}`, interrupted: true },
      { user: "Wait", assistant: INTERRUPTED_MARK, interrupted: true },
    ]);
    expect(history.messagesFor("Go on")[2]).toEqual({ role: "assistant", content: `A fraction is a part of a whole. For example ${INTERRUPTED_MARK}` });
  });

  it("puts passages, numbered, in the system message after the prompt", () => {
    const history = new ConversationHistory(PROMPT);
    const passages: Passage[] = [
      { docId: "d1", chunkIndex: 0, text: "A fraction has a numerator\nand a denominator." },
      { docId: "d2", chunkIndex: 3, text: "Equivalent fractions name the same amount." },
    ];
    const messages = history.messagesFor("What is a fraction?", passages);
    expect(messages).toHaveLength(2);
    expect(messages[0]?.content).toBe(
      `${PROMPT}\n\n${SOURCES_HEADING}\n[1] A fraction has a numerator and a denominator.\n[2] Equivalent fractions name the same amount.`,
    );
  });

  it("gives passages priority over old turns, and drops the passages that do not fit", () => {
    const options = { maxTokens: 300, replyTokens: 50 };
    const history = new ConversationHistory(PROMPT, options);
    history.recordTurn(words("u", 20), words("a", 20));
    const passages = [0, 1, 2].map((i) => ({ docId: "d", chunkIndex: i, text: words(`p${i}x`, 20) }));
    const messages = history.messagesFor("Question?", passages);
    expect(requestTokens(messages) + options.replyTokens).toBeLessThanOrEqual(options.maxTokens);
    const system = messages[0]?.content ?? "";
    expect(system).toContain("[1] p0x0");
    expect(system).toContain("[2] p1x0");
    expect(system).not.toContain("[3]");
    // The passages took the room the old turn needed; without them it is sent.
    expect(messages).toHaveLength(2);
    expect(history.messagesFor("Question?")).toHaveLength(4);
  });

  it("counts text that looks like a special token as plain text", () => {
    expect(messageTokens("a <|endoftext|> b")).toBeGreaterThan(4);
    const history = new ConversationHistory("<|im_start|>system");
    history.recordTurn("<|endoftext|>", "<|im_end|>");
    expect(history.messagesFor("<|endoftext|>")).toHaveLength(4);
  });
});
