import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, type Room } from "@colyseus/sdk";
import { expect } from "vitest";
import { z } from "zod";
import { withDefaults, type EngineConfig } from "../../src/config.js";
import { startEngine, type RunningEngine } from "../../src/engine.js";
import { createLogger } from "../../src/logger.js";
import { joinRoom } from "./join-room.js";
import { seedPgliteDataDir } from "./pglite-template.js";
import { createFreshPostgresDatabase } from "./postgres.js";

export const ADMIN_KEY = "test-admin-key-0123456789";
export const TOKEN_SECRET = "test-token-secret-0123456789-0123456789-abcdef";

export interface TestEngine {
  engine: RunningEngine;
  /** A management API call with the admin key (or `key`), JSON in and out. */
  api(method: string, path: string, body?: unknown, key?: string | null): Promise<{ status: number; body: unknown }>;
  /** Creates a session and returns its id and creator token. */
  createSession(body?: Record<string, unknown>): Promise<{ id: string; token: string }>;
  token(sessionId: string, participantId: string, role: string, extra?: Record<string, unknown>): Promise<string>;
  /** Joins through the real SDK. */
  join(sessionId: string, token: string): Promise<Room>;
  close(): Promise<void>;
}

/**
 * A real engine on a free port: PGlite in a temp folder (started from the migrated template, see pglite-template.ts),
 * or a fresh database on DATABASE_URL's server, and Redis when REDIS_URL is set. One per test file (Colyseus'
 * matchmaker is per process).
 */
export async function startTestEngine(overrides: Partial<EngineConfig> = {}): Promise<TestEngine> {
  const dataDir = await mkdtemp(join(tmpdir(), "engine-test-"));
  const baseUrl = process.env["DATABASE_URL"];
  const postgres = baseUrl ? await createFreshPostgresDatabase(baseUrl) : null;
  if (postgres === null) await seedPgliteDataDir(dataDir);
  const config = withDefaults({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    databaseUrl: postgres?.url ?? null,
    redisUrl: testRedisUrl(),
    adminApiKey: ADMIN_KEY,
    tokenSecret: TOKEN_SECRET,
    logLevel: process.env["TEST_LOG_LEVEL"] ?? "silent",
    // Shared across test files and runs: the Whisper preparation happens once.
    modelsDir: join(tmpdir(), "engine-test-models"),
    // One Whisper lane (with the cores' threads): a second lane is a second model load per engine, and the engine
    // waits for its loads before it stops. Lanes are tested on their own (asr-lanes.test.ts).
    asrLanes: 1,
    // No interim captions unless a test asks: they would add Whisper runs, and transcript messages, to tests of finals.
    asrInterim: false,
    // Engines of other test files on the same Redis database must not run this one's jobs (their sessions differ).
    jobsPrefix: `test-${randomBytes(4).toString("hex")}`,
    ...overrides,
  });
  const engine = await startEngine(config, createLogger(config.logLevel));
  const rooms: Room[] = [];

  const api: TestEngine["api"] = async (method, path, body, key = ADMIN_KEY) => {
    const headers: Record<string, string> = {};
    if (key !== null) headers["authorization"] = `Bearer ${key}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${engine.httpUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? null : JSON.parse(text) };
  };

  return {
    engine,
    api,
    async createSession(body = { kind: "meeting" }) {
      const created = await api("POST", "/api/v1/sessions", body);
      if (created.status !== 201) throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`);
      const parsed = z.object({ session_id: z.string(), engine_token: z.string() }).parse(created.body);
      return { id: parsed.session_id, token: parsed.engine_token };
    },
    async token(sessionId, participantId, role, extra = {}) {
      const issued = await api("POST", `/api/v1/sessions/${sessionId}/tokens`, { participant_id: participantId, role, ...extra });
      if (issued.status !== 201) throw new Error(`token failed: ${issued.status} ${JSON.stringify(issued.body)}`);
      return z.object({ token: z.string() }).parse(issued.body).token;
    },
    async join(sessionId, token) {
      const room = await joinRoom(engine.engineUrl, sessionId, token);
      rooms.push(room);
      return room;
    },
    async close() {
      await Promise.allSettled(rooms.map((room) => room.connection.isOpen ? room.leave(true) : Promise.resolve(0)));
      await engine.stop();
      await postgres?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * REDIS_URL (null when unset) with a Redis database of this vitest worker's own. Engines behind one Redis form one
 * Colyseus cluster: a session's room is created on whichever process has the fewest rooms, so two test files running
 * side by side (two workers) would create rooms in each other's engine. Keys are per database; pub/sub channels are
 * not, but Colyseus names them by process and room id.
 */
export function testRedisUrl(): string | null {
  const base = process.env["REDIS_URL"];
  if (!base) return null;
  const url = new URL(base);
  const baseDb = Number(url.pathname.slice(1) || "0");
  const worker = Number(process.env["VITEST_POOL_ID"] ?? "0");
  url.pathname = `/${(baseDb + worker) % 16}`;
  return url.toString();
}

/**
 * Waits for the engine's in-process models and asserts both loaded: the first utterance would otherwise wait for
 * them and race the test's timeouts.
 */
export async function expectModelsLoaded(t: TestEngine): Promise<void> {
  const models = await t.engine.pool?.ready();
  expect(models?.filter((m) => !m.loaded)).toEqual([]);
}

/** Resolves with the first value `probe` returns that is not undefined, polling every 20 ms up to `timeoutMs`. */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Collects every message of `type` a room receives. */
export function collect<T = unknown>(room: Room, type: string): T[] {
  const seen: T[] = [];
  room.onMessage(type, (message: T) => seen.push(message));
  return seen;
}
