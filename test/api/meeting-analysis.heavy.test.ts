/**
 * A meeting end to end: two participants speak through the real SDK (eSpeak NG speech, streamed at a microphone's
 * pace), one of them also streams camera frames of a real face photo; the session is ended over the API and its
 * analysis is read back: talk time against the truth, the segments' sentiment, the camera's expression timeline, and
 * the summary — unavailable while the LLM cannot be reached, then the test LLM server's JSON once it can.
 *
 * One engine, configured with the test LLM server (LLM_URL, LLM_MODEL). With its connections refused the summary
 * is `llm_unavailable`, the answer an engine without LLM_URL gives too (that path, `UnconfiguredLlm`, is covered by
 * test/analysis/meeting-analyses.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeetingAnalysisResponse } from "../../src/analysis/meeting-analysis-schema.js";
import { meetingAnalysisResponse } from "../../src/api/meeting-analysis-routes.js";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { MODEL_SAMPLE_RATE } from "../../src/inference/pool-types.js";
import { collect, eventually, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { LlmTestServer } from "../support/llm-test-server.js";
import { concatenate } from "../support/noisy-speech.js";
import { streamPcm, type TranscriptMessage } from "../support/room-audio-client.js";
import { streamFrames, type ExpressionMessage } from "../support/room-video-client.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";
import { speechBoundsMs } from "../support/speech-bounds.js";
import { createTestPhotos, type TestPhoto } from "../support/test-photos.js";

/*
 * Turns of several seconds, as people speak in meetings: the VAD lets go of speech 50–600 ms after it ends (Silero
 * holds longer after earlier speech on the stream), a fixed error that a one-second "yes" would turn into 50 %.
 * Measured on these: Ann 10.37 s of talk against 9.91 s of speech (+4.6 %), Bob 3.81 s against 3.58 s (+6.4 %).
 */
const ANN_POSITIVE = "I am really happy with the great progress we made this week. The new design works well and the customers love it.";
const ANN_NEUTRAL = "Let us review the plan for the launch next month and share it with the whole team.";
const BOB_NEGATIVE = "I am not happy with this schedule and I do not like the new deadline at all.";
const SUMMARY = { summary: "Ann is pleased with the progress; Bob does not like the schedule.", action_items: [{ text: "Review the launch plan", owner: "Ann" }] };

let t: TestEngine;
let llm: LlmTestServer;
let face: TestPhoto;
/** Each participant's audio, and its truth: the summed non-silent spans of their sentences (RMS ≥ −40 dBFS in 10 ms windows). */
const speech: Record<"ann" | "bob", { pcm: Uint8Array; truthMs: number }> = { ann: { pcm: new Uint8Array(), truthMs: 0 }, bob: { pcm: new Uint8Array(), truthMs: 0 } };

beforeAll(async () => {
  llm = await LlmTestServer.start({ tokenIntervalMs: 1 });
  await llm.refuseConnections();
  const synthesizer = createSpeechSynthesizer();
  const [engine, photo, annPositive, annNeutral, bobNegative] = await Promise.all([
    // Only the models a meeting's speech and camera need: fewer loads on the test's cores.
    startTestEngine({ llmUrl: llm.baseUrl, llmModel: "test-model", inferenceModels: ["silero_vad_v5", "whisper_tiny_en_int8", "blazeface_front_128", "human_emotion"] }),
    createTestPhotos().photo("astronaut"),
    synthesizer.synthesize(ANN_POSITIVE),
    synthesizer.synthesize(ANN_NEUTRAL),
    synthesizer.synthesize(BOB_NEGATIVE),
  ]);
  t = engine;
  face = photo;
  const spoken = (samples: Float32Array) => {
    const bounds = speechBoundsMs(samples, MODEL_SAMPLE_RATE);
    return bounds.endMs - bounds.startMs;
  };
  // Ann: a pause, two turns' worth of speech 1.2 s apart, a pause (each its own segment); Bob: one sentence.
  const annAudio = [padWithSilence(annPositive.samples16k, 600, 1_200), padWithSilence(annNeutral.samples16k, 0, 1_200)];
  speech.ann = { pcm: float32ToPcm16(concatenate(annAudio)), truthMs: spoken(annPositive.samples16k) + spoken(annNeutral.samples16k) };
  speech.bob = { pcm: float32ToPcm16(padWithSilence(bobNegative.samples16k, 300, 1_200)), truthMs: spoken(bobNegative.samples16k) };
  await expectModelsLoaded(t);
}, 120_000);
afterAll(async () => {
  await t?.close();
  await llm?.close();
});

async function analysisOf(id: string, query = ""): Promise<MeetingAnalysisResponse> {
  const res = await t.api("GET", `/api/v1/ai/analysis/${id}${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return meetingAnalysisResponse.parse(res.body);
}

describe("GET /api/v1/ai/analysis/{meeting_id}", () => {
  it("a meeting that ended: talk time within 10 % of the spoken speech, sentiment per segment, Ann's expressions, no summary without an LLM; then the LLM's", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const ann = await t.join(id, token);
    const bob = await t.join(id, await t.token(id, "bob", "participant", { name: "Bob" }));
    const heard = collect<TranscriptMessage>(bob, "transcript");
    const expressions = collect<ExpressionMessage>(bob, "expression");
    let cameraOn = true;

    // Ann's camera runs while she speaks; Bob speaks after her, never at once (realTime: audio at a microphone's
    // pace, so the room's clock and the audio's agree and her segments end before his begin).
    const camera = streamFrames(ann, face.jpeg, { count: 1, until: () => cameraOn });
    await streamPcm(ann, speech.ann.pcm, { realTime: true });
    await eventually(() => (heard.filter((m) => m.final && m.participant_id === "host").length >= 2 ? true : undefined), 30_000);
    await eventually(() => expressions.find((m) => m.participant_id === "host" && m.faces === 1), 20_000);
    cameraOn = false;
    await camera;
    await streamPcm(bob, speech.bob.pcm, { realTime: true });
    await eventually(() => heard.find((m) => m.final && m.participant_id === "bob"), 30_000);

    const live = await analysisOf(id);
    expect(live).toMatchObject({ status: "live", summary: null, summary_unavailable: "session_live" });
    expect(live.session_status).not.toBe("ended");

    expect((await t.api("DELETE", `/api/v1/sessions/${id}`)).status).toBe(204);
    const analysis = await analysisOf(id);
    expect(analysis).toMatchObject({ meeting_id: id, session_id: id, status: "final", session_status: "ended", summary: null, summary_unavailable: "llm_unavailable" });
    const annView = analysis.participants.find((p) => p.participant_id === "host");
    const bobView = analysis.participants.find((p) => p.participant_id === "bob");
    if (annView === undefined || bobView === undefined) throw new Error(`participants: ${JSON.stringify(analysis.participants)}`);

    // Reported for tuning: the VAD's talk time against the speech's.
    console.info(`talk time: Ann ${annView.talk_time_ms} ms (speech ${speech.ann.truthMs} ms), Bob ${bobView.talk_time_ms} ms (speech ${speech.bob.truthMs} ms); Ann's camera: ${JSON.stringify(annView.expression_timeline)}`);
    expect(Math.abs(annView.talk_time_ms - speech.ann.truthMs) / speech.ann.truthMs, `Ann ${annView.talk_time_ms} ms, truth ${speech.ann.truthMs} ms`).toBeLessThanOrEqual(0.1);
    expect(Math.abs(bobView.talk_time_ms - speech.bob.truthMs) / speech.bob.truthMs, `Bob ${bobView.talk_time_ms} ms, truth ${speech.bob.truthMs} ms`).toBeLessThanOrEqual(0.1);
    expect(annView).toMatchObject({ name: "Host", turns: 1, interruptions_made: 0, interruptions_received: 0 });
    expect(bobView).toMatchObject({ name: "Bob", turns: 1, interruptions_made: 0, interruptions_received: 0 });
    expect(analysis.totals).toMatchObject({ interruptions: 0, overlap_ms: 0, turns: 2 });
    expect(annView.words_per_minute).toBeGreaterThan(60);
    expect(annView.longest_monologue?.duration_ms).toBeGreaterThan(annView.talk_time_ms);

    // Sentiment: Ann's first sentence positive, Bob's negated "happy" negative.
    const annSegments = analysis.segments.filter((s) => s.participant_id === "host");
    const bobSegments = analysis.segments.filter((s) => s.participant_id === "bob");
    expect(annSegments.length).toBeGreaterThanOrEqual(2);
    expect(annSegments[0]?.sentiment.label, annSegments[0]?.text).toBe("positive");
    expect(bobSegments.length).toBeGreaterThanOrEqual(1);
    expect(bobView.sentiment?.label, bobSegments.map((s) => s.text).join(" | ")).toBe("negative");
    expect(annView.sentiment?.label).toBe("positive");
    expect(analysis.sentiment).toMatchObject({ method: "lexicon", model: "vader-sentiment 1.1.3" });

    // The camera: Ann's face held most of her observed time; Bob sent no frames.
    const timeline = annView.expression_timeline;
    expect(timeline?.observed_ms).toBeGreaterThan(0);
    expect(timeline?.dominant).not.toBeNull();
    expect(timeline?.shares[timeline.dominant ?? "neutral"]).toBeGreaterThan(0.5);
    expect(timeline?.faces_absent_share).toBeLessThan(0.5);
    expect(bobView.expression_timeline).toBeNull();

    // Served from the store: the same computation.
    expect((await analysisOf(id)).computed_at).toBe(analysis.computed_at);

    // The LLM reachable: a recomputation asks it once, with the transcript, and serves its JSON as sent.
    llm.options.reply = () => JSON.stringify(SUMMARY);
    await llm.acceptConnections();
    const before = llm.requests.length;
    const summarized = await analysisOf(id, "?refresh=true");
    expect(summarized.summary).toMatchObject({ text: SUMMARY.summary, action_items: SUMMARY.action_items, model: "test-model" });
    expect(summarized.summary?.transcript).toMatchObject({ truncated: false });
    expect(summarized.summary_unavailable).toBeNull();
    expect(llm.requests.length).toBe(before + 1);
    const prompt = llm.requests.at(-1)?.messages.map((m) => m.content).join("\n") ?? "";
    for (const segment of [...annSegments, ...bobSegments]) expect(prompt).toContain(segment.text.trim());
    expect(prompt).toContain("Bob: ");
    expect((await analysisOf(id)).summary?.text).toBe(SUMMARY.summary);
  }, 120_000);

  it("an unknown meeting id, integer-like or not, is 404 session_not_found; a bad refresh is 400", async () => {
    for (const id of ["4711", "no-such-meeting"]) {
      const res = await t.api("GET", `/api/v1/ai/analysis/${id}`);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: { code: "session_not_found" } });
    }
    const { id } = await t.createSession({ kind: "meeting" });
    expect((await t.api("GET", `/api/v1/ai/analysis/${id}?refresh=yes`)).status).toBe(400);
    expect((await t.api("GET", `/api/v1/ai/analysis/${id}`, undefined, null)).status).toBe(401);
  });
});
