import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { withDefaults } from "../../src/config.js";
import { startEngine, type RunningEngine } from "../../src/engine.js";
import { createLogger } from "../../src/logger.js";
import { seedPgliteDataDir } from "../../test/support/pglite-template.js";

export interface BenchEngineSettings {
  llmUrl: string;
  modelsDir: string;
  asrLanes: number | null;
  logLevel: string;
  maxSessions: number;
}

export interface BenchEngine {
  engine: RunningEngine;
  adminKey: string;
  /** What the engine ran with, for the report. */
  description: Record<string, unknown>;
  close(): Promise<void>;
}

export const BENCH_LLM_MODEL = "bench-model";

/**
 * The engine on its embedded defaults, as `npm start` runs it: PGlite in a temp folder (from the migrated template
 * the tests use, see test/support/pglite-template.ts), the in-process inference pool (a worker thread on loopback
 * gRPC) with every model this machine runs, the stand-in LLM as LLM_URL. Loopback only, fresh keys per run.
 */
export async function startBenchEngine(settings: BenchEngineSettings): Promise<BenchEngine> {
  const dataDir = await mkdtemp(join(tmpdir(), "bench-tutor-"));
  const adminKey = randomBytes(24).toString("hex");
  try {
    await seedPgliteDataDir(dataDir);
    const config = withDefaults({
      host: "127.0.0.1",
      port: 0,
      dataDir,
      adminApiKey: adminKey,
      tokenSecret: randomBytes(32).toString("hex"),
      logLevel: settings.logLevel,
      modelsDir: resolve(settings.modelsDir),
      asrLanes: settings.asrLanes,
      llmUrl: settings.llmUrl,
      llmModel: BENCH_LLM_MODEL,
      maxSessions: settings.maxSessions,
    });
    const engine = await startEngine(config, createLogger(config.logLevel));
    const models = (await engine.pool?.ready()) ?? [];
    const missing = models.filter((model) => !model.loaded).map((model) => model.name);
    if (missing.some((name) => name === "silero_vad_v5" || name === "whisper_tiny_en_int8" || name === "espeak_ng")) {
      await engine.stop();
      throw new Error(`the pool did not load ${missing.join(", ")}`);
    }
    return {
      engine,
      adminKey,
      description: {
        database: "PGlite (embedded), temp folder",
        inference: "in-process pool (worker thread, loopback gRPC)",
        asr_lanes: settings.asrLanes ?? "default (sized to the cores)",
        models_loaded: models.filter((model) => model.loaded).map((model) => model.name),
        llm: `stand-in OpenAI-compatible server (test/support/llm-test-server.ts), model ${BENCH_LLM_MODEL}`,
      },
      async close() {
        await engine.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}
