import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnEngine } from "../test/support/engine-process.js";
import { availableParallelism } from "node:os";
import { defaultAsrLayout } from "../src/inference/asr/asr-lanes.js";

/** The engine a load run drives: one it started (and stops), or one already running on loopback. */
export interface EngineUnderTest {
  httpUrl: string;
  engineUrl: string;
  adminKey: string;
  metricsToken: string | null;
  /** `npm start`'s own process (pid) when the run started it. */
  pid: number | null;
  stop(): Promise<void>;
}

/**
 * Starts the engine as `npm start` would, in a process of its own (so its CPU and memory are its own), on a free
 * loopback port, with a fresh data folder. DATABASE_URL / REDIS_URL in the environment are passed on; the prepared
 * Whisper model is shared with `npm start` through MODELS_DIR (default ./data/models).
 */
export async function startEngineUnderTest(maxSessions: number): Promise<EngineUnderTest> {
  const dataDir = await mkdtemp(join(tmpdir(), "loadtest-engine-"));
  const adminKey = randomBytes(24).toString("hex");
  const engine = await spawnEngine(
    {
      DATA_DIR: dataDir,
      ADMIN_API_KEY: adminKey,
      MAX_SESSIONS: String(Math.max(100, maxSessions + 10)),
      MODELS_DIR: process.env["MODELS_DIR"] ?? join(process.cwd(), "data", "models"),
      LOG_LEVEL: "info",
      // The engine as `npm start` runs it: spawnEngine's test defaults (one Whisper lane, no interim captions) are
      // not what is measured here; ASR_* in the environment still choose.
      ASR_LANES: process.env["ASR_LANES"] ?? String(defaultAsrLayout(availableParallelism(), undefined, threadsFromEnv()).lanes),
      ASR_INTERIM: process.env["ASR_INTERIM"] ?? "true",
    },
    180_000,
  );
  // Only the start-up lines were needed; do not keep every later log line in memory.
  engine.child.stdout?.removeAllListeners("data").resume();
  engine.child.stderr?.removeAllListeners("data").resume();
  return {
    httpUrl: engine.httpUrl,
    engineUrl: engine.engineUrl,
    adminKey,
    metricsToken: null,
    pid: engine.child.pid ?? null,
    async stop() {
      engine.child.kill("SIGTERM");
      const killer = setTimeout(() => engine.child.kill("SIGKILL"), 15_000);
      await engine.exited;
      clearTimeout(killer);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function runningEngine(url: string, adminKey: string, metricsToken: string | null): EngineUnderTest {
  const httpUrl = url.replace(/\/+$/, "").replace(/^ws/, "http");
  return { httpUrl, engineUrl: httpUrl.replace(/^http/, "ws"), adminKey, metricsToken, pid: null, stop: async () => undefined };
}

/** ASR_THREADS as the engine reads it (a positive integer), or undefined for the default layout. */
function threadsFromEnv(): number | undefined {
  const value = Number(process.env["ASR_THREADS"]);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}
