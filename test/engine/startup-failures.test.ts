import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** What a new user sees when the engine cannot start: one line on stderr naming what to change, exit code 1. */

let dataDir: string;
let occupied: Server;
let port = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "engine-startup-"));
  occupied = createServer();
  await new Promise<void>((resolve) => occupied.listen(0, "127.0.0.1", resolve));
  port = (occupied.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => occupied.close(() => resolve()));
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs `npm start`'s entry point until it exits; its exit code and stderr. */
function runEngine(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  // Embedded defaults unless the test names a service: the real ones of the CI pass play no part here.
  const { DATABASE_URL: _database, REDIS_URL: _redis, ...inherited } = process.env;
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { ...inherited, NODE_ENV: "production", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent", ASR_LANES: "1", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
}

describe("start-up failures", () => {
  it("PORT in use: one line naming PORT and the address, exit 1, no stack trace", async () => {
    const { code, stderr } = await runEngine({ PORT: String(port) });
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toEqual([`engine failed to start: PORT: 127.0.0.1:${port} is already in use; stop what holds it or set another PORT`]);
  }, 60_000);

  it("REDIS_URL that nothing answers: one line naming REDIS_URL, exit 1, no retries", async () => {
    // A port that was free a moment ago: nothing listens there.
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, "127.0.0.1", resolve));
    const closedPort = (free.address() as AddressInfo).port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    const { code, stderr } = await runEngine({ PORT: "0", REDIS_URL: `redis://:secret@127.0.0.1:${closedPort}` });
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toEqual([`engine failed to start: REDIS_URL: cannot reach Redis at redis://:***@127.0.0.1:${closedPort} (ECONNREFUSED)`]);
  }, 60_000);
});
