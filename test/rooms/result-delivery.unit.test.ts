import { describe, expect, it } from "vitest";
import type { TranscriptResult } from "../../src/actors/session-events.js";
import type { ServerMessages } from "../../src/protocol/server-messages.js";
import { InterimSegments } from "../../src/rooms/interim-segments.js";
import { deliverTranscript, withdrawInterim, type TranscriptTarget } from "../../src/rooms/result-delivery.js";

/** A room's transcript side, recording what it was asked to do (the writes run at once). */
function room() {
  const sent: ServerMessages["transcript"][] = [];
  const saved: string[] = [];
  const published: string[] = [];
  const pending: Promise<void>[] = [];
  const target: TranscriptTarget = {
    sessionId: "s1",
    interims: new InterimSegments(2),
    writes: { enqueue: (_label, write) => void pending.push(write()) },
    transcripts: {
      saveSegment: async (segment) => {
        saved.push(`${segment.segmentId}:${segment.text}`);
        return true;
      },
    },
    metrics: { transcriptPersisted: () => undefined, transcriptDelivered: () => undefined },
    events: {
      publish: (type) => {
        published.push(type);
        return true;
      },
    },
    sendToAll: (_type, message) => sent.push(message),
  };
  return { target, sent, saved, published, settled: () => Promise.all(pending) };
}

const result = (segmentId: string, text: string, final: boolean): { kind: "transcript" } & TranscriptResult => ({
  kind: "transcript",
  participantId: "host",
  segmentId,
  text,
  startMs: 0,
  endMs: final ? 1_000 : 0,
  final,
  timings: { queueMs: 0, asrMs: 0, totalMs: 0 },
  receivedAtMs: 0,
});

describe("deliverTranscript", () => {
  it("an empty final withdraws the segment's interim line: sent as it is, not stored, not published", async () => {
    const r = room();
    deliverTranscript(r.target, result("a.1", "the", false));
    deliverTranscript(r.target, result("a.1", "", true));
    await r.settled();
    expect(r.sent.map((m) => [m.segment_id, m.text, m.final])).toEqual([
      ["a.1", "the", false],
      ["a.1", "", true],
    ]);
    expect(r.saved).toEqual([]);
    expect(r.published).toEqual([]);
  });

  it("an empty final of a segment with no interim, an empty interim, and a repeat are not sent", async () => {
    const r = room();
    deliverTranscript(r.target, result("a.1", "", true));
    deliverTranscript(r.target, result("a.2", "", false));
    deliverTranscript(r.target, result("a.2", "", true));
    deliverTranscript(r.target, result("a.3", "hello", false));
    deliverTranscript(r.target, result("a.3", "hello there", true));
    deliverTranscript(r.target, result("a.3", "", true));
    await r.settled();
    expect(r.sent.map((m) => [m.segment_id, m.text, m.final])).toEqual([
      ["a.3", "hello", false],
      ["a.3", "hello there", true],
    ]);
    expect(r.saved).toEqual(["a.3:hello there"]);
    expect(r.published).toEqual(["speech_recognition.completed"]);
  });

  it("a failed final withdraws its interim line at the interim's times; one with no interim out sends nothing", async () => {
    const r = room();
    deliverTranscript(r.target, { ...result("a.1", "the quick", false), startMs: 500, endMs: 1_700 });
    withdrawInterim(r.target, "a.1");
    withdrawInterim(r.target, "a.2");
    // Settled: a late repeat (or a final after all) finds no line to take down.
    withdrawInterim(r.target, "a.1");
    await r.settled();
    expect(r.sent).toEqual([
      { segment_id: "a.1", participant_id: "host", text: "the quick", start_ms: 500, end_ms: 1_700, final: false },
      { segment_id: "a.1", participant_id: "host", text: "", start_ms: 500, end_ms: 1_700, final: true },
    ]);
    expect(r.saved).toEqual([]);
    expect(r.published).toEqual([]);
  });

  it("remembers only the latest interim segments past its bound", () => {
    const r = room();
    for (const id of ["a.1", "a.2", "a.3"]) deliverTranscript(r.target, result(id, "so", false));
    // a.1 was forgotten: its empty final stays unsent (its line stays grey, as before this existed).
    deliverTranscript(r.target, result("a.1", "", true));
    deliverTranscript(r.target, result("a.3", "", true));
    expect(r.sent.filter((m) => m.final).map((m) => m.segment_id)).toEqual(["a.3"]);
  });
});
