import { describe, expect, it } from "vitest";
import { analyseMeeting as analyseWith, DEFAULT_MEETING_ANALYSIS_OPTIONS, type MeetingAnalysisInput } from "../../src/analysis/meeting-analysis.js";
import { DEFAULT_INFERENCE_POOL_OPTIONS } from "../../src/inference/pool-options.js";
import type { CameraObservation } from "../../src/analysis/expression-timeline.js";
import type { TalkSegment } from "../../src/analysis/talk-stats.js";
import { countWords, interruptionsOf, inTimeOrder, overlapMs, turnsOf, unionIntervals } from "../../src/analysis/talk-stats.js";

let nextId = 0;
const seg = (participantId: string, startMs: number, endMs: number, text = "some words here"): TalkSegment => ({
  segmentId: `s${(nextId += 1)}`,
  participantId,
  text,
  startMs,
  endMs,
});

function input(parts: Partial<MeetingAnalysisInput>): MeetingAnalysisInput {
  return {
    session: { id: "m1", kind: "meeting", status: "ended", createdAt: new Date("2030-01-01T00:00:00Z"), endedAt: new Date("2030-01-01T00:01:00Z") },
    untilMs: 60_000,
    participants: [
      { participantId: "a", name: "Ann", role: "host", leftAtMs: null },
      { participantId: "b", name: "Bob", role: "participant", leftAtMs: null },
    ],
    segments: [],
    observations: [],
    truncated: { segments: false, observations: false },
    ...parts,
  };
}

/** Segments here are their speech: no padding to take off (that is tested on its own). */
const analyseMeeting = (meeting: MeetingAnalysisInput) => analyseWith(meeting, { segmentPaddingMs: 0 });

const byId = (analysis: ReturnType<typeof analyseMeeting>, id: string) => {
  const found = analysis.participants.find((p) => p.participant_id === id);
  if (found === undefined) throw new Error(`no participant ${id}`);
  return found;
};

describe("talk statistics", () => {
  it("talk time is the union of a speaker's segments; turns are runs of one speaker", () => {
    // Ann: 1–4 s and 3–6 s (overlapping: 5 s, not 6), then Bob 7–9 s, then Ann again 10–12 s.
    const analysis = analyseMeeting(input({ segments: [seg("a", 1_000, 4_000), seg("a", 3_000, 6_000), seg("b", 7_000, 9_000), seg("a", 10_000, 12_000)] }));
    const ann = byId(analysis, "a");
    const bob = byId(analysis, "b");
    expect(ann.talk_time_ms).toBe(7_000);
    expect(bob.talk_time_ms).toBe(2_000);
    expect(ann.turns).toBe(2);
    expect(bob.turns).toBe(1);
    expect(analysis.totals.turns).toBe(3);
    expect(ann.talk_share).toBeCloseTo(7 / 9, 4);
    // Ann's own overlap is not an interruption, and not anyone's overlap.
    expect(analysis.totals.interruptions).toBe(0);
    expect(analysis.totals.overlap_ms).toBe(0);
    expect(analysis.totals.silence_ms).toBe(60_000 - 9_000);
    expect(ann.longest_monologue).toEqual({ start_ms: 1_000, end_ms: 6_000, duration_ms: 5_000 });
    expect(analysis.longest_monologue).toEqual({ participant_id: "a", start_ms: 1_000, end_ms: 6_000, duration_ms: 5_000 });
  });

  it("words per minute over talk time; null without talk", () => {
    const analysis = analyseMeeting(input({ segments: [seg("a", 0, 30_000, "one two three four five six seven eight nine ten")] }));
    expect(byId(analysis, "a").words).toBe(10);
    expect(byId(analysis, "a").words_per_minute).toBe(20);
    expect(byId(analysis, "b").words_per_minute).toBeNull();
    expect(byId(analysis, "b").longest_monologue).toBeNull();
  });

  it("a segment starting inside someone else's is an interruption of them; overlap is counted once", () => {
    // Bob starts at 2 s while Ann speaks 0–5 s; Ann comes back at 6 s inside Bob's 2–8 s.
    const analysis = analyseMeeting(input({ segments: [seg("a", 0, 5_000), seg("b", 2_000, 8_000), seg("a", 6_000, 7_000)] }));
    expect(analysis.interruptions).toEqual([
      { at_ms: 2_000, participant_id: "b", interrupted_participant_id: "a" },
      { at_ms: 6_000, participant_id: "a", interrupted_participant_id: "b" },
    ]);
    expect(byId(analysis, "a")).toMatchObject({ interruptions_made: 1, interruptions_received: 1, turns: 2 });
    expect(byId(analysis, "b")).toMatchObject({ interruptions_made: 1, interruptions_received: 1, turns: 1 });
    expect(analysis.totals.overlap_ms).toBe(3_000 + 1_000);
  });

  it("segments starting at the same instant, or touching, interrupt nobody", () => {
    const sorted = inTimeOrder([seg("a", 0, 2_000), seg("b", 0, 1_000), seg("c", 2_000, 3_000)]);
    expect(interruptionsOf(sorted)).toEqual([]);
    expect(overlapMs([unionIntervals([{ startMs: 0, endMs: 2_000 }]), unionIntervals([{ startMs: 2_000, endMs: 3_000 }])])).toBe(0);
  });

  it("one participant interrupting several at once counts each", () => {
    const found = interruptionsOf(inTimeOrder([seg("a", 0, 5_000), seg("b", 1_000, 5_000), seg("c", 2_000, 3_000)]));
    expect(found.map((i) => `${i.participantId}>${i.interruptedParticipantId}`)).toEqual(["b>a", "c>a", "c>b"]);
  });

  it("one speaker: one turn, the whole talk, no interruptions", () => {
    const analysis = analyseMeeting(input({ segments: [seg("a", 1_000, 2_000), seg("a", 5_000, 9_000)] }));
    expect(analysis.totals).toMatchObject({ turns: 1, interruptions: 0, talk_time_ms: 5_000, segments: 2 });
    expect(byId(analysis, "a").longest_monologue).toEqual({ start_ms: 1_000, end_ms: 9_000, duration_ms: 8_000 });
    expect(byId(analysis, "a").talk_share).toBe(1);
  });

  it("nobody spoke: zeros and nulls, everyone still listed", () => {
    const analysis = analyseMeeting(input({}));
    expect(analysis.participants.map((p) => p.participant_id)).toEqual(["a", "b"]);
    expect(analysis.participants.every((p) => p.talk_time_ms === 0 && p.turns === 0 && p.sentiment === null && p.talk_share === 0)).toBe(true);
    expect(analysis.totals).toEqual({ talk_time_ms: 0, overlap_ms: 0, silence_ms: 60_000, segments: 0, words: 0, turns: 0, interruptions: 0 });
    expect(analysis.longest_monologue).toBeNull();
    expect(analysis.sentiment.overall).toBeNull();
  });

  it("a speaker the participants table lacks is listed after those it has, without a name", () => {
    const analysis = analyseMeeting(input({ segments: [seg("ghost", 0, 1_000)] }));
    expect(analysis.participants.map((p) => [p.participant_id, p.name])).toEqual([["a", "Ann"], ["b", "Bob"], ["ghost", null]]);
  });

  it("turns and words", () => {
    expect(turnsOf(inTimeOrder([seg("a", 0, 1), seg("b", 2, 3), seg("b", 4, 5), seg("a", 6, 7)])).map((t) => [t.participantId, t.segments])).toEqual([
      ["a", 1],
      ["b", 2],
      ["a", 1],
    ]);
    expect(countWords("  Don't stop — it's 5 o'clock, well-known!  ")).toBe(6);
    expect(countWords("")).toBe(0);
  });
});

describe("segment padding", () => {
  it("is the pool's", () => {
    expect(DEFAULT_MEETING_ANALYSIS_OPTIONS.segmentPaddingMs).toBe(DEFAULT_INFERENCE_POOL_OPTIONS.segmenter.paddingMs);
  });

  it("comes off each segment for the statistics; the list keeps the stored bounds beside the speech", () => {
    // Stored with 300 ms either side: Ann's speech 1.3–3.7 s, Bob's 4.0–5.0 s. Padded, Bob's would start inside Ann's.
    const analysis = analyseWith(input({ segments: [seg("a", 1_000, 4_000), seg("b", 3_700, 5_300), seg("b", 6_000, 6_400)] }));
    expect(byId(analysis, "a").talk_time_ms).toBe(2_400);
    // The 400 ms segment (shorter than the padding twice) keeps its middle, an instant.
    expect(byId(analysis, "b").talk_time_ms).toBe(1_000);
    expect(analysis.totals).toMatchObject({ interruptions: 0, overlap_ms: 0 });
    expect(analysis.segments[1]).toMatchObject({ start_ms: 3_700, end_ms: 5_300, speech_start_ms: 4_000, speech_end_ms: 5_000 });
    expect(analysis.segments[2]).toMatchObject({ speech_start_ms: 6_200, speech_end_ms: 6_200 });
    expect(analysis.speech_method.segment_padding_ms).toBe(300);
  });
});

describe("sentiment per segment and participant", () => {
  it("scores each segment and weights a participant's mean by words; negation flips", () => {
    const analysis = analyseMeeting(
      input({
        segments: [
          seg("a", 0, 1_000, "This is a great plan and I love it."),
          seg("a", 2_000, 3_000, "Okay."),
          seg("b", 4_000, 5_000, "I do not like this, it is not good."),
        ],
      }),
    );
    const [great, okay, notGood] = analysis.segments;
    expect(great?.sentiment.label).toBe("positive");
    expect(notGood?.sentiment.label).toBe("negative");
    expect(okay?.words).toBe(1);
    const ann = byId(analysis, "a").sentiment;
    // (compound × words) summed over words: the nine-word sentence dominates the one-word one.
    const expected = ((great?.sentiment.compound ?? 0) * 9 + (okay?.sentiment.compound ?? 0) * 1) / 10;
    expect(ann?.compound).toBeCloseTo(expected, 3);
    expect(ann).toMatchObject({ label: "positive", segments: 2, words: 10 });
    expect(byId(analysis, "b").sentiment?.label).toBe("negative");
    expect(analysis.sentiment).toMatchObject({ method: "lexicon", model: "vader-sentiment 1.1.3" });
  });
});

describe("expression timeline", () => {
  const face = (participantId: string, atMs: number, expression: CameraObservation["expression"]): CameraObservation => ({
    participantId,
    atMs,
    kind: "expression",
    expression,
    faces: expression === null ? 0 : 1,
  });

  it("each row holds until the next (capped), faces absent counted apart, per participant", () => {
    const analysis = analyseMeeting(
      input({
        observations: [
          face("a", 0, "happy"),
          face("a", 2_000, "happy"),
          face("a", 4_000, "neutral"),
          face("a", 6_000, null),
          // 20 s later: the gap is held only 5 s (the camera stopped meanwhile).
          face("a", 26_000, "happy"),
        ],
        untilMs: 27_000,
      }),
    );
    const timeline = byId(analysis, "a").expression_timeline;
    // happy 2 + 2 + 1 (until the session's end at 27 s), neutral 2, absent 5 (capped).
    expect(timeline).toMatchObject({ observed_ms: 12_000, faces_absent_ms: 5_000, dominant: "happy", observations: 5, no_face_events: 0 });
    expect(timeline?.shares.happy).toBeCloseTo(5 / 12, 4);
    expect(timeline?.shares.neutral).toBeCloseTo(2 / 12, 4);
    expect(timeline?.faces_absent_share).toBeCloseTo(5 / 12, 4);
    expect(byId(analysis, "b").expression_timeline).toBeNull();
    expect(analysis.expression_method.hold_cap_ms).toBe(5_000);
  });

  it("a no_face row counts as absent; nothing is held past the participant's leave", () => {
    const analysis = analyseMeeting(
      input({
        participants: [{ participantId: "a", name: "Ann", role: "host", leftAtMs: 3_000 }],
        observations: [face("a", 0, "sad"), { participantId: "a", atMs: 1_000, kind: "no_face", expression: null, faces: 0 }],
      }),
    );
    expect(byId(analysis, "a").expression_timeline).toMatchObject({ observed_ms: 3_000, faces_absent_ms: 2_000, dominant: "sad", no_face_events: 1 });
  });

  it("a camera that never showed a face has no dominant expression", () => {
    const analysis = analyseMeeting(input({ observations: [face("b", 0, null), face("b", 2_000, null)], untilMs: 3_000 }));
    expect(byId(analysis, "b").expression_timeline).toMatchObject({ dominant: null, faces_absent_share: 1, observed_ms: 3_000 });
  });
});
