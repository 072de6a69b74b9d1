import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

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

/** Starts `src/main.ts` in its own process, as `npm start` would, and waits until it listens. */
export async function spawnEngine(env: Record<string, string>, timeoutMs = 30_000): Promise<EngineProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: process.cwd(),
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", MODELS_DIR: join(tmpdir(), "engine-test-models"), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`engine did not start:\n${output.join("\n")}`)), timeoutMs);
    let buffered = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        output.push(line);
        if (!line.startsWith("{")) continue;
        const parsed = listening.safeParse(JSON.parse(line));
        if (parsed.success) {
          clearTimeout(timer);
          resolve(parsed.data.url);
        }
      }
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => output.push(chunk));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`engine exited (${code}) before listening:\n${output.join("\n")}`));
    });
  });
  const dataDir = env["DATA_DIR"];
  const adminApiKey =
    env["ADMIN_API_KEY"] ??
    (dataDir === undefined ? "" : z.object({ adminApiKey: z.string() }).parse(JSON.parse(await readFile(join(dataDir, "secrets.json"), "utf8"))).adminApiKey);
  return { child, httpUrl: url, engineUrl: url.replace(/^http/, "ws"), adminApiKey, output, exited };
}
