import { spawn, type ChildProcess } from "node:child_process";
import type { z } from "zod";

export interface LoggedProcess<T> {
  child: ChildProcess;
  /** What the awaited log line carried. */
  value: T;
  /** Every stdout line and stderr chunk so far. */
  output: string[];
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** A line that only looks like JSON is output like any other, not the awaited one (and not a throw in a stream handler). */
function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Runs a TypeScript entry point of the project in its own process (through tsx) and waits for the first JSON log
 * line that `line` accepts; fails with the process's output if it exits or times out first (and then kills it).
 */
export async function spawnUntilLogged<T>(
  entry: string,
  env: NodeJS.ProcessEnv,
  line: z.ZodType<T>,
  label: string,
  timeoutMs: number,
): Promise<LoggedProcess<T>> {
  const child = spawn(process.execPath, ["--import", "tsx", entry], { cwd: process.cwd(), env, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const value = await new Promise<T>((resolve, reject) => {
    // A process that never got ready is killed here: the caller has no handle on it to clean up.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${label} did not start within ${timeoutMs} ms:\n${output.join("\n")}`));
    }, timeoutMs);
    let buffered = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const text of lines) {
        output.push(text);
        if (!text.startsWith("{")) continue;
        const parsed = line.safeParse(parsedJson(text));
        if (parsed.success) {
          clearTimeout(timer);
          resolve(parsed.data);
        }
      }
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => output.push(chunk));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code}) before it was ready:\n${output.join("\n")}`));
    });
  });
  return { child, value, output, exited };
}
