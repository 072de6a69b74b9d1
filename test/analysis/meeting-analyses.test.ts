/**
 * The meeting analysis service on a real database (PGlite in memory), a real HTTP language model server (the test
 * double of an OpenAI-compatible endpoint) and the engine's job queue (BullMQ on a real Redis when REDIS_URL is set,
 * else in process): what is stored, served, recomputed and shared, every way a summary is missing, and the job at a
 * session's end. The engine end to end (speech, camera, the room's trigger) is meeting-analysis.heavy.test.ts.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MeetingAnalyses } from "../../src/analysis/meeting-analyses.js";
import { MEETING_ANALYSIS_VERSION } from "../../src/analysis/meeting-analysis-schema.js";
import { isEngineError } from "../../src/errors.js";
import { createJobQueue } from "../../src/jobs/create-job-queue.js";
import type { JobQueue, JobQueueOverrides } from "../../src/jobs/job-queue.js";
import { createLogger } from "../../src/logger.js";
import type { Database } from "../../src/persistence/database.js";
import { DrizzleAnalysisStore } from "../../src/persistence/drizzle-analysis-store.js";
import { DrizzleMeetingAnalysisStore } from "../../src/persistence/drizzle-meeting-analysis-store.js";
import { DrizzleSessionStore } from "../../src/persistence/drizzle-session-store.js";
import { DrizzleTranscriptStore } from "../../src/persistence/drizzle-transcript-store.js";
import { openPgliteDatabase } from "../../src/persistence/pglite-database.js";
import { createLlmClient, llmConfigDefaults } from "../../src/tutor/llm/llm-config.js";
import { testRedisUrl } from "../support/engine.js";
import { deleteKeysUnder } from "../jobs/redis-keys.js";
import { LlmTestServer } from "../support/llm-test-server.js";

const SUMMARY = { summary: "Ann proposed the plan; Bob disagreed.", action_items: [{ text: "Ann sends the plan", owner: "Ann" }] };

let database: Database;
let llm: LlmTestServer;
const logger = createLogger("silent");
const redisUrl = testRedisUrl();
/** Each service gets a queue of its own (on Redis: a prefix of its own), closed after the file. */
const run = `test-analyses-${randomUUID()}`;
const queues: JobQueue[] = [];
const SMALL_BACKOFF: JobQueueOverrides = { kinds: { meeting_analysis: { attempts: 3, backoffMs: 20 } } };

function jobQueue(overrides: JobQueueOverrides = SMALL_BACKOFF): JobQueue {
  const queue = createJobQueue(redisUrl, { logger }, { ...overrides, prefix: `${run}-${queues.length}` });
  queues.push(queue);
  return queue;
}

beforeAll(async () => {
  database = await openPgliteDatabase();
  await database.migrate();
  llm = await LlmTestServer.start({ tokenIntervalMs: 1 });
});
afterAll(async () => {
  await Promise.all(queues.map((queue) => queue.close()));
  if (redisUrl !== null) await deleteKeysUnder(redisUrl, run);
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

function service(model: string | null = "test-model", url: string | null = llm.baseUrl, closeGraceMs = 10_000, jobs = jobQueue()): MeetingAnalyses {
  const client = createLlmClient({ ...llmConfigDefaults, llmUrl: url, llmModel: model, llmFirstTokenTimeoutMs: 5_000, llmTimeoutMs: 10_000 });
  return new MeetingAnalyses({ ...stores(), llm: { client, model }, logger, jobs }, { closeGraceMs });
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

  it("at session end: a job computes and stores it once; a second ending or a later service finds it stored", async () => {
    const jobs = jobQueue();
    const analyses = service("test-model", llm.baseUrl, 10_000, jobs);
    const id = await meeting();
    const before = llm.requests.length;
    await Promise.all([analyses.sessionEnded(id), analyses.sessionEnded(id)]);
    const done = await jobs.settled(`meeting_analysis:${id}`, 10_000);
    expect(done).toMatchObject({ state: "completed", attemptsMade: 1, result: { session_id: id, status: "final", version: MEETING_ANALYSIS_VERSION, summary_unavailable: null, computed: true } });
    expect(llm.requests.length).toBe(before + 1);
    expect((await stores().meetingAnalyses.getMeetingAnalysis(id))?.status).toBe("final");
    await analyses.close();

    const second = jobQueue();
    const later = service("test-model", llm.baseUrl, 10_000, second);
    await later.sessionEnded(id);
    await later.close();
    expect(await second.get(`meeting_analysis:${id}`)).toMatchObject({ state: "completed", result: { computed: false } });
    expect(llm.requests.length).toBe(before + 1);
  });

  it("an unknown session's job is dead-lettered at once (session_not_found is not retried)", async () => {
    const jobs = jobQueue();
    const analyses = service("test-model", llm.baseUrl, 10_000, jobs);
    await analyses.sessionEnded("no-such-session");
    await analyses.close();
    const failed = await jobs.list({ state: "failed", limit: 10, offset: 0 });
    expect(failed.items).toEqual([expect.objectContaining({ id: "meeting_analysis:no-such-session", attemptsMade: 1, error: { code: "session_not_found", message: "no session has that id" } })]);
  });

  it("a database failure is retried with backoff; one that lasts dead-letters the job with the last error", async () => {
    const id = await meeting();
    // The session store failing its first `failing` reads, as a database that went away does.
    const flaky = (failing: number) => {
      const store = stores().store;
      let calls = 0;
      return new Proxy(store, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (property !== "getSession" || typeof value !== "function") return typeof value === "function" ? value.bind(target) : value;
          return (...args: unknown[]) => ((calls += 1) <= failing ? Promise.reject(new Error(`connection refused (read ${calls})`)) : value.apply(target, args));
        },
      });
    };
    const withStore = (failing: number, jobs: JobQueue) =>
      new MeetingAnalyses({ ...stores(), store: flaky(failing), llm: { client: createLlmClient({ ...llmConfigDefaults, llmUrl: llm.baseUrl, llmModel: "test-model" }), model: "test-model" }, logger, jobs });

    const recovering = jobQueue();
    await withStore(1, recovering).sessionEnded(id);
    expect(await recovering.settled(`meeting_analysis:${id}`, 10_000)).toMatchObject({ state: "completed", attemptsMade: 2, error: null });

    const lasting = jobQueue();
    const other = await meeting();
    await withStore(100, lasting).sessionEnded(other);
    expect(await lasting.settled(`meeting_analysis:${other}`, 10_000)).toMatchObject({
      state: "failed",
      attemptsMade: 3,
      error: { code: "internal", message: "connection refused (read 3)" },
    });
  });

  it("close waits for the session-end job, then cuts a summary still waiting: its analysis is left unstored", async () => {
    const hanging = await meeting();
    const jobs = jobQueue();
    const third = service("test-model", llm.baseUrl, 200, jobs);
    llm.failures.push({ kind: "hang" });
    // Counted before the end is reported: the job may reach the model before sessionEnded resolves.
    const summaryRequest = llm.waitForRequest(llm.requests.length + 1);
    await third.sessionEnded(hanging);
    await summaryRequest;
    const closingMs = performance.now();
    await third.close();
    expect(performance.now() - closingMs).toBeLessThan(2_000);
    expect(await stores().meetingAnalyses.getMeetingAnalysis(hanging)).toBeNull();
    // The attempt failed as cut short, to be retried (in process, the queue's close drops it; on Redis another process runs it).
    const job = await jobs.settled(`meeting_analysis:${hanging}`, 2_000);
    expect(job?.error).toMatchObject({ code: "draining" });
  });
});
