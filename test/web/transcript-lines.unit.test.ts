import { describe, expect, it } from "vitest";
import type { TranscriptMessage } from "../../src/protocol/server-messages.js";
import { TranscriptLines } from "../../web/src/transcript-lines.js";

const message = (segmentId: string, text: string, final: boolean): TranscriptMessage => ({
  segment_id: segmentId,
  participant_id: "host",
  text,
  start_ms: 0,
  end_ms: 1_000,
  final,
});

describe("TranscriptLines", () => {
  it("grows an interim line in place, then the final replaces it", () => {
    const lines = new TranscriptLines();
    expect(lines.apply(message("a.1", "the quick", false))).toEqual({ line: { segmentId: "a.1", participantId: "host", text: "the quick", final: false }, added: true, removed: false });
    expect(lines.apply(message("a.1", "the quick brown", false))).toMatchObject({ line: { text: "the quick brown", final: false }, added: false });
    expect(lines.apply(message("a.1", " The quick brown fox. ", true))).toMatchObject({ line: { text: "The quick brown fox.", final: true }, added: false });
  });

  it("ignores an interim after its final, and empty text", () => {
    const lines = new TranscriptLines();
    expect(lines.apply(message("a.1", "done", true))).toMatchObject({ added: true });
    expect(lines.apply(message("a.1", "do", false))).toBeNull();
    expect(lines.apply(message("a.1", "done again", true))).toBeNull();
    expect(lines.apply(message("a.2", "  ", false))).toBeNull();
    expect(lines.apply(message("a.2", "next", false))).toMatchObject({ added: true });
  });

  it("removes a growing line whose final is empty (Whisper heard nothing); an empty final of no line changes nothing", () => {
    const lines = new TranscriptLines();
    lines.apply(message("a.1", "the", false));
    expect(lines.apply(message("a.1", "", true))).toEqual({ line: { segmentId: "a.1", participantId: "host", text: "", final: true }, added: false, removed: true });
    // Closed as any final: a late interim or a repeat changes nothing.
    expect(lines.apply(message("a.1", "the", false))).toBeNull();
    expect(lines.apply(message("a.1", "", true))).toBeNull();
    expect(lines.apply(message("a.2", "", true))).toBeNull();
    lines.apply(message("a.3", "done", true));
    expect(lines.apply(message("a.3", "", true))).toBeNull();
  });

  it("keeps segments of different speakers apart, and forgets the oldest past its bound", () => {
    const lines = new TranscriptLines({ maxSegments: 2 });
    lines.apply(message("a.1", "one", true));
    lines.apply(message("b.1", "two", false));
    lines.apply(message("a.2", "three", false));
    // a.1 was forgotten: a late copy would show again, which the bound accepts for a long-finished line.
    expect(lines.apply(message("b.1", "two more", false))).toMatchObject({ added: false, line: { text: "two more" } });
  });
});
