import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, type Room } from "@colyseus/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { float32ToPcm16 } from "../../src/inference/audio/pcm.js";
import { onServerMessages } from "../../src/protocol/server-message-handlers.js";
import type { TranscriptMessage } from "../../src/protocol/server-messages.js";
import { eventually, testRedisUrl } from "../support/engine.js";
import { spawnEngine, type EngineProcess } from "../support/engine-process.js";
import { seedPgliteDataDir } from "../support/pglite-template.js";
import { createFreshPostgresDatabase, type FreshPostgresDatabase } from "../support/postgres.js";
import { streamPcm } from "../support/room-audio-client.js";
import { createSpeechSynthesizer, padWithSilence } from "../support/speech.js";
import { words } from "../support/speech-bounds.js";
import { connectionLost, rejoin } from "../../web/src/rejoin.js";

/**
 * Crash resume with real processes: an engine is SIGKILLed with a live meeting whose two participants have spoken,
 * a new engine starts on the same data (and Redis, when set) and port, the clients rejoin with their tokens (the
 * README's pattern) and speak again. One session holds the transcripts of both sides of the crash.
 */
const BEFORE = { host: "the weather today is sunny and warm", guest: "our project meeting starts at noon" };
const AFTER = { host: "the engine came back after the crash", guest: "we can keep talking in the same meeting" };

let dataDir = "";
let postgres: FreshPostgresDatabase | null = null;
let port = 0;
const running: EngineProcess[] = [];
const speech = new Map<string, Uint8Array>();

/** A port free now, so both engines listen where the clients already point. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "engine-crash-"));
  const baseUrl = process.env["DATABASE_URL"];
  postgres = baseUrl ? await createFreshPostgresDatabase(baseUrl) : null;
  if (postgres === null) await seedPgliteDataDir(dataDir);
  port = await freePort();
  const synthesizer = createSpeechSynthesizer();
  for (const text of [...Object.values(BEFORE), ...Object.values(AFTER)]) {
    speech.set(text, float32ToPcm16(padWithSilence((await synthesizer.synthesize(text)).samples16k, 600, 1_500)));
  }
}, 60_000);
afterAll(async () => {
  for (const engine of running) if (engine.child.exitCode === null) engine.child.kill("SIGKILL");
  await Promise.all(running.map((engine) => engine.exited));
  await postgres?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

async function start(onPort = port, extra: Record<string, string> = {}): Promise<EngineProcess> {
  const env: Record<string, string> = { DATA_DIR: dataDir, PORT: String(onPort), ...extra };
  if (postgres !== null) env["DATABASE_URL"] = postgres.url;
  const redisUrl = testRedisUrl();
  if (redisUrl !== null) env["REDIS_URL"] = redisUrl;
  const engine = await spawnEngine(env, 60_000);
  running.push(engine);
  return engine;
}

async function call(engine: EngineProcess, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${engine.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${engine.adminApiKey}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return z.record(z.string(), z.unknown()).parse(await response.json());
}

/** A log line of the engine, parsed (pino JSON), with its time. */
function logLine<T>(engine: EngineProcess, schema: z.ZodType<T>): (T & { time: number }) | undefined {
  for (const text of engine.output) {
    if (!text.startsWith("{")) continue;
    const parsed = schema.and(z.object({ time: z.number() })).safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

/**
 * A participant as the README's SDK pattern has it: when Colyseus' own reconnection fails for good (the engine
 * process died, and a new one does not know the old connection), join again by id with the same token after a
 * backoff, a bounded number of times. `current` is always the room in use; `rejoined` counts successful rejoins.
 */
class Participant {
  current!: Room;
  readonly transcripts: TranscriptMessage[] = [];
  rejoined = 0;
  #rejoinedAt: ((room: Room) => void) | null = null;
  readonly #client: Client;

  constructor(engineUrl: string, private readonly sessionId: string, token: string) {
    this.#client = new Client(engineUrl);
    this.#client.auth.token = token;
  }

  async join(sessionId = this.sessionId, options: Record<string, unknown> = {}): Promise<Room> {
    const room = await this.#client.joinById(sessionId, options);
    onServerMessages(room);
    // While the engine restarts, Colyseus' reconnection tries each second instead of backing off to 5 s.
    room.reconnection.maxDelay = 1_000;
    room.reconnection.maxRetries = 120;
    room.onMessage("transcript", (message: TranscriptMessage) => this.transcripts.push(message));
    room.onLeave((code) => {
      // Consented: the session ended, this participant left, or joined from elsewhere. Anything else: rejoin.
      if (connectionLost(code)) void this.#rejoin();
    });
    this.current = room;
    return room;
  }

  /** Resolves with the room of the next successful rejoin. */
  nextRejoin(): Promise<Room> {
    return new Promise((resolve) => (this.#rejoinedAt = resolve));
  }

  /** The browser client's own rejoin (web/src/rejoin.ts), as the README shows it. */
  async #rejoin(): Promise<void> {
    const result = await rejoin({ joinById: (id, options) => this.join(id, options) }, this.sessionId, {});
    if ("error" in result) return;
    this.rejoined += 1;
    this.#rejoinedAt?.(result.room);
  }
}

async function speak(participant: Participant, text: string): Promise<void> {
  const pcm = speech.get(text);
  if (pcm === undefined) throw new Error(`no speech for ${text}`);
  await streamPcm(participant.current, pcm);
}

/** The final transcript of `text` heard by `listener` (its words, matched loosely: Whisper tiny is not exact). */
function heardSaying(listener: Participant, speaker: string, text: string): Promise<TranscriptMessage> {
  const expected = words(text).filter((word) => word.length > 3);
  return eventually(() => listener.transcripts.find((m) => m.final && m.participant_id === speaker && expected.filter((w) => words(m.text).includes(w)).length >= 2), 40_000);
}

describe("crash resume across engine processes", () => {
  it("a SIGKILLed engine's live meeting is restored by the next one: clients rejoin with their tokens, one transcript spans the crash", async () => {
    const first = await start();
    const created = await call(first, "POST", "/api/v1/sessions", { kind: "meeting", title: "crash" });
    const id = String(created["session_id"]);
    const guestToken = String((await call(first, "POST", `/api/v1/sessions/${id}/tokens`, { participant_id: "guest", role: "participant", name: "Guest" }))["token"]);
    const host = new Participant(first.engineUrl, id, String(created["engine_token"]));
    const guest = new Participant(first.engineUrl, id, guestToken);
    await host.join();
    await guest.join();

    await speak(host, BEFORE.host);
    await heardSaying(guest, "host", BEFORE.host);
    await speak(guest, BEFORE.guest);
    await heardSaying(host, "guest", BEFORE.guest);
    // Stored before the kill (the transcript write follows its broadcast).
    await eventually(async () => ((await call(first, "GET", `/api/v1/sessions/${id}/transcript`))["segments"] as unknown[]).length >= 2 || undefined, 10_000);
    const before = await call(first, "GET", `/api/v1/sessions/${id}`);
    expect(before).toMatchObject({ status: "live", title: "crash" });

    // A session whose maximum duration runs out while no engine is up: it cannot be restored.
    const short = await call(first, "POST", "/api/v1/sessions", { kind: "meeting", max_duration_ms: 5_000 });
    const shortId = String(short["session_id"]);
    const shortHost = new Client(first.engineUrl);
    shortHost.auth.token = String(short["engine_token"]);
    const shortRoom = await shortHost.joinById(shortId);
    onServerMessages(shortRoom);
    shortRoom.reconnection.enabled = false;
    const shortDeadline = Date.parse(String(short["created_at"])) + 5_000;

    first.child.kill("SIGKILL");
    await first.exited;
    const rejoins = [host.nextRejoin(), guest.nextRejoin()];
    // Waits for a deadline, not for an event: the short session must be past its own when the next engine looks.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, shortDeadline - Date.now())));

    const spawnedAt = Date.now();
    const second = await start();
    const listeningAt = Date.now();
    const [hostRoom, guestRoom] = await Promise.all(rejoins);
    const rejoinedAt = Date.now();
    expect(hostRoom?.roomId).toBe(id);
    expect(guestRoom?.roomId).toBe(id);

    // Both back in their seats once the rejoins' writes are in.
    const restored = await eventually(async () => {
      const body = await call(second, "GET", `/api/v1/sessions/${id}`);
      const seats = z.array(z.object({ participant_id: z.string(), connected: z.boolean() })).parse(body["participants"]);
      return seats.filter((seat) => seat.connected).length === 2 ? body : undefined;
    });
    expect(restored).toMatchObject({ status: "live", title: "crash", created_at: before["created_at"] });
    expect(restored["participants"]).toEqual([
      expect.objectContaining({ participant_id: "host", role: "host", connected: true, left_at: null }),
      expect.objectContaining({ participant_id: "guest", role: "participant", connected: true, left_at: null }),
    ]);
    expect(await call(second, "GET", `/api/v1/sessions/${shortId}`)).toMatchObject({ status: "ended", end_reason: "process_restart" });

    // The deadline counts from the session's creation, not from the restore.
    const restoreLine = logLine(second, z.object({ msg: z.literal("session restored"), session_id: z.literal(id), max_duration_left_ms: z.number() }));
    const maxDurationMs = Number(restored["max_duration_ms"]);
    const createdAtMs = Date.parse(String(before["created_at"]));
    expect(restoreLine?.max_duration_left_ms).toBeLessThanOrEqual(maxDurationMs - (spawnedAt - createdAtMs));
    expect(restoreLine?.max_duration_left_ms).toBeGreaterThan(maxDurationMs - (Date.now() - createdAtMs) - 1_000);

    await speak(host, AFTER.host);
    const afterHost = await heardSaying(guest, "host", AFTER.host);
    await speak(guest, AFTER.guest);
    await heardSaying(host, "guest", AFTER.guest);
    const firstTranscriptAt = Date.now();

    const stored = await eventually(async () => {
      const body = await call(second, "GET", `/api/v1/sessions/${id}/transcript`);
      const segments = z.array(z.object({ participant_id: z.string(), text: z.string(), start_ms: z.number() })).parse(body["segments"]);
      return segments.length >= 4 ? segments : undefined;
    }, 10_000);
    const all = words(stored.map((s) => s.text).join(" "));
    for (const text of [BEFORE.host, BEFORE.guest, AFTER.host, AFTER.guest]) {
      expect(all.filter((w) => words(text).includes(w)).length, text).toBeGreaterThanOrEqual(2);
    }
    // Offsets after the crash continue the session's timeline (counted from its creation, not the restore).
    expect(afterHost.start_ms).toBeGreaterThan(listeningAt - createdAtMs - 5_000);
    expect(host.rejoined).toBe(1);

    const resumed = logLine(second, z.object({ msg: z.literal("sessions left by a dead process resumed"), duration_ms: z.number(), restored: z.number() }));
    const listening = logLine(second, z.object({ msg: z.literal("engine listening") }));
    const firstLine = logLine(second, z.object({ msg: z.string() }));
    console.log(
      JSON.stringify({
        crash_resume: {
          backends: { database: postgres === null ? "pglite" : "postgres", redis: testRedisUrl() !== null },
          spawn_to_listening_ms: listeningAt - spawnedAt,
          engine_first_log_to_listening_ms: (listening?.time ?? 0) - (firstLine?.time ?? 0),
          resume_pass_ms: resumed?.duration_ms,
          restored: resumed?.restored,
          spawn_to_both_rejoined_ms: rejoinedAt - spawnedAt,
          spawn_to_first_transcripts_ms: firstTranscriptAt - spawnedAt,
        },
      }),
    );

    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 240_000);

  // Several processes share sessions only through Postgres and Redis.
  it.runIf(process.env["DATABASE_URL"] && process.env["REDIS_URL"])(
    "with Redis, a live process takes over the sessions of one SIGKILLed beside it (its periodic sweep)",
    async () => {
      const ports = [await freePort(), await freePort()];
      // One after the other: each migrates the database at start.
      const engines: EngineProcess[] = [];
      for (const p of ports) engines.push(await start(p, { PUBLIC_ADDRESS: `127.0.0.1:${p}` }));
      const [a, b] = engines;
      if (a === undefined || b === undefined) throw new Error("two engines");
      const created = await call(a, "POST", "/api/v1/sessions", { kind: "meeting", title: "taken over" });
      const id = String(created["session_id"]);
      const token = String(created["engine_token"]);
      // Colyseus puts the room on the process with fewer rooms: either one.
      const holds = (engine: EngineProcess) => logLine(engine, z.object({ msg: z.literal("session room created"), session_id: z.literal(id) })) !== undefined;
      const holder = await eventually(() => engines.find(holds));
      const survivor = holder === a ? b : a;
      const host = new Participant(holder.engineUrl, id, token);
      await host.join();
      await eventually(async () => ((await call(survivor, "GET", `/api/v1/sessions/${id}`))["status"] === "live" ? true : undefined));

      const killedAt = Date.now();
      holder.child.kill("SIGKILL");
      await holder.exited;
      const restored = z.object({ msg: z.literal("session restored"), session_id: z.literal(id) });
      // One sweep (15 s) and Colyseus' health check of the dead process (2 s), on a loaded machine.
      const line = await eventually(() => logLine(survivor, restored), 30_000);
      const takenOverMs = line.time - killedAt;

      // The client's engine URL was the dead process's: it joins again through the survivor, with its token.
      const back = new Participant(survivor.engineUrl, id, token);
      const room = await back.join();
      expect(room.roomId).toBe(id);
      const session = await eventually(async () => {
        const body = await call(survivor, "GET", `/api/v1/sessions/${id}`);
        return (body["participants"] as { connected: boolean }[]).some((p) => p.connected) ? body : undefined;
      });
      expect(session).toMatchObject({ status: "live", title: "taken over" });
      expect(logLine(survivor, z.object({ msg: z.literal("session room created"), session_id: z.literal(id) }))).toBeUndefined();
      console.log(JSON.stringify({ crash_takeover: { kill_to_restored_by_survivor_ms: takenOverMs } }));

      survivor.child.kill("SIGTERM");
      expect(await survivor.exited).toBe(0);
    },
    120_000,
  );
});
