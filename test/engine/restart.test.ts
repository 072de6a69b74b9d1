import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { eventually, testRedisUrl } from "../support/engine.js";
import { spawnEngine, type EngineProcess } from "../support/engine-process.js";
import { joinRoom } from "../support/join-room.js";
import { seedPgliteDataDir } from "../support/pglite-template.js";
import { createFreshPostgresDatabase, type FreshPostgresDatabase } from "../support/postgres.js";

/** Each test's own data folder (and database): a restart test sees only the records it made. */
let dataDir: string;
let postgres: FreshPostgresDatabase | null = null;
const running: EngineProcess[] = [];
const scratch: { dataDir: string; postgres: FreshPostgresDatabase | null }[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "engine-restart-"));
  const baseUrl = process.env["DATABASE_URL"];
  postgres = baseUrl ? await createFreshPostgresDatabase(baseUrl) : null;
  if (postgres === null) await seedPgliteDataDir(dataDir);
  scratch.push({ dataDir, postgres });
});
afterAll(async () => {
  for (const engine of running) if (engine.child.exitCode === null) engine.child.kill("SIGKILL");
  await Promise.all(running.map((engine) => engine.exited));
  for (const used of scratch) {
    await used.postgres?.drop();
    await rm(used.dataDir, { recursive: true, force: true });
  }
});

/** Env of the engine under test: the test's data folder (and database) at each start; no admin key, so one is generated. */
function env(): Record<string, string> {
  const vars: Record<string, string> = { DATA_DIR: dataDir };
  if (postgres !== null) vars["DATABASE_URL"] = postgres.url;
  const redisUrl = testRedisUrl();
  if (redisUrl !== null) vars["REDIS_URL"] = redisUrl;
  return vars;
}

/** The exit code, or the name of the signal that killed the process. */
async function exitOf(engine: EngineProcess): Promise<number | string> {
  const code = await engine.exited;
  return code ?? engine.child.signalCode ?? "unknown";
}

async function start(): Promise<EngineProcess> {
  const engine = await spawnEngine(env());
  running.push(engine);
  return engine;
}

async function call(engine: EngineProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${engine.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${engine.adminApiKey}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** Each test starts engine processes one after another (PGlite, models): 17 s alone on 2 busy cores, more in a full run. */
const RESTART_TEST_TIMEOUT_MS = 90_000;

describe("engine restart on the same data", () => {
  it("keeps every record; a live session the dead process left is restored, its seat awaiting its participant", async () => {
    const first = await start();
    // The banner with the generated key follows the "engine listening" line the spawn waited for.
    await eventually(() => (first.output.join("\n").includes(first.adminApiKey) ? true : undefined));

    const live = await call(first, "POST", "/api/v1/sessions", { kind: "meeting", title: "survives" });
    const liveId = String(live.body["session_id"]);
    const room = await joinRoom(first.engineUrl, liveId, String(live.body["engine_token"]));
    room.reconnection.enabled = false;
    await eventually(async () => ((await call(first, "GET", `/api/v1/sessions/${liveId}`)).body["status"] === "live" ? true : undefined));
    await eventually(async () => ((await call(first, "GET", `/api/v1/sessions/${liveId}`)).body["participants"] as unknown[]).length > 0 || undefined);

    const done = await call(first, "POST", "/api/v1/sessions", { kind: "tutoring", tutor_id: "t-1", student_id: "s-1" });
    const doneId = String(done.body["session_id"]);
    expect((await call(first, "DELETE", `/api/v1/sessions/${doneId}`)).status).toBe(204);

    // The process dies without any chance to clean up.
    first.child.kill("SIGKILL");
    await first.exited;

    const second = await start();
    expect(second.adminApiKey).toBe(first.adminApiKey);
    const afterLive = await call(second, "GET", `/api/v1/sessions/${liveId}`);
    expect(afterLive.status).toBe(200);
    // Restored (test/engine/crash-resume.test.ts has the clients come back): its connection died with the process.
    expect(afterLive.body).toMatchObject({ session_id: liveId, title: "survives", status: "live", end_reason: null });
    expect(afterLive.body["participants"]).toEqual([expect.objectContaining({ participant_id: "host", role: "host", connected: false, left_at: null })]);
    const afterDone = await call(second, "GET", `/api/v1/sessions/${doneId}`);
    expect(afterDone.body).toMatchObject({ status: "ended", end_reason: "requested", tutor_id: "t-1" });

    // And the restarted engine works: a new session is created and listed beside the old ones.
    expect((await call(second, "POST", "/api/v1/sessions", { kind: "meeting" })).status).toBe(201);
    const listed = await call(second, "GET", "/api/v1/sessions?limit=100");
    expect(listed.body["total"]).toBe(3);

    second.child.kill("SIGTERM");
    // On failure, how it ended (a signal's name when killed) and its last lines say why.
    expect(await exitOf(second), second.output.slice(-30).join("\n")).toBe(0);
  }, RESTART_TEST_TIMEOUT_MS);

  it("SIGTERM drains live sessions: clients are told, the session ends with reason shutdown, the process exits 0", async () => {
    const engine = await start();
    const created = await call(engine, "POST", "/api/v1/sessions", { kind: "meeting" });
    const id = String(created.body["session_id"]);
    const room = await joinRoom(engine.engineUrl, id, String(created.body["engine_token"]));
    const ended = new Promise<unknown>((resolve) => room.onMessage("session.ended", resolve));

    engine.child.kill("SIGTERM");
    expect(await ended).toEqual({ session_id: id, reason: "shutdown" });
    expect(await exitOf(engine), engine.output.slice(-30).join("\n")).toBe(0);

    const next = await start();
    expect((await call(next, "GET", `/api/v1/sessions/${id}`)).body).toMatchObject({ status: "ended", end_reason: "shutdown" });
    next.child.kill("SIGTERM");
    await next.exited;
  }, RESTART_TEST_TIMEOUT_MS);
});
