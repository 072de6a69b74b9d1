/**
 * compose.yaml's topology as plain processes: two engine processes sharing matchmaking (Colyseus' Redis presence and
 * driver) and sessions (one Postgres database), one standalone pool both use, and the reverse proxy that routes
 * `/<name>/…` by each engine's PUBLIC_ADDRESS (test/support/reverse-proxy.ts, as deploy/nginx.conf does). The real SDK
 * joins through the proxy, so the room connection it builds from the seat reservation's publicAddress is the one a
 * browser behind the compose proxy would open.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { request } from "node:http";
import { join } from "node:path";
import type { Room } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { eventually } from "../support/engine.js";
import { spawnEngine, type EngineProcess } from "../support/engine-process.js";
import { joinRoom } from "../support/join-room.js";
import { spawnPool, stopPool, TEST_INFERENCE_TOKEN, type PoolProcess } from "../support/pool-process.js";
import { createFreshPostgresDatabase, type FreshPostgresDatabase } from "../support/postgres.js";
import { metricValue, parsePrometheus, type PromSample } from "../support/prometheus.js";
import { startReverseProxy, type ReverseProxy } from "../support/reverse-proxy.js";

const METRICS_TOKEN = "two-engines-metrics-token-0123";
const DATABASE_URL = process.env["DATABASE_URL"];
const REDIS_URL = process.env["REDIS_URL"];

const ADMIN_KEY = "two-engines-admin-key-0123456789";
const TOKEN_SECRET = "two-engines-token-secret-0123456789-0123456789";
const MAX_SESSIONS = 2;
/** SIGTERM to exit: rooms drained (clients told, writes flushed), Redis entries removed. Measured 115 ms. */
const DRAIN_EXIT_BOUND_MS = 10_000;
/** A pool and two engines start one after another on 2 shared cores (≈ 8 s alone, more in a full run). */
const SETUP_TIMEOUT_MS = 120_000;

/**
 * Colyseus names its Redis keys without a prefix (`roomcount`, `roomcaches`, …), so a run needs a Redis database no
 * other engine uses: test files take 1..N by vitest worker (testRedisUrl), so this one claims one of the top ones
 * with SET NX (another run of this file skips a claimed one) and empties it before and after.
 */
const CLAIMABLE_DATABASES = [15, 14, 13, 12, 11, 10, 9, 8];
const CLAIM_KEY = "two-engines-test:claim";
const CLAIM_TTL_S = 600;

async function claimRedisDatabase(baseUrl: string): Promise<{ url: string; redis: Redis }> {
  for (const db of CLAIMABLE_DATABASES) {
    const url = new URL(baseUrl);
    url.pathname = `/${db}`;
    const redis = new Redis(url.toString(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    if ((await redis.set(CLAIM_KEY, String(process.pid), "EX", CLAIM_TTL_S, "NX")) === "OK") {
      await redis.flushdb();
      await redis.set(CLAIM_KEY, String(process.pid), "EX", CLAIM_TTL_S);
      return { url: url.toString(), redis };
    }
    await redis.quit();
  }
  throw new Error(`every Redis database of ${CLAIMABLE_DATABASES.join(", ")} is claimed by another run`);
}

const created = z.object({ session_id: z.string(), engine_url: z.string(), engine_token: z.string() });
const errorBody = z.object({ error: z.object({ code: z.string() }) });
const monitorRooms = z.object({ rooms: z.array(z.object({ roomId: z.string(), processId: z.string(), clients: z.number() })) });

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? null : JSON.parse(text) };
}

/**
 * A request whose head (and first byte of body) goes now and the rest on `finish()`: the server has accepted the
 * connection and routed the request, and runs its handler only once the body is complete.
 */
function startedRequest(base: string, method: string, path: string, body: unknown): { sent: Promise<void>; finish(): Promise<{ status: number; body: unknown }> } {
  const text = JSON.stringify(body);
  const headers = { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) };
  const req = request(new URL(path, base), { method, headers, agent: false });
  const answered = new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    req.once("error", reject);
    req.once("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.once("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) }));
      res.once("error", reject);
    });
  });
  const sent = new Promise<void>((resolve, reject) => {
    req.once("error", reject);
    req.write(text.slice(0, 1), () => resolve());
  });
  return {
    sent,
    finish() {
      req.end(text.slice(1));
      return answered;
    },
  };
}

async function createSession(base: string): Promise<z.infer<typeof created>> {
  const answer = await call(base, "POST", "/api/v1/sessions", { kind: "meeting" });
  if (answer.status !== 201) throw new Error(`create through ${base} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return created.parse(answer.body);
}

async function scrape(base: string): Promise<PromSample[]> {
  const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  return parsePrometheus(await response.text());
}

/** The `process_id` of `engine_process_info`: the Colyseus process id this process's room listings carry. */
function processIdOf(samples: readonly PromSample[]): string {
  const info = samples.filter((s) => s.name === "engine_process_info");
  expect(info).toHaveLength(1);
  return z.string().min(1).parse(info[0]?.labels["process_id"]);
}

async function monitorListing(base: string): Promise<z.infer<typeof monitorRooms>["rooms"]> {
  const response = await fetch(`${base}/monitor/api`, { headers: { authorization: `Basic ${Buffer.from(`:${ADMIN_KEY}`).toString("base64")}` } });
  expect(response.status).toBe(200);
  return monitorRooms.parse(await response.json()).rooms;
}

const listeningLine = z.object({ msg: z.literal("engine listening"), port: z.number() });

/**
 * Where the process itself listens. spawnEngine's `httpUrl` is the URL it logs, PUBLIC_URL (the proxy here); the
 * same log line carries the port it bound.
 */
function localUrlOf(engine: EngineProcess): string {
  for (const line of engine.output) {
    if (!line.startsWith("{")) continue;
    const parsed = listeningLine.safeParse(JSON.parse(line));
    if (parsed.success) return `http://127.0.0.1:${parsed.data.port}`;
  }
  throw new Error("the engine logged no listening line");
}

async function exitOf(engine: EngineProcess): Promise<number | string> {
  const code = await engine.exited;
  return code ?? engine.child.signalCode ?? "unknown";
}

if (!DATABASE_URL || !REDIS_URL) {
  describe.skip("several processes share matchmaking through Redis and sessions through Postgres: set REDIS_URL and DATABASE_URL (CI sets both)", () => {
    it("runs only against a real Redis and Postgres", () => {});
  });
} else {
  describe("two engine processes behind one Redis and one Postgres, one pool, a reverse proxy routing by PUBLIC_ADDRESS", () => {
    let redis: Redis;
    let database: FreshPostgresDatabase;
    let proxy: ReverseProxy;
    let pool: PoolProcess;
    let a: EngineProcess;
    let b: EngineProcess;
    /** Each engine's own address (`http://127.0.0.1:port`), past the proxy. */
    let urlA: string;
    let urlB: string;
    const dataDirs: string[] = [];
    const rooms: Room[] = [];
    /** Created through A while A was the only process: its room is on A. */
    let first: z.infer<typeof created>;

    async function startEngine(name: string, redisUrl: string): Promise<EngineProcess> {
      const dataDir = await mkdtemp(join(tmpdir(), `two-engines-${name}-`));
      dataDirs.push(dataDir);
      const engine = await spawnEngine({
        DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        ADMIN_API_KEY: ADMIN_KEY,
        TOKEN_SECRET,
        MAX_SESSIONS: String(MAX_SESSIONS),
        // A private /metrics lists each room with its session id (engine_room_clients); an open one does not.
        METRICS_TOKEN,
        // engine_url in API answers: the proxy's round-robin root, as compose's PUBLIC_URL is.
        PUBLIC_URL: proxy.url,
        PUBLIC_ADDRESS: `${proxy.host}/${name}`,
        INFERENCE_URLS: pool.address,
        INFERENCE_TOKEN: TEST_INFERENCE_TOKEN,
      });
      proxy.route(name, localUrlOf(engine));
      return engine;
    }

    beforeAll(async () => {
      const claimed = await claimRedisDatabase(REDIS_URL);
      redis = claimed.redis;
      database = await createFreshPostgresDatabase(DATABASE_URL);
      proxy = await startReverseProxy();
      // One pool for both engines (compose runs two; one keeps this test's CPU down), with the VAD only: no audio is
      // streamed here, and Whisper's lanes would double the pool's start.
      pool = await spawnPool({ INFERENCE_PORT: "0", INFERENCE_MODELS: "silero_vad_v5" });
      a = await startEngine("engine-a", claimed.url);
      urlA = localUrlOf(a);
      first = await createSession(`${proxy.url}/engine-a`);
      b = await startEngine("engine-b", claimed.url);
      urlB = localUrlOf(b);
    }, SETUP_TIMEOUT_MS);

    afterAll(async () => {
      await Promise.allSettled(rooms.map((room) => (room.connection.isOpen ? room.leave(true) : Promise.resolve(0))));
      for (const engine of [a, b]) if (engine !== undefined && engine.child.exitCode === null && engine.child.signalCode === null) engine.child.kill("SIGTERM");
      await Promise.all([a?.exited, b?.exited]);
      if (pool !== undefined) await stopPool(pool);
      await proxy?.close();
      await database?.drop();
      await redis?.flushdb();
      await redis?.quit();
      await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
    });

    it("a session created through A and joined through B's URL connects to A, the process that holds its room", async () => {
      const holder = (await monitorListing(`${proxy.url}/engine-b`)).find((room) => room.roomId === first.session_id);
      const processA = processIdOf(await scrape(urlA));
      expect(holder?.processId).toBe(processA);

      const before = proxy.forwarded.length;
      const room = await joinRoom(`${proxy.url}/engine-b`, first.session_id, first.engine_token);
      rooms.push(room);
      room.reconnection.enabled = false;
      const through = proxy.forwarded.slice(before);
      // Matchmaking asked B; the seat reservation carried A's publicAddress, so the socket went to A's prefix.
      expect(through).toContainEqual({ kind: "http", route: "engine-b", target: urlB, path: `/matchmake/joinById/${first.session_id}` });
      expect(through.filter((f) => f.kind === "upgrade")).toEqual([
        { kind: "upgrade", route: "engine-a", target: urlA, path: expect.stringMatching(new RegExp(`^/${processA}/${first.session_id}\\?`)) },
      ]);
      await eventually(async () => ((await call(urlA, "GET", `/api/v1/sessions/${first.session_id}`)).body as { status?: string }).status === "live" || undefined);
    });

    it("/metrics of each process and /monitor's room list say which process holds which room", async () => {
      const [samplesA, samplesB] = await Promise.all([scrape(urlA), scrape(urlB)]);
      const [processA, processB] = [processIdOf(samplesA), processIdOf(samplesB)];
      expect(processA).not.toBe(processB);
      expect(samplesA.find((s) => s.name === "engine_process_info")?.labels["public_address"]).toBe(`${proxy.host}/engine-a`);
      expect(samplesB.find((s) => s.name === "engine_process_info")?.labels["public_address"]).toBe(`${proxy.host}/engine-b`);
      // The room and its one connection are A's: A's series names it, B's has none.
      expect(metricValue(samplesA, "engine_room_clients", { session_id: first.session_id, process_id: processA })).toBe(1);
      expect(metricValue(samplesB, "engine_room_clients", { session_id: first.session_id })).toBeUndefined();
      expect(metricValue(samplesA, "engine_connected_clients")).toBe(1);
      expect(metricValue(samplesB, "engine_connected_clients")).toBe(0);
      // Either process's monitor lists the whole cluster, each room with its process.
      for (const base of [urlA, urlB]) {
        expect(await monitorListing(base)).toEqual([expect.objectContaining({ roomId: first.session_id, processId: processA, clients: 1 })]);
      }
    });

    it("MAX_SESSIONS holds across processes: a second session through A, then a third through B answers 503 max_sessions", async () => {
      await createSession(`${proxy.url}/engine-a`);
      const third = await call(`${proxy.url}/engine-b`, "POST", "/api/v1/sessions", { kind: "meeting" });
      expect(third.status).toBe(503);
      expect(errorBody.parse(third.body).error.code).toBe("max_sessions");
      expect(third.headers.get("retry-after")).toBe("5");
    });

    it("a DELETE sent to B ends the session A holds: its client gets session.ended", async () => {
      const room = rooms[0];
      if (room === undefined) throw new Error("the first test's client is missing");
      const ended = new Promise<unknown>((resolve) => room.onMessage("session.ended", resolve));
      expect((await call(`${proxy.url}/engine-b`, "DELETE", `/api/v1/sessions/${first.session_id}`)).status).toBe(204);
      expect(await ended).toEqual({ session_id: first.session_id, reason: "requested" });
      expect((await call(urlA, "GET", `/api/v1/sessions/${first.session_id}`)).body).toMatchObject({ status: "ended", end_reason: "requested" });
      await eventually(async () => ((await monitorListing(urlB)).some((r) => r.roomId === first.session_id) ? undefined : true));
    });

    it("SIGTERM on the process holding a live session: 503 draining, session.ended shutdown, exit 0; the other carries on", async () => {
      // The second session went to B: A held one room, B none (Colyseus creates where the fewest rooms are).
      const processB = processIdOf(await scrape(urlB));
      const held = (await monitorListing(urlA)).filter((room) => room.processId === processB);
      expect(held).toHaveLength(1);
      const heldId = held[0]?.roomId ?? "";
      const token = z.object({ token: z.string() }).parse((await call(urlA, "POST", `/api/v1/sessions/${heldId}/tokens`, { participant_id: "p-1", role: "participant" })).body).token;
      // Joined through the engine_url the API hands out (the proxy's root), as a client of the deployment would.
      const room = await joinRoom(proxy.url.replace(/^http/, "ws"), heldId, token);
      rooms.push(room);
      room.reconnection.enabled = false;
      const ended = new Promise<unknown>((resolve) => room.onMessage("session.ended", resolve));
      await eventually(async () => ((await call(urlB, "GET", `/api/v1/sessions/${heldId}`)).body as { status?: string }).status === "live" || undefined);

      // A create already on its way when the drain begins (its body arrives after): it must be refused, not served,
      // and answered, not cut. Sent on a connection B accepted before the signal, so it does not race B's listener.
      const late = startedRequest(urlB, "POST", "/api/v1/sessions", { kind: "meeting" });
      await late.sent;
      const signalledAt = performance.now();
      b.child.kill("SIGTERM");
      await eventually(() => (b.output.some((line) => line.includes('"msg":"engine stopping')) ? true : undefined));
      const refused = await late.finish();
      expect(refused.status).toBe(503);
      expect(errorBody.parse(refused.body).error.code).toBe("draining");
      expect(await ended).toEqual({ session_id: heldId, reason: "shutdown" });
      expect(await exitOf(b), b.output.slice(-30).join("\n")).toBe(0);
      expect(performance.now() - signalledAt).toBeLessThan(DRAIN_EXIT_BOUND_MS);
      proxy.route("engine-b", null);

      // A carries on alone: B took its matchmaking entry with it, so the next room is A's.
      expect((await call(urlA, "GET", `/api/v1/sessions/${heldId}`)).body).toMatchObject({ status: "ended", end_reason: "shutdown" });
      expect(Object.keys(await redis.hgetall("roomcount"))).toEqual([processIdOf(await scrape(urlA))]);
      expect((await fetch(`${proxy.url}/ready`)).status).toBe(200);
      const next = await createSession(proxy.url);
      expect(await monitorListing(urlA)).toEqual([expect.objectContaining({ roomId: next.session_id, processId: processIdOf(await scrape(urlA)) })]);
    });
  });
}

