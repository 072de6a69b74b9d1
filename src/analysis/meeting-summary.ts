import { z } from "zod";
import { storable } from "../storable-text.js";
import { messageTokens, requestTokens } from "../tutor/llm/conversation-history.js";
import type { ChatMessage, LlmClient } from "../tutor/llm/llm-client.js";
import type { MeetingSummary, SummaryUnavailable } from "./meeting-analysis-schema.js";

/**
 * A meeting's summary and action items from the language model: one bounded request (the transcript condensed to a
 * token budget), a reply asked for as JSON and validated. Anything else — no model, a failure, a timeout, a reply
 * that is not that JSON — is `summary: null` with the reason: never a summary made up here.
 */

export interface MeetingSummaryOptions {
  /** Budget of the whole request (counted with gpt-tokenizer, as the tutor's history is): prompt, transcript, reply. */
  maxRequestTokens: number;
  /** The reply's budget (`max_tokens`). */
  replyTokens: number;
  temperature: number;
}

export const DEFAULT_MEETING_SUMMARY_OPTIONS: MeetingSummaryOptions = { maxRequestTokens: 3_000, replyTokens: 500, temperature: 0.2 };

export const SUMMARY_SYSTEM_PROMPT = [
  "You summarize meetings from their transcripts.",
  'Answer with one JSON object and nothing else: {"summary": "<three to six sentences>", "action_items": [{"text": "<a task someone agreed to do>", "owner": "<the speaker who will do it, or null>"}]}.',
  "Use only what the transcript says; action_items is an empty list when nobody agreed to do anything.",
  "The transcript comes from speech recognition and may contain recognition mistakes.",
].join(" ");

const TRANSCRIPT_HEADING = "Transcript of the meeting (speaker: words), in time order:";

/** One speaker's consecutive words, as the model reads them. */
export interface TranscriptLine {
  speaker: string;
  text: string;
}

/** Segments in time order as lines: consecutive segments of one speaker join into one line. */
export function transcriptLines(segments: readonly { speaker: string; text: string }[]): TranscriptLine[] {
  const lines: TranscriptLine[] = [];
  for (const segment of segments) {
    const text = segment.text.replace(/\s+/gu, " ").trim();
    if (text === "") continue;
    const last = lines.at(-1);
    if (last !== undefined && last.speaker === segment.speaker) last.text = `${last.text} ${text}`;
    else lines.push({ speaker: segment.speaker, text });
  }
  return lines;
}

const lineText = (line: TranscriptLine) => `${line.speaker}: ${line.text}`;
const omittedMark = (count: number) => `[… ${count} ${count === 1 ? "line" : "lines"} of the transcript omitted …]`;

export interface SummaryRequest {
  messages: ChatMessage[];
  linesIncluded: number;
  truncated: boolean;
}

/**
 * The request's messages. A transcript over the budget keeps its end (where decisions and tasks tend to be agreed)
 * for half of it and its start for the rest, with a line saying how much is left out between them. A single line
 * longer than the budget is cut to fit.
 */
export function summaryRequest(lines: readonly TranscriptLine[], options: MeetingSummaryOptions = DEFAULT_MEETING_SUMMARY_OPTIONS): SummaryRequest {
  const build = (head: readonly string[], tail: readonly string[], omitted: number): ChatMessage[] => [
    { role: "system", content: SUMMARY_SYSTEM_PROMPT },
    { role: "user", content: [TRANSCRIPT_HEADING, ...head, ...(omitted > 0 ? [omittedMark(omitted)] : []), ...tail].join("\n") },
  ];
  const texts = lines.map(lineText);
  const fits = (messages: ChatMessage[]) => requestTokens(messages) + options.replyTokens <= options.maxRequestTokens;
  const whole = build(texts, [], 0);
  if (fits(whole)) return { messages: whole, linesIncluded: texts.length, truncated: false };

  // Each line is counted alone (a few tokens more than it adds to the message): the result is checked whole below.
  const available = options.maxRequestTokens - options.replyTokens - requestTokens(build([], [], texts.length));
  const costs = texts.map((text) => messageTokens(text));
  const tail: string[] = [];
  let spent = 0;
  for (let i = texts.length - 1; i >= 0 && spent + (costs[i] ?? 0) <= available / 2; i -= 1) {
    tail.unshift(texts[i] ?? "");
    spent += costs[i] ?? 0;
  }
  const head: string[] = [];
  for (let i = 0; i < texts.length - tail.length && spent + (costs[i] ?? 0) <= available; i += 1) {
    head.push(texts[i] ?? "");
    spent += costs[i] ?? 0;
  }
  if (head.length === 0 && tail.length === 0) {
    // One line alone is over the budget: its start, cut by characters (≈ 4 per token) until it fits.
    let text = texts[0] ?? "";
    let messages = build([text], [], texts.length - 1);
    while (!fits(messages) && text.length > 0) {
      text = text.slice(0, Math.floor(text.length * 0.8));
      messages = build([`${text} …`], [], texts.length - 1);
    }
    return { messages, linesIncluded: 1, truncated: true };
  }
  let messages = build(head, tail, texts.length - head.length - tail.length);
  while (!fits(messages) && head.length + tail.length > 0) {
    if (head.length > 0) head.pop();
    else tail.shift();
    messages = build(head, tail, texts.length - head.length - tail.length);
  }
  return { messages, linesIncluded: head.length + tail.length, truncated: true };
}

const replyText = (max: number) => storable(z.string().trim().min(1).max(max));
const owner = storable(z.string().trim().max(200))
  .nullish()
  .transform((value) => (value === undefined || value === null || value === "" || value.toLowerCase() === "null" ? null : value));

/** What the reply must be: the JSON asked for (an action item may also come as a bare string). */
const summaryReply = z.object({
  summary: replyText(8_000),
  action_items: z
    .array(z.union([replyText(1_000).transform((item) => ({ text: item, owner: null })), z.object({ text: replyText(1_000), owner })]))
    .max(100)
    .default([]),
});

/** The reply's JSON object: bare, or in a Markdown code fence, or with words around it. */
export function parseSummaryReply(reply: string): Pick<MeetingSummary, "text" | "action_items"> | null {
  const start = reply.indexOf("{");
  const end = reply.lastIndexOf("}");
  if (start < 0 || end < start) return null;
  let value: unknown;
  try {
    value = JSON.parse(reply.slice(start, end + 1));
  } catch {
    return null;
  }
  const parsed = summaryReply.safeParse(value);
  if (!parsed.success) return null;
  return { text: parsed.data.summary, action_items: parsed.data.action_items };
}

export type SummaryOutcome = { summary: MeetingSummary; unavailable: null } | { summary: null; unavailable: SummaryUnavailable };

/** Longest reply read, in characters: far past what `replyTokens` lets a model write, so only a broken server reaches it. */
const MAX_REPLY_CHARS = 64_000;

/**
 * Asks the model once. `model` null (no LLM_MODEL) or an `UnconfiguredLlm` → `llm_unavailable`; the client's own
 * bounds (first token, total) and `signal` end a slow call. Throws nothing.
 */
export async function summarizeMeeting(
  llm: { client: LlmClient; model: string | null },
  lines: readonly TranscriptLine[],
  signal: AbortSignal,
  options: MeetingSummaryOptions = DEFAULT_MEETING_SUMMARY_OPTIONS,
): Promise<SummaryOutcome> {
  if (lines.length === 0) return { summary: null, unavailable: "no_transcript" };
  if (llm.model === null) return { summary: null, unavailable: "llm_unavailable" };
  const request = summaryRequest(lines, options);
  let reply = "";
  try {
    const settings = { model: llm.model, temperature: options.temperature, maxTokens: options.replyTokens };
    for await (const delta of llm.client.streamReply({ messages: request.messages, settings, signal })) {
      reply += delta;
      if (reply.length > MAX_REPLY_CHARS) return { summary: null, unavailable: "llm_invalid_reply" };
    }
  } catch {
    // LlmError (unconfigured, unreachable, timed out) or LlmAborted (shutdown): either way there is no summary.
    return { summary: null, unavailable: "llm_unavailable" };
  }
  const parsed = parseSummaryReply(reply);
  if (parsed === null) return { summary: null, unavailable: "llm_invalid_reply" };
  return {
    summary: { ...parsed, model: llm.model, transcript: { lines_included: request.linesIncluded, lines_total: lines.length, truncated: request.truncated } },
    unavailable: null,
  };
}
