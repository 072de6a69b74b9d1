import { describe, expect, it } from "vitest";
import {
  DEFAULT_MEETING_SUMMARY_OPTIONS,
  parseSummaryReply,
  summarizeMeeting,
  summaryRequest,
  transcriptLines,
} from "../../src/analysis/meeting-summary.js";
import { requestTokens } from "../../src/tutor/llm/conversation-history.js";
import { UnconfiguredLlm } from "../../src/tutor/llm/unconfigured-llm.js";

describe("the summary's transcript", () => {
  it("joins a speaker's consecutive segments into one line and skips empty ones", () => {
    expect(
      transcriptLines([
        { speaker: "Ann", text: "Hello  there." },
        { speaker: "Ann", text: "Shall we start?" },
        { speaker: "Bob", text: "   " },
        { speaker: "Bob", text: "Yes." },
        { speaker: "Ann", text: "Good." },
      ]),
    ).toEqual([
      { speaker: "Ann", text: "Hello there. Shall we start?" },
      { speaker: "Bob", text: "Yes." },
      { speaker: "Ann", text: "Good." },
    ]);
  });

  it("a transcript that fits is sent whole", () => {
    const request = summaryRequest([{ speaker: "Ann", text: "We ship on Friday." }]);
    expect(request).toMatchObject({ linesIncluded: 1, truncated: false });
    expect(request.messages[1]?.content).toContain("Ann: We ship on Friday.");
    expect(request.messages[0]?.role).toBe("system");
  });

  it("one over the budget keeps its start and end, says what is left out, and fits", () => {
    const lines = Array.from({ length: 400 }, (_, i) => ({ speaker: i % 2 === 0 ? "Ann" : "Bob", text: `point number ${i} about the roadmap and the budget` }));
    const options = { ...DEFAULT_MEETING_SUMMARY_OPTIONS, maxRequestTokens: 1_500 };
    const request = summaryRequest(lines, options);
    expect(request.truncated).toBe(true);
    expect(request.linesIncluded).toBeGreaterThan(20);
    expect(request.linesIncluded).toBeLessThan(400);
    expect(requestTokens(request.messages) + options.replyTokens).toBeLessThanOrEqual(options.maxRequestTokens);
    const body = request.messages[1]?.content ?? "";
    expect(body).toContain("point number 0 ");
    expect(body).toContain("point number 399 ");
    expect(body).toContain(`[… ${400 - request.linesIncluded} lines of the transcript omitted …]`);
  });

  it("a single line over the budget is cut to fit", () => {
    const options = { ...DEFAULT_MEETING_SUMMARY_OPTIONS, maxRequestTokens: 800 };
    const request = summaryRequest([{ speaker: "Ann", text: "word ".repeat(5_000) }], options);
    expect(request).toMatchObject({ linesIncluded: 1, truncated: true });
    expect(requestTokens(request.messages) + options.replyTokens).toBeLessThanOrEqual(800);
  });
});

describe("the model's reply", () => {
  it("takes the JSON object, bare or fenced, items as objects or strings", () => {
    expect(parseSummaryReply('{"summary": "We agreed to ship.", "action_items": [{"text": "Write notes", "owner": "Ann"}, "Book a room"]}')).toEqual({
      text: "We agreed to ship.",
      action_items: [
        { text: "Write notes", owner: "Ann" },
        { text: "Book a room", owner: null },
      ],
    });
    expect(parseSummaryReply('Here it is:\n```json\n{"summary": "Short.", "action_items": [{"text": "x", "owner": "null"}]}\n```')).toEqual({
      text: "Short.",
      action_items: [{ text: "x", owner: null }],
    });
    expect(parseSummaryReply('{"summary": "Nothing to do."}')).toEqual({ text: "Nothing to do.", action_items: [] });
  });

  it("anything else is no summary", () => {
    for (const reply of ["", "The meeting went well.", '{"summary": ""}', '{"summary": 3}', '{"summary": "a", "action_items": "none"}', "{not json}", '{"summary": "nul\\u0000"}']) {
      expect(parseSummaryReply(reply), reply).toBeNull();
    }
  });

  it("no model, no transcript, an unconfigured client: a reason, never a summary", async () => {
    const signal = new AbortController().signal;
    const lines = [{ speaker: "Ann", text: "Hello." }];
    expect(await summarizeMeeting({ client: new UnconfiguredLlm(), model: "m" }, lines, signal)).toEqual({ summary: null, unavailable: "llm_unavailable" });
    expect(await summarizeMeeting({ client: new UnconfiguredLlm(), model: null }, lines, signal)).toEqual({ summary: null, unavailable: "llm_unavailable" });
    expect(await summarizeMeeting({ client: new UnconfiguredLlm(), model: "m" }, [], signal)).toEqual({ summary: null, unavailable: "no_transcript" });
  });
});
