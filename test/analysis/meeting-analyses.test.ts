/**
 * The meeting analysis service on a real database (PGlite in memory) and a real HTTP language model server (the test
 * double of an OpenAI-compatible endpoint): what is stored, served, recomputed and shared, and every way a summary
 * is missing. The engine end to end (speech, camera, the room's trigger) is meeting-analysis.heavy.test.ts.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MeetingAnalyses } from "../../src/analysis/meeting-analyses.js";
import { MEETING_ANALYSIS_VERSION } from "../../src/analysis/meeting-analysis-schema.js";
import { isEngineError } from "../../src/errors.js";
import { createLogger } from "../../src/logger.js";
import type { Database } from "../../src/persistence/database.js";
import { DrizzleAnalysisStore } from "../../src/persistence/drizzle-analysis-store.js";
import { DrizzleMeetingAnalysisStore } from "../../src/persistence/drizzle-meeting-analysis-store.js";
import { DrizzleSessionStore } from "../../src/persistence/drizzle-session-store.js";
import { DrizzleTranscriptStore } from "../../src/persistence/drizzle-transcript-store.js";
import { openPgliteDatabase } from "../../src/persistence/pglite-database.js";
import { createLlmClient, llmConfigDefaults } from "../../src/tutor/llm/llm-config.js";
import { LlmTestServer } from "../support/llm-test-server.js";

const SUMMARY = { summary: "Ann proposed the plan; Bob disagreed.", action_items: [{ text: "Ann sends the plan", owner: "Ann" }] };

let database: Database;
let llm: LlmTestServer;
let failures = 0;
const logger = createLogger("silent");

beforeAll(async () => {
  database = await openPgliteDatabase();
  await database.migrate();
  llm = await LlmTestServer.start({ tokenIntervalMs: 1 });
});
afterAll(async () => {
  await llm.close();
  await database.close();
});
beforeEach(() => {
  llm.options.reply = () => JSON.stringify(SUMMARY);
  llm.failures.length = 0;
});

const stores = () => ({
  store: new DrizzleSessionStore(database.db),
  transcripts: new DrizzleTranscriptStore(database.db),
  analyses: new DrizzleAnalysisStore(database.db),
  meetingAnalyses: new DrizzleMeetingAnalysisStore(database.db),
});

function service(model: string | null = "test-model", url: string | null = llm.baseUrl, closeGraceMs = 10_000): MeetingAnalyses {
  const client = createLlmClient({ ...llmConfigDefaults, llmUrl: url, llmModel: model, llmFirstTokenTimeoutMs: 5_000, llmTimeoutMs: 10_000 });
  return new MeetingAnalyses({ ...stores(), llm: { client, model }, logger, onFailure: () => (failures += 1) }, { closeGraceMs });
}

/** A meeting with two speakers and a camera row, ended unless `live`. */
async function meeting(options: { live?: boolean; kind?: "meeting" | "tutoring" } = {}): Promise<string> {
  const { store, transcripts, analyses } = stores();
  const id = `m-${randomUUID()}`;
  const t0 = Date.now() - 60_000;
  await store.createSession({ id, kind: options.kind ?? "meeting", title: null, tutorId: null, studentId: null, kbId: null, maxParticipants: 4, idleTimeoutMs: 60_000, maxDurationMs: 600_000, at: new Date(t0) });
  await store.recordJoin({ sessionId: id, participantId: "ann", name: "Ann", role: "host", at: new Date(t0 + 1_000) });
  await store.recordJoin({ sessionId: id, participantId: "bob", name: "Bob", role: "participant", at: new Date(t0 + 2_000) });
  const segment = (segmentId: string, participantId: string, text: string, startMs: number, endMs: number) =>
    transcripts.saveSegment({ sessionId: id, segmentId, participantId, text, startMs, endMs, createdAt: new Date() });
  await segment("1", "ann", "This plan is wonderful and I am very happy with it.", 5_000, 8_000);
  await segment("2", "bob", "I do not agree, this is not good.", 10_000, 12_000);
  await analyses.saveAnalyses([
    { sessionId: id, participantId: "ann", kind: "expression", atMs: 4_000, payload: { faces: 1, expression: "happy", scores: null }, createdAt: new Date() },
  ]);
  if (options.live !== true) {
    await store.recordTransition({ sessionId: id, status: "ended", snapshot: null, reason: "api", at: new Date(t0 + 20_000) });
  }
  return id;
}

describe("MeetingAnalyses", () => {
  it("an ended meeting: computed once with the model's summary, stored, then served from the store", async () => {
    const analyses = service();
    const id = await meeting();
    const before = llm.requests.length;
    const first = await analyses.get(id);
    expect(first.status).toBe("final");
    expect(first.version).toBe(MEETING_ANALYSIS_VERSION);
    expect(first.analysis.summary).toMatchObject({ text: SUMMARY.summary, action_items: SUMMARY.action_items, model: "test-model" });
    expect(first.analysis.summary_unavailable).toBeNull();
    expect(first.analysis.duration_ms).toBe(20_000);
    expect(first.analysis.participants.map((p) => [p.participant_id, p.talk_time_ms, p.sentiment?.label])).toEqual([
      // Stored bounds less the pool's 300 ms of padding each side.
      ["ann", 2_400, "positive"],
      ["bob", 1_400, "negative"],
    ]);
    expect(first.analysis.participants[0]?.expression_timeline?.dominant).toBe("happy");
    // The model was given the transcript under the speakers' names.
    const request = llm.requests.at(-1);
    expect(request?.messages.at(-1)?.content).toContain("Ann: This plan is wonderful");
    expect(request?.messages.at(-1)?.content).toContain("Bob: I do not agree");

    const again = await analyses.get(id);
    expect(again.computedAt).toEqual(first.computedAt);
    expect(again.analysis).toEqual(first.analysis);
    expect(llm.requests.length).toBe(before + 1);
    // A new service (another process, a restart) reads the same.
    expect((await service().get(id)).computedAt).toEqual(first.computedAt);

    const refreshed = await analyses.get(id, { refresh: true });
    expect(refreshed.computedAt.getTime()).toBeGreaterThanOrEqual(first.computedAt.getTime());
    expect(llm.requests.length).toBe(before + 2);
  });

  it("concurrent requests share one computation", async () => {
    const analyses = service();
    const id = await meeting();
    const before = llm.requests.length;
    const results = await Promise.all([analyses.get(id), analyses.get(id), analyses.computeAndStore(id, { final: true })]);
    expect(new Set(results.map((r) => r.computedAt.getTime())).size).toBe(1);
    expect(llm.requests.length).toBe(before + 1);
  });

  it("a live meeting: a snapshot without a summary, kept briefly; the final one replaces it", async () => {
    const analyses = service();
    const id = await meeting({ live: true });
    const before = llm.requests.length;
    const live = await analyses.get(id);
    expect(live.status).toBe("live");
    expect(live.analysis).toMatchObject({ summary: null, summary_unavailable: "session_live", ended_at: null });
    expect((await analyses.get(id)).computedAt).toEqual(live.computedAt);
    expect(llm.requests.length).toBe(before);
    await stores().store.recordTransition({ sessionId: id, status: "ended", snapshot: null, reason: "api", at: new Date() });
    const final = await analyses.get(id);
    expect(final.status).toBe("final");
    expect(final.analysis.summary?.text).toBe(SUMMARY.summary);
  });

  it("without a model, a failing one or a reply that is not the JSON asked for: no summary, and why", async () => {
    const id = await meeting();
    expect((await service(null, null).get(id, { refresh: true })).analysis).toMatchObject({ summary: null, summary_unavailable: "llm_unavailable" });
    llm.failures.push({ kind: "http", status: 500 });
    expect((await service().get(id, { refresh: true })).analysis).toMatchObject({ summary: null, summary_unavailable: "llm_unavailable" });
    llm.options.reply = () => "The meeting went well, everyone was happy.";
    expect((await service().get(id, { refresh: true })).analysis).toMatchObject({ summary: null, summary_unavailable: "llm_invalid_reply" });
    // A tutoring session's transcript is the student's half of it: no summary is asked for.
    const before = llm.requests.length;
    const tutoring = await service().get(await meeting({ kind: "tutoring" }));
    expect(tutoring.analysis).toMatchObject({ session_kind: "tutoring", summary: null, summary_unavailable: "not_a_meeting" });
    expect(tutoring.analysis.participants[0]?.talk_time_ms).toBe(2_400);
    expect(llm.requests.length).toBe(before);
  });

  it("an unknown session is session_not_found", async () => {
    const error: unknown = await service().get("no-such-session").catch((caught: unknown) => caught);
    expect(isEngineError(error) && error.code).toBe("session_not_found");
  });

  it("at session end: computed in the background, skipped when already stored, failures counted; close waits, then cuts summaries", async () => {
    const analyses = service();
    const id = await meeting();
    analyses.sessionEnded(id);
    await analyses.close();
    const stored = await stores().meetingAnalyses.getMeetingAnalysis(id);
    expect(stored?.status).toBe("final");

    const before = llm.requests.length;
    const second = service();
    second.sessionEnded(id);
    second.sessionEnded("no-such-session");
    const failed = failures;
    await second.close();
    expect(llm.requests.length).toBe(before);
    expect(failures).toBe(failed + 1);

    // A summary still waiting when the grace runs out is cut, and its analysis left unstored for a later request.
    const hanging = await meeting();
    const third = service("test-model", llm.baseUrl, 200);
    llm.failures.push({ kind: "hang" });
    third.sessionEnded(hanging);
    await llm.waitForRequest(llm.requests.length + 1);
    await third.close();
    expect(await stores().meetingAnalyses.getMeetingAnalysis(hanging)).toBeNull();
  });
});
