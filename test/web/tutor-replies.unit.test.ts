import { describe, expect, it } from "vitest";
import type { TutorReplyMessage } from "../../src/protocol/server-messages.js";
import { ReplyLog, sourceTitles } from "../../web/src/tutor-replies.js";

const delta = (turnId: number, text: string, sampleRate: number | null = null): TutorReplyMessage => ({
  turn_id: turnId,
  kind: "answer",
  delta: text,
  final: false,
  sample_rate: sampleRate,
});

const final = (turnId: number, text: string, extra: Partial<TutorReplyMessage> = {}): TutorReplyMessage => ({
  turn_id: turnId,
  kind: "answer",
  text,
  final: true,
  sample_rate: 22_050,
  ...extra,
});

describe("the tutor's reply log", () => {
  it("appends deltas in order, then the final text replaces them, with its sources", () => {
    const log = new ReplyLog();
    expect(log.apply(delta(1, "Paris"))?.text).toBe("Paris");
    expect(log.apply(delta(1, " is", 22_050))?.text).toBe("Paris is");
    const done = log.apply(
      final(1, "Paris is the capital.", {
        sources: [
          { doc_id: "fr", chunk_index: 0, title: "France › Cities" },
          { doc_id: "fr", chunk_index: 1, title: "France › Cities" },
          { doc_id: "fr", chunk_index: 2, title: "France › Rivers" },
          { doc_id: "eu", chunk_index: 1, title: null },
        ],
      }),
    );
    expect(done).toEqual({ turnId: 1, kind: "answer", text: "Paris is the capital.", final: true, interrupted: null, failed: false, sources: ["France › Cities", "France › Rivers", "eu"] });
    // Closed: a late message for the turn changes nothing.
    expect(log.apply(delta(1, " more"))).toBeNull();
    expect(log.replies).toHaveLength(1);
  });

  it("a greeting comes whole; its later rate statement (an empty delta) shows nothing new", () => {
    const log = new ReplyLog();
    expect(log.apply({ turn_id: 1, kind: "greeting", text: "Hi!", final: true, sample_rate: null })?.kind).toBe("greeting");
    expect(log.apply({ turn_id: 1, kind: "greeting", delta: "", final: false, sample_rate: 22_050 })).toBeNull();
    // A rate statement before any word of a new turn adds no empty entry.
    expect(log.apply(delta(2, "", 22_050))).toBeNull();
    expect(log.replies.map((r) => r.turnId)).toEqual([1]);
  });

  it("an interruption keeps the text so far and closes the turn; a final reply can still be cut (its speech plays on)", () => {
    const log = new ReplyLog();
    log.apply(delta(3, "Rivers flow"));
    expect(log.interrupt({ turn_id: 3, played_ms: 800, reason: "text" })).toMatchObject({ text: "Rivers flow", interrupted: "text", final: false });
    expect(log.apply(delta(3, " downhill"))).toBeNull();
    expect(log.interrupt({ turn_id: 3, played_ms: 900, reason: "barge_in" })).toBeNull();

    log.apply(final(4, "The Seine flows through Paris."));
    expect(log.interrupt({ turn_id: 4, played_ms: 300, reason: "barge_in" })).toMatchObject({ final: true, interrupted: "barge_in" });
    // A turn cut before its first word has nothing to show.
    expect(log.interrupt({ turn_id: 5, played_ms: 0, reason: "text" })).toBeNull();
  });

  it("a failure marks the reply still streaming, if any", () => {
    const log = new ReplyLog();
    log.apply(final(1, "Done."));
    expect(log.fail()).toBeNull();
    log.apply(delta(2, "Half"));
    expect(log.fail()).toMatchObject({ turnId: 2, text: "Half", failed: true });
    expect(log.apply(final(2, "Half a reply"))).toBeNull();
  });

  it("keeps replies in turn order and at most maxReplies of them", () => {
    const log = new ReplyLog({ maxReplies: 2 });
    log.apply(final(2, "two"));
    log.apply(final(1, "one"));
    expect(log.replies.map((r) => r.turnId)).toEqual([1, 2]);
    log.apply(final(3, "three"));
    expect(log.replies.map((r) => r.text)).toEqual(["two", "three"]);
  });

  it("names sources by title, by document id without one, each once", () => {
    expect(sourceTitles(undefined)).toEqual([]);
    expect(sourceTitles([{ doc_id: "a", chunk_index: 0, title: "" }])).toEqual(["a"]);
  });
});
