import { describe, expect, it } from "vitest";
import { speakerNames, toSrt, toVtt } from "../../src/api/subtitles.js";
import type { ParticipantRecord } from "../../src/persistence/store.js";
import type { TranscriptSegmentRecord } from "../../src/persistence/transcript-store.js";

function segment(segmentId: string, participantId: string, startMs: number, endMs: number, text: string): TranscriptSegmentRecord {
  return { sessionId: "s1", segmentId, participantId, text, startMs, endMs, createdAt: new Date(0) };
}

function participant(participantId: string, name: string): ParticipantRecord {
  return { sessionId: "s1", participantId, name, role: "participant", connected: false, joinedAt: new Date(0), leftAt: null };
}

/** Speech that begins 73.25 s after the session was created (stored offsets count from the creation). */
const SEGMENTS = [
  segment("a", "host", 73_250, 75_000, "hello everyone"),
  segment("b", "guest-7", 76_100, 3_600_000 + 61_001 + 73_250, "good morning"),
];
const NAMES = speakerNames([participant("host", "Ada Lovelace"), participant("guest-7", "Grace")]);

describe("toVtt", () => {
  it("times cues from the first speech and names each speaker in a voice span", () => {
    expect(toVtt(SEGMENTS, NAMES)).toBe(
      "WEBVTT\n\n" +
        "00:00:00.000 --> 00:00:01.750\n<v Ada Lovelace>hello everyone\n\n" +
        "00:00:02.850 --> 01:01:01.001\n<v Grace>good morning\n",
    );
  });

  it("takes the earliest start as the origin whatever the order of the segments", () => {
    const [first, second] = SEGMENTS;
    if (first === undefined || second === undefined) throw new Error("two segments");
    expect(toVtt([second, first], NAMES)).toMatch(/^WEBVTT\n\n00:00:02\.850 --> 01:01:01\.001\n<v Grace>good morning\n\n00:00:00\.000 --> /);
  });

  it("falls back to the participant id without a recorded name, or with a blank one", () => {
    const names = speakerNames([participant("guest-7", "  ")]);
    expect(toVtt(SEGMENTS, names)).toContain("<v host>hello everyone");
    expect(toVtt(SEGMENTS, names)).toContain("<v guest-7>good morning");
    expect(toVtt(SEGMENTS)).toContain("<v host>hello everyone");
  });

  it("escapes markup in names and text, and keeps every cue on one block", () => {
    const names = speakerNames([participant("host", "A<b>&\"C\" -->\r\nD")]);
    const vtt = toVtt([segment("a", "host", 500, 900, "x < y && z > w --> done\n\n\nnext line")], names);
    expect(vtt).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:00.400\n<v A&lt;b&gt;&amp;"C" --&gt; D>x &lt; y &amp;&amp; z &gt; w --&gt; done\nnext line\n');
    // One timing line only: no `-->` outside it, and no blank line inside the cue.
    expect(vtt.split("-->")).toHaveLength(2);
    expect(vtt.trimEnd().split("\n\n")).toHaveLength(2);
  });

  it("is a bare header without segments", () => {
    expect(toVtt([], NAMES)).toBe("WEBVTT\n\n");
  });
});

describe("toSrt", () => {
  it("numbers cues timed from the first speech, each text led by the speaker's name", () => {
    expect(toSrt(SEGMENTS, NAMES)).toBe(
      "1\n00:00:00,000 --> 00:00:01,750\nAda Lovelace: hello everyone\n\n" + "2\n00:00:02,850 --> 01:01:01,001\nGrace: good morning\n",
    );
  });

  it("falls back to the participant id and keeps names and text from breaking the cue", () => {
    const names = speakerNames([participant("host", "Ada\n\nL --> x")]);
    const srt = toSrt([segment("a", "host", 10, 20, "one\n\ntwo --> three"), segment("b", "guest-7", 30, 40, "hi")], names);
    expect(srt).toBe("1\n00:00:00,000 --> 00:00:00,010\nAda L → x: one\ntwo → three\n\n2\n00:00:00,020 --> 00:00:00,030\nguest-7: hi\n");
  });

  it("is empty without segments", () => {
    expect(toSrt([], NAMES)).toBe("");
  });
});
