import { describe, expect, it } from "vitest";
import { audioSessionHandle, type PoolStreamOps } from "../../src/inference/pool-audio-session.js";
import type { PoolOutput, StreamOpen } from "../../src/inference/pool-types.js";

/*
 * One call's book-keeping when a sender closes a stream at a gap in its audio and opens the same id again where the
 * audio resumes (what the engine's audio link does after an outage): each open is its own pool stream.
 */

const TIMINGS = { queueMs: 0, asrMs: 0, totalMs: 0 };

function fakePool() {
  const opens: { key: string; offsetMs: number | undefined }[] = [];
  const chunks: string[] = [];
  const closes: string[] = [];
  const emitters = new Map<string, (output: PoolOutput) => void>();
  const ops: PoolStreamOps = {
    open(key, open, emit) {
      opens.push({ key, offsetMs: open.offsetMs });
      emitters.set(key, emit);
    },
    chunk: (key) => chunks.push(key),
    close: (key) => closes.push(key),
  };
  /** Emits `output` as the pool stream under `key` would. */
  const emitAs = (key: string, output: PoolOutput) => {
    const emit = emitters.get(key);
    if (emit === undefined) throw new Error(`no pool stream ${key}`);
    emit(output);
  };
  return { ops, opens, chunks, closes, emitAs };
}

const open = (streamId: string, offsetMs: number): StreamOpen => ({ streamId, sessionId: "s", participantId: "p", sampleRate: 16_000, offsetMs });
const transcript = (segmentId: string): PoolOutput => ({ kind: "transcript", streamId: "ignored", segmentId, text: "hi", startMs: 0, endMs: 1, final: true, timings: TIMINGS });
const speech = (event: "started" | "ended"): PoolOutput => ({ kind: "speech", streamId: "ignored", event, atMs: 0 });

describe("an audio session's stream reopened after a gap", () => {
  it("each open is its own pool stream: its own key, its offset, chunks and closes to the current open only", () => {
    const pool = fakePool();
    const session = audioSessionHandle("c1:", pool.ops, { maxStreamsPerCall: 4 }, () => undefined);
    session.open(open("a", 0));
    session.chunk("a", 1, new Uint8Array(640));
    session.close("a");
    session.open(open("a", 5_000));
    session.chunk("a", 2, new Uint8Array(640));
    // An id ending like a key's suffix still gets keys of its own.
    session.open(open("a#1", 0));
    session.chunk("a#1", 1, new Uint8Array(640));
    expect(pool.opens).toEqual([
      { key: "c1:a#1", offsetMs: 0 },
      { key: "c1:a#2", offsetMs: 5_000 },
      { key: "c1:a#1#1", offsetMs: 0 },
    ]);
    expect(pool.chunks).toEqual(["c1:a#1", "c1:a#2", "c1:a#1#1"]);
    expect(pool.closes).toEqual(["c1:a#1"]);
  });

  it("segment ids never repeat across opens, each open's closed is reported, and an older open's speech is stale once the newer one spoke", () => {
    const pool = fakePool();
    const outputs: PoolOutput[] = [];
    const session = audioSessionHandle("c1:", pool.ops, { maxStreamsPerCall: 4 }, (output) => outputs.push(output));
    session.open(open("a", 0));
    pool.emitAs("c1:a#1", speech("started"));
    session.close("a");
    session.open(open("a", 5_000));
    // The first open ends its speech at the gap while the second is silent: the speaker did stop.
    pool.emitAs("c1:a#1", speech("ended"));
    pool.emitAs("c1:a#1", transcript("x.1.1"));
    pool.emitAs("c1:a#2", speech("started"));
    pool.emitAs("c1:a#2", transcript("x.1.1"));
    pool.emitAs("c1:a#1", { kind: "closed", streamId: "ignored" });
    // Speech after the gap has begun: a late event of the first open would say otherwise.
    pool.emitAs("c1:a#1", speech("ended"));
    pool.emitAs("c1:a#2", speech("ended"));
    session.close("a");
    pool.emitAs("c1:a#2", { kind: "closed", streamId: "ignored" });

    expect(outputs.map((o) => (o.kind === "speech" ? `speech:${o.event}` : o.kind === "transcript" ? `transcript:${o.segmentId}` : o.kind))).toEqual([
      "speech:started",
      "speech:ended",
      "transcript:x.1.1",
      "speech:started",
      "transcript:x.1.1~2",
      "closed",
      "speech:ended",
      "closed",
    ]);
    expect(outputs.every((o) => o.streamId === "a")).toBe(true);
  });

  it("a failed utterance's error names its segment as the transcript would have; other errors name none", () => {
    const pool = fakePool();
    const outputs: PoolOutput[] = [];
    const session = audioSessionHandle("c1:", pool.ops, { maxStreamsPerCall: 4 }, (output) => outputs.push(output));
    session.open(open("a", 0));
    session.close("a");
    session.open(open("a", 5_000));
    pool.emitAs("c1:a#1", { kind: "error", streamId: "ignored", code: "deadline_exceeded", message: "late", segmentId: "x.1.1" });
    pool.emitAs("c1:a#2", { kind: "error", streamId: "ignored", code: "deadline_exceeded", message: "late", segmentId: "x.1.1" });
    pool.emitAs("c1:a#2", { kind: "error", streamId: "ignored", code: "overloaded", message: "behind" });
    expect(outputs.map((o) => (o.kind === "error" ? [o.streamId, o.code, o.segmentId] : o.kind))).toEqual([
      ["a", "deadline_exceeded", "x.1.1"],
      ["a", "deadline_exceeded", "x.1.1~2"],
      ["a", "overloaded", undefined],
    ]);
  });

  it("an id reopened after its earlier open has finished still gets new keys and segment ids", () => {
    const pool = fakePool();
    const outputs: PoolOutput[] = [];
    const session = audioSessionHandle("c1:", pool.ops, { maxStreamsPerCall: 4 }, (output) => outputs.push(output));
    session.open(open("a", 0));
    pool.emitAs("c1:a#1", transcript("x.1.1"));
    session.close("a");
    // The pool may finish the closed stream before the reopen reaches it (nothing left to transcribe).
    pool.emitAs("c1:a#1", { kind: "closed", streamId: "ignored" });
    session.open(open("a", 5_000));
    pool.emitAs("c1:a#2", transcript("x.1.1"));
    expect(pool.opens.map((o) => o.key)).toEqual(["c1:a#1", "c1:a#2"]);
    expect(outputs.flatMap((o) => (o.kind === "transcript" ? [o.segmentId] : []))).toEqual(["x.1.1", "x.1.1~2"]);
  });

  it("a second open of an id still open is refused, and does not count as an open", () => {
    const pool = fakePool();
    const outputs: PoolOutput[] = [];
    const session = audioSessionHandle("c1:", pool.ops, { maxStreamsPerCall: 4 }, (output) => outputs.push(output));
    session.open(open("a", 0));
    session.open(open("a", 100));
    session.chunk("a", 1, new Uint8Array(640));
    expect(outputs).toMatchObject([{ kind: "error", streamId: "a", code: "stream_exists" }]);
    expect(pool.opens.map((o) => o.key)).toEqual(["c1:a#1"]);
    expect(pool.chunks).toEqual(["c1:a#1"]);
  });
});
