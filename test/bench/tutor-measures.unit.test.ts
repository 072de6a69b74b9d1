import { afterEach, describe, expect, it, vi } from "vitest";
import { StudentInbox, WaitTimeoutError } from "../../scripts/bench/tutor-inbox.js";
import { Microphone, MIC_FRAME_BYTES, micUtterance, VOICED_PEAK } from "../../scripts/bench/tutor-microphone.js";
import { turnParts } from "../../scripts/bench/tutor-parts.js";
import { evaluateTutorTargets, tutorPass, type LevelReport } from "../../scripts/bench/tutor-report.js";
import { QUESTIONS } from "../../scripts/bench/tutor-script.js";
import { bucketQuantile, singleUtterance, stageDelta, stageSnapshot } from "../../scripts/bench/tutor-stage-metrics.js";
import type { TurnSample } from "../../scripts/bench/tutor-student.js";

/** bench:tutor's arithmetic: the split of a turn, the pool's figures from /metrics, the microphone's clock. */

function metricsText(counts: { run: number; sumS: number; le05: number }): string {
  const lines = ["# TYPE engine_stage_latency_seconds histogram"];
  for (const stage of ["asr_queue_wait", "asr_run", "speech_end_to_transcript"]) {
    lines.push(`engine_stage_latency_seconds_bucket{le="0.25",stage="${stage}"} 0`);
    lines.push(`engine_stage_latency_seconds_bucket{le="0.5",stage="${stage}"} ${counts.le05}`);
    lines.push(`engine_stage_latency_seconds_bucket{le="+Inf",stage="${stage}"} ${counts.run}`);
    lines.push(`engine_stage_latency_seconds_sum{stage="${stage}"} ${counts.sumS}`);
    lines.push(`engine_stage_latency_seconds_count{stage="${stage}"} ${counts.run}`);
  }
  return `${lines.join("\n")}\n`;
}

const sample = (overrides: Partial<TurnSample> = {}): TurnSample => ({
  session: 0,
  index: 0,
  text: QUESTIONS[0]?.text ?? "",
  voice: "en-us",
  longReply: false,
  interrupting: false,
  speechMs: 1_500,
  turnId: 1,
  transcript: "What is the capital of France?",
  transcriptAfterMs: 900,
  firstAudioAfterMs: 1_250,
  pool: { asrQueueMs: 10, asrRunMs: 200, speechEndToTranscriptMs: 215 },
  timings: { llm_first_token_ms: 25, llm_first_sentence_ms: 180, tts_first_sentence_ms: 110, first_audio_ms: 291 },
  outcome: "completed",
  problem: null,
  ...overrides,
});

describe("turnParts", () => {
  it("splits t0 → first audio into VAD end of turn, ASR, LLM, TTS and delivery that add up to it", () => {
    const parts = turnParts(sample(), 20);
    expect(parts).toMatchObject({
      total_ms: 1_250,
      engine_share_ms: 1_070,
      to_transcript_ms: 900,
      vad_end_of_turn_ms: 685,
      asr_queue_ms: 10,
      asr_run_ms: 200,
      transcript_delivery_ms: 5,
      llm_first_sentence_ms: 180,
      tts_first_sentence_ms: 110,
      reply_delivery_ms: 60,
      delivery_ms: 65,
    });
    if (parts === null) throw new Error("expected parts");
    const sum = (parts.vad_end_of_turn_ms ?? 0) + (parts.asr_queue_ms ?? 0) + (parts.asr_run_ms ?? 0) + parts.llm_first_sentence_ms + parts.tts_first_sentence_ms + (parts.delivery_ms ?? 0);
    expect(sum).toBeCloseTo(parts.total_ms, 6);
    // "The capital of France is Paris." is 6 words: 7 tokens at 20 ms.
    expect(parts.llm_pace_ms).toBe(140);
  });

  it("leaves the pool's parts out when the utterance's figures were not its own, and skips unmeasured turns", () => {
    expect(turnParts(sample({ pool: null }), 20)).toMatchObject({ to_transcript_ms: 900, vad_end_of_turn_ms: null, delivery_ms: null, reply_delivery_ms: 60 });
    expect(turnParts(sample({ problem: "no final transcript within 30000 ms" }), 20)).toBeNull();
    expect(turnParts(sample({ firstAudioAfterMs: null }), 20)).toBeNull();
    expect(turnParts(sample({ timings: { first_audio_ms: 300 } }), 20)).toBeNull();
  });
});

describe("the pool's stages from /metrics", () => {
  it("gives one utterance's own figures when exactly one was observed between two scrapes", () => {
    const before = stageSnapshot(metricsText({ run: 3, sumS: 0.9, le05: 3 }));
    const after = stageSnapshot(metricsText({ run: 4, sumS: 1.15, le05: 4 }));
    expect(singleUtterance(stageDelta(before, after))).toEqual({ asrQueueMs: 250, asrRunMs: 250, speechEndToTranscriptMs: 250 });
    const later = stageSnapshot(metricsText({ run: 6, sumS: 1.7, le05: 6 }));
    expect(singleUtterance(stageDelta(before, later))).toBeNull();
  });

  it("estimates quantiles within a bucket as histogram_quantile does", () => {
    const totals = stageSnapshot(metricsText({ run: 10, sumS: 4, le05: 8 })).asr_run;
    // 8 of 10 in (250, 500]: the median is 5 of those 8 → 250 + 250 × 5/8.
    expect(bucketQuantile(totals, 0.5)).toBeCloseTo(406.25, 6);
    // Past the last finite bucket: its bound.
    expect(bucketQuantile(totals, 0.95)).toBe(500);
  });
});

describe("the microphone", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("finds the voiced frames of an utterance (−40 dBFS), zero-padding the last frame", () => {
    const samples = new Int16Array(1_000);
    samples[400] = VOICED_PEAK; // frame 1
    samples[700] = -VOICED_PEAK; // frame 2
    samples[950] = VOICED_PEAK - 1; // frame 2, too quiet to count
    const utterance = micUtterance(new Uint8Array(samples.buffer));
    expect(utterance.frames.length).toBe(4);
    expect(utterance.frames.every((frame) => frame.byteLength === MIC_FRAME_BYTES)).toBe(true);
    expect([utterance.firstVoicedFrame, utterance.lastVoicedFrame]).toEqual([1, 2]);
  });

  it("sends a frame every 20 ms on an absolute schedule, catching up after a stall, and times the speech", async () => {
    vi.useFakeTimers();
    const sent: number[] = [];
    const mic = new Microphone((frame) => sent.push(frame[0] ?? 0), () => Date.now());
    mic.start();
    expect(sent.length).toBe(1);
    const voiced = new Uint8Array(MIC_FRAME_BYTES).fill(0x7f);
    const said = mic.say({ frames: [new Uint8Array(MIC_FRAME_BYTES), voiced, voiced, new Uint8Array(MIC_FRAME_BYTES)], firstVoicedFrame: 1, lastVoicedFrame: 2 });
    const startedAt = Date.now();
    await vi.advanceTimersByTimeAsync(100);
    const times = await said;
    expect(times.firstVoicedAtMs - startedAt).toBe(40);
    expect(times.lastVoicedAtMs - startedAt).toBe(60);
    expect(sent.slice(1, 5)).toEqual([0, 0x7f, 0x7f, 0]);
    // A stalled loop: the frames due are all sent at the next tick.
    const before = sent.length;
    vi.setSystemTime(Date.now() + 200);
    await vi.advanceTimersByTimeAsync(25);
    expect(sent.length - before).toBeGreaterThanOrEqual(10);
    expect(mic.maxLagMs).toBeGreaterThanOrEqual(180);
    mic.stop();
  });
});

describe("the student's inbox", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("finds a matching event already there or resolves on the next one, from the index asked", async () => {
    const inbox = new StudentInbox();
    inbox.push({ kind: "reply", atMs: 1, turnId: 1, final: false, sampleRate: null });
    expect((await inbox.waitFor("reply", 0, (e) => e.turnId === 1, 1_000, "reply")).index).toBe(0);
    const next = inbox.waitFor("reply", 1, (e) => e.turnId === 1, 1_000, "reply");
    inbox.push({ kind: "audio", atMs: 2, bytes: 4_410 });
    inbox.push({ kind: "reply", atMs: 3, turnId: 1, final: true, sampleRate: 22_050 });
    expect(await next).toMatchObject({ index: 2, event: { atMs: 3, final: true } });
    const either = await inbox.waitForAny(0, (e) => e.kind === "audio" || e.kind === "error", 1_000, "audio");
    expect(either.event.kind).toBe("audio");
  });

  it("gives up after its timeout, naming what it waited for", async () => {
    vi.useFakeTimers();
    const inbox = new StudentInbox();
    const waiting = inbox.waitFor("interrupted", 0, () => true, 500, "tutor.interrupted");
    const settled = expect(waiting).rejects.toThrow(new WaitTimeoutError("no tutor.interrupted within 500 ms"));
    await vi.advanceTimersByTimeAsync(500);
    await settled;
  });
});

describe("targets", () => {
  const level = (share: { p50: number; p95: number }, bargeInP95: number | null): LevelReport =>
    ({
      sessions: 1,
      parts: { engine_share_ms: { count: 5, mean_ms: share.p50, p50_ms: share.p50, p95_ms: share.p95, p99_ms: share.p95, max_ms: share.p95 } },
      barge_in: { latency: bargeInP95 === null ? null : { count: 2, mean_ms: bargeInP95, p50_ms: bargeInP95, p95_ms: bargeInP95, p99_ms: bargeInP95, max_ms: bargeInP95 } },
    }) as unknown as LevelReport;

  it("checks the engine's share (p50 ≤ 700, p95 ≤ 1000) and barge-in (p95 ≤ 300) at each level", () => {
    const met = evaluateTutorTargets([level({ p50: 650, p95: 990 }, 280)]);
    expect(met.map((t) => t.pass)).toEqual([true, true, true]);
    expect(tutorPass(met)).toBe(true);
    const missed = evaluateTutorTargets([level({ p50: 905, p95: 1_145 }, 630)]);
    expect(missed.map((t) => [t.name, t.value_ms, t.pass])).toEqual([
      ["engine share p50", 905, false],
      ["engine share p95", 1_145, false],
      ["barge-in p95", 630, false],
    ]);
    expect(tutorPass(evaluateTutorTargets([level({ p50: 650, p95: 990 }, null)]))).toBeNull();
  });
});
