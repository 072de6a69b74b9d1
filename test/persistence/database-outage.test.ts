import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { ADMIN_KEY, collect, eventually, expectModelsLoaded, startTestEngine, type TestEngine } from "../support/engine.js";
import { metricValue, parsePrometheus } from "../support/prometheus.js";
import { createFreshPostgresDatabase, type FreshPostgresDatabase } from "../support/postgres.js";
import { streamPcm, type TranscriptMessage } from "../support/room-audio-client.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";

const baseUrl = process.env["DATABASE_URL"];
/** How long the engine's connections are killed, in a loop, while participants talk. */
const OUTAGE_MS = 10_000;
/** Between two rounds of `pg_terminate_backend`: a new connection rarely gets through a query in between. */
const KILL_EVERY_MS = 25;

interface Outage {
  /** Still killing. */
  readonly running: () => boolean;
  /** Resolves when it stops, with the backends it terminated. */
  readonly done: Promise<number>;
}

describe.skipIf(!baseUrl)("a database outage (needs Postgres: the outage is made by terminating the engine's connections)", () => {
  let fresh: FreshPostgresDatabase;
  let admin: postgres.Sql;
  let name: string;
  let t: TestEngine;
  let hostSpeech: Uint8Array;
  let guestSpeech: Uint8Array;

  beforeAll(async () => {
    fresh = await createFreshPostgresDatabase(baseUrl ?? "");
    name = new URL(fresh.url).pathname.slice(1);
    admin = postgres(baseUrl ?? "", { max: 1, onnotice: () => {} });
    t = await startTestEngine({ databaseUrl: fresh.url });
    const synthesizer = createSpeechSynthesizer();
    const pcm = async (text: string) => float32ToPcm16(padWithSilence((await synthesizer.synthesize(text)).samples16k, 300, 1_200));
    hostSpeech = await pcm("good morning everyone, the weekly planning call starts now");
    guestSpeech = await pcm("thank you, the budget review is ready for the meeting");
    await expectModelsLoaded(t);
  }, 180_000);
  afterAll(async () => {
    await admin?.unsafe(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`).catch(() => undefined);
    await t?.close();
    await admin?.end();
    await fresh?.drop();
  });

  const terminateAll = () => admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${name} AND pid <> pg_backend_pid()`;

  function killConnectionsFor(ms: number): Outage {
    const until = performance.now() + ms;
    let running = true;
    const done = (async () => {
      let killed = 0;
      while (performance.now() < until) {
        killed += (await terminateAll()).length;
        await new Promise((resolve) => setTimeout(resolve, KILL_EVERY_MS));
      }
      running = false;
      return killed;
    })();
    return { running: () => running, done };
  }

  async function post(path: string, body: unknown): Promise<{ status: number; retryAfter: string | null; body: unknown }> {
    const response = await fetch(`${t.engine.httpUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, retryAfter: response.headers.get("retry-after"), body: await response.json() };
  }

  async function metrics(): Promise<ReturnType<typeof parsePrometheus>> {
    return parsePrometheus(await t.engine.metrics.text());
  }

  // First, before any connection has been killed under a query: postgres.js keeps such a connection's failed query
  // (porsager/postgres#1130), and while the server then refuses connections, a new query on it waits until the server
  // accepts again instead of failing (the README's "Nothing lost — writes" describes it).
  it("creating a session or a token while the database refuses connections answers 503 database_unavailable, retryable, with Retry-After", async () => {
    const { id } = await t.createSession({ kind: "meeting" });
    await admin.unsafe(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
    try {
      await terminateAll();
      for (const answer of [await post("/api/v1/sessions", { kind: "meeting" }), await post(`/api/v1/sessions/${id}/tokens`, { participant_id: "p2", role: "participant" })]) {
        expect(answer.status).toBe(503);
        expect(answer.retryAfter).toBe("5");
        expect(answer.body).toMatchObject({ error: { code: "database_unavailable", retryable: true } });
      }
      const ready = await fetch(`${t.engine.httpUrl}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ error: { code: "not_ready", details: { database: "unreachable" } } });
    } finally {
      await admin.unsafe(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
    }
    // Back: the first queries may still meet connections killed while idle (503 again), then it serves.
    await eventually(async () => ((await post("/api/v1/sessions", { kind: "meeting" })).status === 201 ? true : undefined), 20_000);
    const ready = await eventually(async () => {
      const answer = await fetch(`${t.engine.httpUrl}/ready`);
      return answer.status === 200 ? answer.json() : undefined;
    }, 20_000);
    expect(ready).toMatchObject({ status: "ready", persistence: { degraded_rooms: 0, buffered_writes: 0 } });
  }, 60_000);

  it("every final transcript the clients received and every lifecycle event is in the database after 10 s of killed connections", async () => {
    const { id, token } = await t.createSession({ kind: "meeting" });
    const host = await t.join(id, token);
    const guest = await t.join(id, await t.token(id, "guest", "participant", { name: "Guest" }));
    // Joining reads the session from the database (src/rooms/join-authorization.ts): the third participant joins
    // before the outage and leaves during it.
    const late = await t.join(id, await t.token(id, "late", "participant", { name: "Late" }));
    const heard = collect<TranscriptMessage>(host, "transcript");
    const finals = () => heard.filter((m) => m.final);
    const retriesBefore = metricValue(await metrics(), "engine_db_write_retries_total") ?? 0;

    const outage = killConnectionsFor(OUTAGE_MS);
    // Measured every 20 ms: the most writes buffered, those left when the killing stops, and how long they take to drain.
    let maxBuffered = 0;
    const measured: { stopMs: number | null; bufferedAtStop: number | null; drainMs: number | null } = { stopMs: null, bufferedAtStop: null, drainMs: null };
    void outage.done.then(() => Object.assign(measured, { stopMs: performance.now(), bufferedAtStop: t.engine.metrics.writes.bufferedWrites }));
    const sampler = setInterval(() => {
      const buffered = t.engine.metrics.writes.bufferedWrites;
      maxBuffered = Math.max(maxBuffered, buffered);
      if (measured.stopMs !== null && measured.drainMs === null && buffered === 0) measured.drainMs = performance.now() - measured.stopMs;
    }, 20);
    // The management API meanwhile: a created session or a 503 database_unavailable, never a 500.
    const answers: string[] = [];
    const asking = (async () => {
      while (outage.running()) {
        for (const answer of [await post("/api/v1/sessions", { kind: "meeting" }), await post(`/api/v1/sessions/${id}/tokens`, { participant_id: "p", role: "participant" })]) {
          const code = (answer.body as { error?: { code?: string } }).error?.code;
          answers.push(answer.status === 201 ? "201" : `${answer.status} ${code ?? ""}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();

    // Host and guest take turns while the connections are killed; the third participant leaves after the first turn.
    try {
      for (let turn = 0; outage.running(); turn += 1) {
        const before = finals().length;
        await streamPcm(turn % 2 === 0 ? host : guest, turn % 2 === 0 ? hostSpeech : guestSpeech);
        if (turn === 0) await late.leave(true);
        await eventually(() => (finals().length > before ? true : undefined), 30_000);
      }
    } finally {
      await Promise.allSettled([outage.done, asking]);
    }
    const killed = await outage.done;
    await eventually(() => (measured.drainMs !== null ? true : undefined), 30_000);
    clearInterval(sampler);

    // The first requests after the outage can meet a killed idle connection (503 database_unavailable): try again.
    await eventually(async () => ((await t.api("DELETE", `/api/v1/sessions/${id}`)).status === 204 ? true : undefined), 20_000);
    await eventually(() => (t.engine.metrics.writes.bufferedWrites === 0 ? true : undefined), 20_000);

    const reader = postgres(fresh.url, { max: 1, onnotice: () => {} });
    try {
      const segments = await reader<{ segment_id: string }[]>`SELECT segment_id FROM transcript_segments WHERE session_id = ${id}`;
      const events = await reader<{ type: string; participant_id: string | null }[]>`SELECT type, participant_id FROM session_events WHERE session_id = ${id} ORDER BY id`;
      const kinds = events.map((e) => (e.participant_id === null ? e.type : `${e.type}:${e.participant_id}`));
      const samples = await metrics();
      const figures = {
        killed_backends: killed,
        turns: finals().length,
        api_answers: [...new Set(answers)],
        max_buffered: maxBuffered,
        buffered_at_stop: measured.bufferedAtStop,
        drain_ms: Math.round(measured.drainMs ?? Number.NaN),
        retries: (metricValue(samples, "engine_db_write_retries_total") ?? 0) - retriesBefore,
        duplicate_events: kinds.length - new Set(kinds).size,
      };
      console.log(`database outage: ${JSON.stringify(figures)}`);

      expect(killed).toBeGreaterThan(0);
      expect(figures.retries).toBeGreaterThan(0);
      expect(finals().length).toBeGreaterThanOrEqual(2);
      expect(segments.map((s) => s.segment_id)).toEqual(expect.arrayContaining(finals().map((m) => m.segment_id)));
      const expected = [
        ...["lifecycle.created", "lifecycle.waiting", "lifecycle.live", "lifecycle.draining", "lifecycle.ended"],
        ...["host", "guest", "late"].flatMap((p) => [`participant.joined:${p}`, `participant.left:${p}`]),
      ];
      expect(kinds).toEqual(expect.arrayContaining(expected));
      // Each in its place: a participant's join before their leave, the lifecycle in order.
      const at = (kind: string) => kinds.indexOf(kind);
      for (const p of ["host", "guest", "late"]) expect(at(`participant.joined:${p}`)).toBeLessThan(at(`participant.left:${p}`));
      const lifecycle = kinds.filter((k) => k.startsWith("lifecycle."));
      expect([...new Set(lifecycle)]).toEqual(["lifecycle.created", "lifecycle.waiting", "lifecycle.live", "lifecycle.draining", "lifecycle.ended"]);
      expect(answers.every((a) => a === "201" || a === "503 database_unavailable")).toBe(true);
      expect(metricValue(samples, "engine_db_writes_lost_total") ?? 0).toBe(0);
    } finally {
      await reader.end({ timeout: 1 });
    }
  }, 180_000);
});
