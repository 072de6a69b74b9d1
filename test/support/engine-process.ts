import type { ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { spawnUntilLogged } from "./spawn-until-logged.js";

export interface EngineProcess {
  child: ChildProcess;
  httpUrl: string;
  engineUrl: string;
  adminApiKey: string;
  /** Every stdout line so far. */
  output: string[];
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

const listening = z.object({ msg: z.literal("engine listening"), url: z.string() });

/**
 * Starts `src/main.ts` in its own process, as `npm start` would, and waits until it listens. NODE_ENV=production (unless
 * `env` says otherwise): no demo meeting, so tests count only the sessions they create. One Whisper lane, as the
 * in-process test engine has (startTestEngine).
 */
export async function spawnEngine(env: Record<string, string>, timeoutMs = 30_000): Promise<EngineProcess> {
  const { child, value: url, output, exited } = await spawnUntilLogged(
    "src/main.ts",
    {
      ...process.env,
      NODE_ENV: "production",
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      MODELS_DIR: join(tmpdir(), "engine-test-models"),
      ASR_LANES: "1",
      ASR_INTERIM: "false",
      ...env,
    },
    listening.transform((line) => line.url),
    "engine",
    timeoutMs,
  );
  const dataDir = env["DATA_DIR"];
  const adminApiKey =
    env["ADMIN_API_KEY"] ??
    (dataDir === undefined ? "" : z.object({ adminApiKey: z.string() }).parse(JSON.parse(await readFile(join(dataDir, "secrets.json"), "utf8"))).adminApiKey);
  return { child, httpUrl: url, engineUrl: url.replace(/^http/, "ws"), adminApiKey, output, exited };
}
