import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeWav } from "../../src/inference/audio/wav.js";
import { ADMIN_KEY, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { words } from "../support/speech-bounds.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

/**
 * Background jobs through a real engine (BullMQ on Redis when REDIS_URL is set, else in process): an async
 * transcription of real speech, a session's final analysis at its end, the dead letter, and what the routes refuse.
 */

const SENTENCE = "hello world, this is a test of the meeting engine";
const WORDS = ["hello", "world", "test", "meeting", "engine"];
const POLL_MS = 100;

let t: TestEngine;
let wav: Uint8Array;

beforeAll(async () => {
  t = await startTestEngine({ inferenceModels: ["silero_vad_v5", "whisper_tiny_en_int8"] });
  const synthesized = await createSpeechSynthesizer().synthesize(SENTENCE);
  wav = encodeWav(padWithSilence(synthesized.samples16k, 500, 500), synthesized.sampleRate);
  await expectModelsLoaded(t);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

interface JobBody {
  job_id: string;
  kind: string;
  state: string;
  attempts: number;
  result?: unknown;
  error?: { code: string; message: string };
  created_at: string;
  finished_at: string | null;
}

async function upload(bytes: Uint8Array, query = ""): Promise<{ status: number; location: string | null; body: Record<string, unknown> }> {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(bytes)], { type: "audio/wav" }), "speech.wav");
  const response = await fetch(`${t.engine.httpUrl}/api/v1/transcribe${query}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_KEY}` }, body: form });
  return { status: response.status, location: response.headers.get("location"), body: (await response.json()) as Record<string, unknown> };
}

/** Polls the job's status URL (HTTP has no push) until it is completed or failed. */
async function finished(statusUrl: string, timeoutMs = 60_000): Promise<JobBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.api("GET", statusUrl);
    expect(res.status).toBe(200);
    const job = res.body as JobBody;
    if (job.state === "completed" || job.state === "failed") return job;
    if (Date.now() > deadline) throw new Error(`job still ${job.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const errorCode = (body: unknown) => (body as { error?: { code?: string } }).error?.code;

describe("POST /api/v1/transcribe?async=true", () => {
  it("answers 202 with a job id; the job's result is the body the synchronous route answers", async () => {
    const queued = await upload(wav, "?async=true");
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ job_id: expect.stringMatching(/^transcription:/), state: expect.stringMatching(/^(waiting|active)$/) });
    const statusUrl = String(queued.body["status_url"]);
    expect(statusUrl).toBe(`/api/v1/jobs/${encodeURIComponent(String(queued.body["job_id"]))}`);
    expect(queued.location).toBe(statusUrl);
    const job = await finished(statusUrl);
    expect(job).toMatchObject({ job_id: queued.body["job_id"], kind: "transcription", state: "completed", attempts: 1 });
    expect(job.error).toBeUndefined();
    expect(Date.parse(job.finished_at ?? "")).toBeGreaterThanOrEqual(Date.parse(job.created_at));
    const result = job.result as { text: string; segments: unknown[]; duration_ms: number };
    expect(words(result.text)).toEqual(expect.arrayContaining(WORDS));
    const sync = await upload(wav, "?async=false");
    expect(sync.status).toBe(200);
    expect(result).toEqual(sync.body);
  }, 90_000);

  it("refuses a file that is no WAV at once (400 invalid_audio), and an async value other than true or false (400)", async () => {
    const text = await upload(new TextEncoder().encode("just some notes\n"), "?async=true");
    expect([text.status, errorCode(text.body)]).toEqual([400, "invalid_audio"]);
    for (const value of ["yes", "1", "TRUE", ""]) {
      const res = await upload(wav, `?async=${value}`);
      expect([res.status, errorCode(res.body)]).toEqual([400, "invalid_request"]);
      expect(res.body).toMatchObject({ error: { details: [{ path: "query.async" }] } });
    }
  });
});

describe("GET /api/v1/jobs", () => {
  it("an unknown id is 404 job_not_found; the routes need the admin key", async () => {
    for (const id of ["transcription:no-such-job", "no_such_kind:x", "plain"]) {
      const res = await t.api("GET", `/api/v1/jobs/${encodeURIComponent(id)}`);
      expect([res.status, errorCode(res.body)]).toEqual([404, "job_not_found"]);
    }
    expect((await t.api("GET", "/api/v1/jobs/transcription%3Ax", undefined, null)).status).toBe(401);
    expect((await t.api("GET", "/api/v1/jobs?state=failed", undefined, null)).status).toBe(401);
  });

  it("a session's end queues its final analysis as meeting_analysis:<id>, which completes", async () => {
    const { id } = await t.createSession({ kind: "meeting" });
    expect((await t.api("DELETE", `/api/v1/sessions/${id}`)).status).toBe(204);
    const jobUrl = `/api/v1/jobs/${encodeURIComponent(`meeting_analysis:${id}`)}`;
    // The room disposes, then queues the job: until then the id is unknown.
    const deadline = Date.now() + 20_000;
    while ((await t.api("GET", jobUrl)).status === 404 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const job = await finished(jobUrl);
    expect(job).toMatchObject({ kind: "meeting_analysis", state: "completed", result: { session_id: id, status: "final", computed: true } });
  }, 40_000);

  it("?state=failed lists the dead letter with each job's last error; an unknown state or kind is 400", async () => {
    // The real handler, on a session that does not exist: not retryable, dead at its first attempt.
    const added = await t.engine.jobs.add("meeting_analysis", { session_id: "no-such-session" }, { key: "no-such-session" });
    await t.engine.jobs.settled(added.id, 10_000);
    const res = await t.api("GET", "/api/v1/jobs?state=failed&limit=100");
    expect(res.status).toBe(200);
    const page = res.body as { items: JobBody[]; total: number; limit: number; offset: number };
    expect(page).toMatchObject({ limit: 100, offset: 0 });
    expect(page.total).toBeGreaterThanOrEqual(1);
    expect(page.items).toContainEqual(
      expect.objectContaining({ job_id: added.id, kind: "meeting_analysis", state: "failed", attempts: 1, error: { code: "session_not_found", message: "no session has that id" } }),
    );
    expect((await t.api("GET", "/api/v1/jobs")).body).toMatchObject({ total: page.total });
    const byKind = await t.api("GET", "/api/v1/jobs?state=failed&kind=transcription");
    expect((byKind.body as { items: JobBody[] }).items.every((job) => job.kind === "transcription")).toBe(true);
    for (const query of ["state=dead", "kind=export", "limit=0", "limit=101", "offset=-1", "offset=10001"]) {
      const bad = await t.api("GET", `/api/v1/jobs?${query}`);
      expect([query, bad.status, errorCode(bad.body)]).toEqual([query, 400, "invalid_request"]);
    }
  });
});
