import { Worker } from "node:worker_threads";
import type { LevelRaw, LevelRequest, StudentsMessage } from "./tutor-students-worker.js";

/** The students' side of the bench (tutor-students-worker.ts) as the main thread drives it. */
export interface StudentsWorker {
  /** The stand-in LLM's base URL (`…/v1`), for the engine's LLM_URL. */
  llmUrl: string;
  runLevel(request: Omit<LevelRequest, "type">): Promise<LevelRaw>;
  close(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Starts the worker (under tsx, whose loader a worker does not inherit: a small bootstrap registers it first, as
 * pool-worker-handle.ts does) and resolves once its LLM server listens. One level runs at a time.
 */
export function startStudents(settings: { tokenIntervalMs: number }, progress: (line: string) => void): Promise<StudentsWorker> {
  const source = new URL("./tutor-students-worker.ts", import.meta.url).href;
  const bootstrap = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`;
  const worker = new Worker(bootstrap, { eval: true, workerData: settings });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  let pending: { resolve: (raw: LevelRaw) => void; reject: (error: Error) => void } | null = null;
  let closed: (() => void) | null = null;

  return new Promise<StudentsWorker>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the students' worker did not start within ${START_TIMEOUT_MS} ms`));
      void worker.terminate();
    }, START_TIMEOUT_MS);
    worker.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
      pending?.reject(error);
    });
    worker.on("message", (message: StudentsMessage) => {
      switch (message.type) {
        case "ready":
          clearTimeout(timer);
          resolve(handle(message.llmUrl));
          return;
        case "progress":
          progress(message.line);
          return;
        case "level":
          pending?.resolve(message.raw);
          pending = null;
          return;
        case "failed":
          clearTimeout(timer);
          reject(new Error(message.message));
          pending?.reject(new Error(message.message));
          pending = null;
          return;
        case "closed":
          closed?.();
          return;
      }
    });
  });

  function handle(llmUrl: string): StudentsWorker {
    return {
      llmUrl,
      runLevel(request) {
        if (pending !== null) return Promise.reject(new Error("a level is already running"));
        return new Promise<LevelRaw>((resolve, reject) => {
          pending = { resolve, reject };
          worker.postMessage({ type: "level", ...request } satisfies LevelRequest);
        });
      },
      async close() {
        const done = new Promise<void>((resolve) => (closed = resolve));
        worker.postMessage({ type: "close" });
        let closeTimer: NodeJS.Timeout | undefined;
        await Promise.race([done, exited, new Promise<void>((resolve) => (closeTimer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
        clearTimeout(closeTimer);
        await worker.terminate();
      },
    };
  }
}
